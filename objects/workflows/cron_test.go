package workflows

import (
	"testing"
	"time"
)

func TestCron_next(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, c := range []struct{ name, cron, after, want string }{
		{"every minute", "* * * * *", "2026-03-02T10:00:30", "2026-03-02T10:01:00"},
		{"strictly after", "0 9 * * *", "2026-03-02T09:00:00", "2026-03-03T09:00:00"},
		{"steps", "*/15 * * * *", "2026-03-02T10:16:00", "2026-03-02T10:30:00"},
		{"range with step", "0 8-18/5 * * *", "2026-03-02T13:01:00", "2026-03-02T18:00:00"},
		{"list", "0 9,17 * * *", "2026-03-02T09:30:00", "2026-03-02T17:00:00"},
		{"weekdays skip the weekend", "30 8 * * 1-5", "2026-03-06T09:00:00", "2026-03-09T08:30:00"},
		{"sunday as 7", "0 0 * * 7", "2026-03-02T00:00:00", "2026-03-08T00:00:00"},
		{"day of month or day of week", "0 0 13 * 5", "2026-03-01T00:00:00", "2026-03-06T00:00:00"},
		{"month and day", "0 12 1 6 *", "2026-03-02T00:00:00", "2026-06-01T12:00:00"},
		{"leap day", "0 0 29 2 *", "2026-03-01T00:00:00", "2028-02-29T00:00:00"},
		{"local time across DST", "0 2 * * *", "2026-03-28T03:00:00", "2026-03-30T02:00:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cr, err := ParseCron(c.cron)
			if err != nil {
				t.Fatal(err)
			}
			after, _ := time.ParseInLocation("2006-01-02T15:04:05", c.after, paris)
			want, _ := time.ParseInLocation("2006-01-02T15:04:05", c.want, paris)
			if got := cr.Next(after, paris); !got.Equal(want) {
				t.Fatalf("Next(%s) = %s, want %s", after, got.In(paris), want)
			}
		})
	}
}

func TestParseCron_refusesBadSchedules(t *testing.T) {
	for _, src := range []string{"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
		"* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *", "1,,2 * * * *"} {
		t.Run(src, func(t *testing.T) {
			if _, err := ParseCron(src); err == nil {
				t.Fatalf("ParseCron(%q) accepted", src)
			}
		})
	}
	if c, err := ParseCron("0 0 30 2 *"); err != nil || !c.Next(time.Now(), nil).IsZero() {
		t.Fatalf("a date that never comes: %v, %v", c, err)
	}
}
