// Package workflows owns automation: workflow definitions (metadata,
// versioned with history), the records hook that turns every record change
// into an outbox event, the dispatch of events to matching workflows, time
// triggers relative to a record's date field, cron schedules, the actions
// (update fields, create a record, assign an owner, notify, signed webhook,
// script) and the run history.
//
// Everything runs on platform/jobs: an event is a job enqueued by the
// records After hook with the caller's context (so inside a store
// transaction it is committed with the record or not at all) under an
// idempotency key made of the record id, version and operation; its
// dispatch enqueues one run job per matching workflow under a key made of
// the event and the workflow, and a run records each action done, so a
// retried run skips what it did already.
//
// Actions write records through the record service (the one pipeline) as
// the workflow's run-as user; a workflow whose actions trigger workflows
// is bounded by Config.MaxChain.
//
// It imports objects/records, objects/metadata, objects/schema,
// objects/formula, objects/query and platform packages; never the HTTP edge
// or the JavaScript runtime (ScriptRunner is its port).
package workflows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/clock"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/jobs"
	"github.com/opencrm/crm/platform/store"
)

// Collections of each tenant that this package owns.
const (
	defsColl     = "_workflows"
	historyColl  = "_workflows_history"
	runsColl     = "_workflow_runs"
	notifColl    = "_notifications"
	settingsColl = "_workflow_settings"
)

// Job kinds this package registers.
const (
	KindEvent    = "workflow.event"    // an outbox event: dispatch to workflows
	KindRun      = "workflow.run"      // run one workflow for one event
	KindTimer    = "workflow.timer"    // a time trigger came due
	KindCron     = "workflow.cron"     // a schedule came due
	KindWebhook  = "workflow.webhook"  // deliver one webhook
	KindBackfill = "workflow.backfill" // schedule the timers of existing records
)

// Config tunes the service. The zero value is usable.
type Config struct {
	// RefreshInterval is how stale a node's cache of definitions may be
	// (default 1 s).
	RefreshInterval time.Duration
	// MaxChain bounds workflows triggered by workflows' writes (default 5).
	MaxChain int
	// HTTPClient sends webhooks; default a client with a 10 s timeout that
	// does not follow redirects.
	HTTPClient *http.Client
	// Log receives failures; default discards.
	Log *slog.Logger
}

// Users resolves run-as users and assignees; the identity service
// implements it.
type Users interface {
	GetUser(ctx context.Context, tenant, id string) (identity.User, error)
}

// Records is the part of the record service that actions use.
type Records interface {
	Get(ctx context.Context, object, id string, opt records.GetOptions) (*records.Record, error)
	Create(ctx context.Context, object string, input map[string]any) (*records.Record, error)
	Update(ctx context.Context, object, id string, patch map[string]any, ifMatch int64) (*records.Record, error)
}

// ScriptRunner runs a named script for the script action; the JavaScript
// runtime implements it. ctx carries the run-as principal.
type ScriptRunner interface {
	RunScript(ctx context.Context, script string, in ScriptInput) error
}

// ScriptInput is what a workflow passes to a script.
type ScriptInput struct {
	Workflow string
	Object   string
	Record   map[string]any
	Old      map[string]any
}

// Service is the workflow service. It is safe for concurrent use.
type Service struct {
	st      store.Store
	jobs    *jobs.Service
	meta    *metadata.Service
	users   Users
	recs    Records
	scripts ScriptRunner
	clock   clock.Clock
	cfg     Config
	http    *http.Client

	mu    sync.Mutex
	cache map[string]*tenantDefs
}

type tenantDefs struct {
	loaded time.Time
	byName map[string]*compiled
}

// New returns the service. Bind the record service before running jobs.
func New(st store.Store, js *jobs.Service, meta *metadata.Service, users Users, cfg Config) *Service {
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = time.Second
	}
	if cfg.MaxChain <= 0 {
		cfg.MaxChain = 5
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second,
			// NB: a redirect could lead outside the allow-list.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return &Service{st: st, jobs: js, meta: meta, users: users, clock: js.Clock(), cfg: cfg, http: hc,
		cache: map[string]*tenantDefs{}}
}

// Bind sets the record service the actions write through. The record
// service is built with this service's Hook, so it comes second.
func (s *Service) Bind(r Records) { s.recs = r }

// SetScriptRunner plugs in the script action's runtime.
func (s *Service) SetScriptRunner(r ScriptRunner) { s.scripts = r }

// Register adds this package's job handlers to a runner.
func (s *Service) Register(r *jobs.Runner) {
	r.Register(KindEvent, s.dispatch)
	r.Register(KindRun, s.runJob)
	r.Register(KindTimer, s.timerJob)
	r.Register(KindCron, s.cronJob)
	r.Register(KindWebhook, s.webhookJob)
	r.Register(KindBackfill, s.backfillJob)
}

