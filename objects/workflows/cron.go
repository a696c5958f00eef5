package workflows

import (
	"strconv"
	"strings"
	"time"

	"github.com/opencrm/crm/platform/errs"
)

// Cron is a parsed five-field schedule: minute (0-59), hour (0-23), day of
// month (1-31), month (1-12), day of week (0-6, Sunday is 0 or 7). Each
// field is *, a value, a range a-b, a step */n or a-b/n, or a
// comma-separated list of those. As in classic cron, when both the day of
// month and the day of week are restricted, a day matching either runs.
type Cron struct {
	minute, hour, dom, month, dow uint64 // bit sets
	domStar, dowStar              bool
}

var cronFields = []struct {
	name     string
	min, max int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}}

func cronError(format string, args ...any) error {
	return errs.New(errs.Invalid, "workflow.bad_cron", format, args...)
}

// ParseCron parses a five-field cron expression.
func ParseCron(src string) (*Cron, error) {
	parts := strings.Fields(src)
	if len(parts) != 5 {
		return nil, cronError("a cron schedule has 5 fields (minute hour day-of-month month day-of-week), not %d", len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		set, err := parseCronField(p, cronFields[i].min, cronFields[i].max)
		if err != nil {
			return nil, cronError("%s field %q: %s", cronFields[i].name, p, err.Error())
		}
		sets[i] = set
	}
	if sets[4]&(1<<7) != 0 { // 7 is Sunday too
		sets[4] |= 1
	}
	return &Cron{minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4],
		domStar: parts[2] == "*", dowStar: parts[4] == "*"}, nil
}

type cronErr string

func (e cronErr) Error() string { return string(e) }

func parseCronField(s string, min, max int) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n < 1 {
				return 0, cronErr("the step must be a positive number")
			}
			step = n
		}
		lo, hi := min, max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err1, err2 error
			lo, err1 = strconv.Atoi(a)
			hi, err2 = strconv.Atoi(b)
			if err1 != nil || err2 != nil || lo > hi {
				return 0, cronErr("a range is low-high with low <= high")
			}
		default:
			n, err := strconv.Atoi(rng)
			if err != nil {
				return 0, cronErr("expected *, a number, a range or a step")
			}
			lo, hi = n, n
			if hasStep {
				hi = max
			}
		}
		if lo < min || hi > max {
			return 0, cronErr("values must be within " + strconv.Itoa(min) + "-" + strconv.Itoa(max))
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func has(set uint64, v int) bool { return set&(1<<uint(v)) != 0 }

func (c *Cron) dayMatches(t time.Time) bool {
	dom, dow := has(c.dom, t.Day()), has(c.dow, int(t.Weekday()))
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow
}

// Next returns the first instant strictly after t at which the schedule
// fires, in the location loc (nil means UTC), or the zero time when none
// comes within five years (such as 0 0 30 2 *). A local time that does not
// exist on a day (skipped by a daylight-saving change) does not fire that day.
func (c *Cron) Next(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc).Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		switch {
		case !has(c.month, int(t.Month())):
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
		case !c.dayMatches(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		case !has(c.hour, t.Hour()):
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
		case !has(c.minute, t.Minute()):
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}
