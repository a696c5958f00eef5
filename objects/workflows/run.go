package workflows

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
)

// Run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"   // an attempt failed; the job retries or is dead
	RunDeferred  = "deferred" // waiting for business hours
)

// Run is one run of a workflow as the history shows it.
type Run struct {
	ID              string      `json:"id"`
	Workflow        string      `json:"workflow"`
	WorkflowVersion int64       `json:"workflowVersion"`
	Trigger         string      `json:"trigger"`
	Object          string      `json:"object,omitempty"`
	Record          string      `json:"record,omitempty"`
	Status          string      `json:"status"`
	Attempts        int64       `json:"attempts"` // attempts made, admin retries included
	StartedAt       string      `json:"startedAt"`
	FinishedAt      string      `json:"finishedAt,omitempty"`
	Error           string      `json:"error,omitempty"`
	Actions         []ActionRun `json:"actions"`
}

// ActionRun is one action of a run.
type ActionRun struct {
	Type   string `json:"type"`
	Status string `json:"status"` // done, failed, pending
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
	At     string `json:"at,omitempty"`
}

type runInput struct {
	trigger, object, recID string
	record, old            map[string]any
	chain                  int
}

// run executes a workflow's actions in order for one job, keeping the run
// document (id = job id) current: a retried attempt skips the actions done
// by an earlier one.
func (s *Service) run(ctx context.Context, j *jobs.Job, w *compiled, in runInput) error {
	now := clock.Stamp(s.clock.Now())
	doc, err := s.st.Get(ctx, j.Tenant, runsColl, j.ID, nil)
	if errors.Is(err, store.ErrNotFound) {
		doc = store.Doc{"id": j.ID, "workflow": w.Name, "workflowVersion": w.Version, "trigger": in.trigger,
			"startedAt": now, "actions": []any{}}
		if in.object != "" {
			doc["object"] = in.object
		}
		if in.recID != "" {
			doc["record"] = in.recID
		}
		if doc, err = s.st.Insert(ctx, j.Tenant, runsColl, doc); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	doc["attempts"] = num(doc, "attempts") + 1 // every attempt, admin retries included
	done := map[int]bool{}
	acts, _ := doc["actions"].([]any)
	for i, a := range acts {
		if m, ok := a.(map[string]any); ok && m["status"] == "done" {
			done[i] = true
		}
	}
	results := make([]any, len(w.Actions))
	for i := range w.Actions {
		results[i] = map[string]any{"type": w.Actions[i].Type, "status": "pending"}
		if i < len(acts) {
			results[i] = acts[i]
		}
	}
	p, err := s.principal(ctx, j.Tenant, w)
	if err != nil {
		return s.saveRun(ctx, j, doc, results, RunFailed, err)
	}
	actx := context.WithValue(identity.WithPrincipal(ctx, p), chainKey{}, in.chain)
	for i := range w.Actions {
		if done[i] {
			continue
		}
		detail, err := s.act(actx, j, w, i, in)
		if err != nil {
			status := RunFailed
			if isDeferral(err) {
				status = RunDeferred
			} else {
				results[i] = map[string]any{"type": w.Actions[i].Type, "status": "failed", "error": errorText(err), "at": clock.Stamp(s.clock.Now())}
			}
			return s.saveRun(ctx, j, doc, results, status, err)
		}
		results[i] = map[string]any{"type": w.Actions[i].Type, "status": "done", "detail": detail, "at": clock.Stamp(s.clock.Now())}
		if err := s.saveProgress(ctx, j, doc, results); err != nil {
			return err
		}
	}
	return s.saveRun(ctx, j, doc, results, RunSucceeded, nil)
}

func isDeferral(err error) bool {
	_, ok := jobs.Deferred(err)
	return ok
}

// errorText is what the history shows of an error: a domain error's
// message, anything else's text.
func errorText(err error) string {
	if e := errs.As(err); e != nil {
		return e.Code + ": " + e.Message
	}
	return err.Error()
}

func (s *Service) saveProgress(ctx context.Context, j *jobs.Job, doc store.Doc, results []any) error {
	doc["actions"], doc["status"] = results, RunRunning
	saved, err := s.st.Update(ctx, j.Tenant, runsColl, doc, 0)
	if err != nil {
		return fmt.Errorf("workflows: save run: %w", err)
	}
	doc["version"] = saved["version"]
	return nil
}

// saveRun records the outcome and returns the job's outcome (herr).
func (s *Service) saveRun(ctx context.Context, j *jobs.Job, doc store.Doc, results []any, status string, herr error) error {
	doc["actions"], doc["status"] = results, status
	if herr != nil && status == RunFailed {
		doc["error"] = errorText(herr)
	} else {
		delete(doc, "error")
	}
	if status != RunDeferred {
		doc["finishedAt"] = clock.Stamp(s.clock.Now())
	}
	if _, err := s.st.Update(ctx, j.Tenant, runsColl, doc, 0); err != nil {
		return fmt.Errorf("workflows: save run: %w", err)
	}
	if herr != nil {
		if k := errs.KindOf(herr); !isDeferral(herr) && (k == errs.Invalid || k == errs.Forbidden || k == errs.NotFound || k == errs.Malformed) {
			return jobs.Permanent(herr) // no retry makes a refused write acceptable
		}
	}
	return herr
}

// act runs one action and returns a short description of what it did.
func (s *Service) act(ctx context.Context, j *jobs.Job, w *compiled, i int, in runInput) (string, error) {
	a := &w.Actions[i]
	switch a.Type {
	case ActUpdate:
		patch, _ := render(a.Values, in.record, s.clock).(map[string]any)
		r, err := s.recs.Update(ctx, in.object, in.recID, patch, 0)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("updated %s %s to version %d", in.object, in.recID, r.Version), nil
	case ActCreate:
		values, _ := render(a.Values, in.record, s.clock).(map[string]any)
		r, err := s.recs.Create(ctx, a.Object, values)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("created %s %s", a.Object, r.ID), nil
	case ActAssign:
		return s.assign(ctx, j.Tenant, w, i, in)
	case ActNotify:
		return s.notify(ctx, j, w, i, in)
	case ActWebhook:
		return s.enqueueWebhook(ctx, j, w, i, in)
	case ActScript:
		if s.scripts == nil {
			return "", jobs.Permanent(errs.New(errs.Unavailable, "workflow.no_script_runner", "no script runner configured: the script action cannot run"))
		}
		if err := s.scripts.RunScript(ctx, a.Script, ScriptInput{Workflow: w.Name, Object: in.object, Record: in.record, Old: in.old}); err != nil {
			return "", err
		}
		return "ran script " + a.Script, nil
	}
	return "", jobs.Permanent(fmt.Errorf("unknown action type %q", a.Type))
}

var placeholderRe = regexp.MustCompile(`\{\{\s*(record\.[A-Za-z_][A-Za-z0-9_]*|now)\s*\}\}`)

// render fills {{record.field}} and {{now}} placeholders in a JSON value.
func render(v any, rec map[string]any, c clock.Clock) any {
	switch x := v.(type) {
	case string:
		lookup := func(ref string) any {
			if ref == "now" {
				return clock.Stamp(c.Now())
			}
			return rec[strings.TrimPrefix(ref, "record.")]
		}
		if m := placeholderRe.FindStringSubmatch(x); m != nil && m[0] == x {
			return lookup(m[1])
		}
		return placeholderRe.ReplaceAllStringFunc(x, func(s string) string {
			val := lookup(placeholderRe.FindStringSubmatch(s)[1])
			switch t := val.(type) {
			case nil:
				return ""
			case string:
				return t
			default:
				b, _ := json.Marshal(t)
				return string(b)
			}
		})
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = render(e, rec, c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for k, e := range x {
			out[k] = render(e, rec, c)
		}
		return out
	}
	return v
}

// notify writes one in-app notification per recipient; ids derived from
// the run make a retried action write nothing twice.
func (s *Service) notify(ctx context.Context, j *jobs.Job, w *compiled, i int, in runInput) (string, error) {
	a := &w.Actions[i]
	title, _ := render(a.Title, in.record, s.clock).(string)
	body, _ := render(a.Body, in.record, s.clock).(string)
	sent := 0
	for _, u := range a.Users {
		if u == "owner" {
			u, _ = in.record["owner"].(string)
		}
		if u == "" {
			continue
		}
		sum := sha256.Sum256([]byte(fmt.Sprintf("%s:%d:%s", j.ID, i, u)))
		doc := store.Doc{"id": "n" + hex.EncodeToString(sum[:12]), "user": u, "title": title, "body": body,
			"workflow": w.Name, "createdAt": clock.Stamp(s.clock.Now()), "read": false}
		if in.object != "" {
			doc["object"] = in.object
		}
		if in.recID != "" {
			doc["record"] = in.recID
		}
		if _, err := s.st.Insert(ctx, j.Tenant, notifColl, doc); err != nil && !errors.Is(err, store.ErrDuplicate) {
			return "", err
		}
		sent++
	}
	return fmt.Sprintf("notified %d users", sent), nil
}

// Notification is one in-app notification.
type Notification struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Body      string `json:"body,omitempty"`
	Workflow  string `json:"workflow"`
	Object    string `json:"object,omitempty"`
	Record    string `json:"record,omitempty"`
	CreatedAt string `json:"createdAt"`
	Read      bool   `json:"read"`
}

// Notifications returns a user's latest notifications, newest first.
func (s *Service) Notifications(ctx context.Context, tenant, user string, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	page, err := s.st.Find(ctx, tenant, notifColl, store.Query{Filter: store.Eq("user", user),
		Sort: []store.SortKey{{Field: "user"}, {Field: "createdAt", Desc: true}}, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("workflows: notifications: %w", err)
	}
	out := []Notification{}
	for _, d := range page.Items {
		read, _ := d["read"].(bool)
		out = append(out, Notification{ID: str(d, "id"), Title: str(d, "title"), Body: str(d, "body"), Workflow: str(d, "workflow"),
			Object: str(d, "object"), Record: str(d, "record"), CreatedAt: str(d, "createdAt"), Read: read})
	}
	return out, nil
}

// Runs lists the latest runs of a workflow, or of every workflow on one
// record when workflow is empty, newest first.
func (s *Service) Runs(ctx context.Context, tenant, workflow, object, record string, limit int) ([]Run, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := store.Query{Limit: limit}
	if workflow != "" {
		q.Filter = store.Eq("workflow", workflow)
		q.Sort = []store.SortKey{{Field: "workflow"}, {Field: "startedAt", Desc: true}}
	} else {
		q.Filter = store.And{store.Eq("object", object), store.Eq("record", record)}
		q.Sort = []store.SortKey{{Field: "object"}, {Field: "record"}, {Field: "startedAt", Desc: true}}
	}
	page, err := s.st.Find(ctx, tenant, runsColl, q)
	if err != nil {
		return nil, fmt.Errorf("workflows: runs: %w", err)
	}
	out := []Run{}
	for _, d := range page.Items {
		r := Run{ID: str(d, "id"), Workflow: str(d, "workflow"), WorkflowVersion: num(d, "workflowVersion"), Trigger: str(d, "trigger"),
			Object: str(d, "object"), Record: str(d, "record"), Status: str(d, "status"), Attempts: num(d, "attempts"),
			StartedAt: str(d, "startedAt"), FinishedAt: str(d, "finishedAt"), Error: str(d, "error"), Actions: []ActionRun{}}
		acts, _ := d["actions"].([]any)
		for _, a := range acts {
			m, _ := a.(map[string]any)
			r.Actions = append(r.Actions, ActionRun{Type: str(m, "type"), Status: str(m, "status"), Detail: str(m, "detail"),
				Error: str(m, "error"), At: str(m, "at")})
		}
		out = append(out, r)
	}
	return out, nil
}

func str(d map[string]any, k string) string {
	v, _ := d[k].(string)
	return v
}

func num(d map[string]any, k string) int64 {
	switch v := store.NormalizeValue(d[k]).(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return 0
}

func marshal(d Definition) (string, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("workflows: encode: %w", err)
	}
	return string(raw), nil
}

func unmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