// Provision creates a tenant's workflow collections and its settings.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	for _, c := range []struct {
		name string
		idx  []store.Index
	}{
		{defsColl, nil},
		{historyColl, []store.Index{{Name: "workflow_version", Keys: []store.IndexKey{{Field: "workflow"}, {Field: "workflowVersion"}}}}},
		{runsColl, []store.Index{
			{Name: "workflow_started", Keys: []store.IndexKey{{Field: "workflow"}, {Field: "startedAt", Desc: true}}},
			{Name: "record_started", Keys: []store.IndexKey{{Field: "object"}, {Field: "record"}, {Field: "startedAt", Desc: true}}}}},
		{notifColl, []store.Index{{Name: "user_created", Keys: []store.IndexKey{{Field: "user"}, {Field: "createdAt", Desc: true}}}}},
		{settingsColl, nil},
	} {
		if err := s.st.EnsureCollection(ctx, tenant, c.name); err != nil {
			return fmt.Errorf("workflows: provision %s: %w", c.name, err)
		}
		if err := s.st.SyncIndexes(ctx, tenant, c.name, c.idx); err != nil {
			return fmt.Errorf("workflows: provision %s: %w", c.name, err)
		}
	}
	_, err := s.Settings(ctx, tenant)
	return err
}

// Workflow is a stored workflow.
type Workflow struct {
	Name       string     `json:"name"`
	Version    int64      `json:"version"`
	UpdatedAt  string     `json:"updatedAt"`
	UpdatedBy  string     `json:"updatedBy"`
	Definition Definition `json:"definition"`
}

// Put creates or replaces a workflow after checking it; created is true for
// a new one. A time trigger schedules the timers of the records that
// already qualify; a schedule enqueues its next run.
func (s *Service) Put(ctx context.Context, tenant, name string, raw []byte, by string) (*Workflow, bool, error) {
	w, err := s.parse(ctx, tenant, name, raw)
	if err != nil {
		return nil, false, err
	}
	if w.RunAs == "" {
		w.RunAs = by
	}
	def, err := marshal(w.Definition)
	if err != nil {
		return nil, false, err
	}
	now := clock.Stamp(s.clock.Now())
	doc := store.Doc{"id": name, "definition": def, "updatedAt": now, "updatedBy": by}
	created := false
	saved, err := s.st.Update(ctx, tenant, defsColl, doc, 0)
	if errors.Is(err, store.ErrNotFound) {
		created = true
		saved, err = s.st.Insert(ctx, tenant, defsColl, doc)
	}
	if err != nil {
		return nil, false, fmt.Errorf("workflows: save %s: %w", name, err)
	}
	w.Version, w.By = num(saved, "version"), by
	op := "updated"
	if created {
		op = "created"
	}
	if err := s.appendHistory(ctx, tenant, name, w.Version, op, def, by); err != nil {
		return nil, false, err
	}
	s.forget(tenant)
	if err := s.schedule(ctx, tenant, w); err != nil {
		return nil, false, err
	}
	return &Workflow{Name: name, Version: w.Version, UpdatedAt: now, UpdatedBy: by, Definition: w.Definition}, created, nil
}

// schedule starts what a new version of a workflow needs in the background.
func (s *Service) schedule(ctx context.Context, tenant string, w *compiled) error {
	if !w.Active {
		return nil
	}
	var err error
	switch w.Trigger.Type {
	case OnTime:
		_, _, err = s.jobs.Enqueue(ctx, tenant, jobs.Spec{Kind: KindBackfill, Key: fmt.Sprintf("%s:%d", w.Name, w.Version),
			Payload: map[string]any{"workflow": w.Name, "version": w.Version}})
	case OnSchedule:
		err = s.enqueueCron(ctx, tenant, w, s.clock.Now())
	}
	return err
}

func (s *Service) appendHistory(ctx context.Context, tenant, name string, version int64, op, def, by string) error {
	_, err := s.st.Insert(ctx, tenant, historyColl, store.Doc{"id": fmt.Sprintf("%s.%d", name, version),
		"workflow": name, "workflowVersion": version, "op": op, "definition": def,
		"at": clock.Stamp(s.clock.Now()), "by": by})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("workflows: history of %s: %w", name, err)
	}
	return nil
}

// Get returns one workflow.
func (s *Service) Get(ctx context.Context, tenant, name string) (*Workflow, error) {
	d, err := s.st.Get(ctx, tenant, defsColl, name, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) || errors.Is(err, store.ErrUnknownCollection) {
		return nil, errs.New(errs.NotFound, "workflow.not_found", "no workflow named %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("workflows: get %s: %w", name, err)
	}
	return workflowOf(d)
}

// List returns the tenant's workflows in name order.
func (s *Service) List(ctx context.Context, tenant string) ([]*Workflow, error) {
	page, err := s.st.Find(ctx, tenant, defsColl, store.Query{Limit: 1000})
	if err != nil {
		return nil, fmt.Errorf("workflows: list: %w", err)
	}
	out := make([]*Workflow, 0, len(page.Items))
	for _, d := range page.Items {
		w, err := workflowOf(d)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes a workflow; its queued timers and schedules find it gone
// when due and do nothing. The history keeps its versions.
func (s *Service) Delete(ctx context.Context, tenant, name, by string) error {
	d, err := s.st.Get(ctx, tenant, defsColl, name, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return errs.New(errs.NotFound, "workflow.not_found", "no workflow named %q", name)
	}
	if err != nil {
		return fmt.Errorf("workflows: delete %s: %w", name, err)
	}
	if err := s.st.Delete(ctx, tenant, defsColl, name, 0); err != nil {
		return fmt.Errorf("workflows: delete %s: %w", name, err)
	}
	def, _ := d["definition"].(string)
	s.forget(tenant)
	return s.appendHistory(ctx, tenant, name, num(d, "version")+1, "deleted", def, by)
}

// Version is one entry of a workflow's history.
type Version struct {
	Version    int64  `json:"version"`
	Op         string `json:"op"`
	At         string `json:"at"`
	By         string `json:"by"`
	Definition any    `json:"definition"`
}

// History lists a workflow's versions, newest first.
func (s *Service) History(ctx context.Context, tenant, name string) ([]Version, error) {
	page, err := s.st.Find(ctx, tenant, historyColl, store.Query{Filter: store.Eq("workflow", name),
		Sort: []store.SortKey{{Field: "workflowVersion", Desc: true}}, Limit: 200})
	if err != nil {
		return nil, fmt.Errorf("workflows: history: %w", err)
	}
	if len(page.Items) == 0 {
		return nil, errs.New(errs.NotFound, "workflow.not_found", "no workflow named %q", name)
	}
	out := []Version{}
	for _, d := range page.Items {
		var def any
		_ = unmarshal(str(d, "definition"), &def)
		out = append(out, Version{Version: num(d, "workflowVersion"), Op: str(d, "op"), At: str(d, "at"), By: str(d, "by"), Definition: def})
	}
	return out, nil
}

// active returns the tenant's active workflows, compiled, from a cache at
// most RefreshInterval old. A definition that no longer compiles (its
// object changed) is skipped and logged.
func (s *Service) active(ctx context.Context, tenant string) (map[string]*compiled, error) {
	now := s.clock.Now()
	s.mu.Lock()
	td := s.cache[tenant]
	s.mu.Unlock()
	if td != nil && now.Sub(td.loaded) < s.cfg.RefreshInterval && now.Sub(td.loaded) >= 0 {
		return td.byName, nil
	}
	page, err := s.st.Find(ctx, tenant, defsColl, store.Query{Limit: 1000})
	if errors.Is(err, store.ErrUnknownCollection) {
		page, err = store.Page{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workflows: load: %w", err)
	}
	out := map[string]*compiled{}
	for _, d := range page.Items {
		name := str(d, "id")
		w, err := s.parse(ctx, tenant, name, []byte(str(d, "definition")))
		if err != nil {
			s.cfg.Log.Warn("workflows: stored workflow no longer checks", "tenant", tenant, "workflow", name, "err", err)
			continue
		}
		if !w.Active {
			continue
		}
		w.Version, w.By = num(d, "version"), str(d, "updatedBy")
		out[name] = w
	}
	s.mu.Lock()
	s.cache[tenant] = &tenantDefs{loaded: now, byName: out}
	s.mu.Unlock()
	return out, nil
}

func (s *Service) forget(tenant string) {
	s.mu.Lock()
	delete(s.cache, tenant)
	s.mu.Unlock()
}

func workflowOf(d store.Doc) (*Workflow, error) {
	w := &Workflow{Name: str(d, "id"), Version: num(d, "version"), UpdatedAt: str(d, "updatedAt"), UpdatedBy: str(d, "updatedBy")}
	if err := unmarshal(str(d, "definition"), &w.Definition); err != nil {
		return nil, fmt.Errorf("workflows: stored definition of %s: %w", w.Name, err)
	}
	return w, nil
}

// principal is the run-as user of a workflow as a caller of the record
// service.
func (s *Service) principal(ctx context.Context, tenant string, w *compiled) (identity.Principal, error) {
	uid := w.RunAs
	if uid == "" {
		uid = w.By
	}
	u, err := s.users.GetUser(ctx, tenant, uid)
	if err != nil || !u.Active {
		return identity.Principal{}, jobs.Permanent(errs.New(errs.Invalid, "workflow.run_as_inactive",
			"the workflow %s runs as user %s, who is not an active user", w.Name, uid))
	}
	return identity.Principal{TenantID: tenant, UserID: u.ID, Email: u.Email, Name: u.Name, Roles: u.Roles,
		Manager: u.Manager, CredentialKind: "workflow", CredentialID: w.Name}, nil
}

type chainKey struct{}

// chain is how many workflow runs led to the write in ctx (0 for a write
// by a person).
func chain(ctx context.Context) int {
	n, _ := ctx.Value(chainKey{}).(int)
	return n
}
