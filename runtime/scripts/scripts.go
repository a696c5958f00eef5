// Package scripts plugs consultants' JavaScript into the record pipeline: it
// keeps each tenant's scripts as versioned metadata ("_scripts"), compiles
// them once per version, runs the ones bound to an object's event as a
// records.Hook through the jsvm sandbox, gives them ctx.records through the
// same record service (so their writes re-enter the pipeline with the
// caller's permissions), offers a test run that saves nothing, and keeps a
// bounded log of recent executions.
//
// It imports runtime/jsvm, objects/records, objects/metadata and platform
// packages; never the HTTP edge.
package scripts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/records"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/runtime/jsvm"
)

const (
	coll        = "_scripts"
	historyColl = "_scripts_history"
	stateID     = "~state"
)

// Events a script may bind to: the record events, and WorkflowEvent, the
// function a workflow's "run a script" action calls.
var Events = []string{"beforeCreate", "afterCreate", "beforeUpdate", "afterUpdate", "beforeDelete", "afterDelete", WorkflowEvent}

// WorkflowEvent is the function a workflow action runs: onWorkflow(ctx), with
// ctx.record the record that triggered the workflow.
const WorkflowEvent = "onWorkflow"

var nameRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9_-]{0,63}$`)

// Script is one stored script.
type Script struct {
	Name   string   `json:"name"`
	Object string   `json:"object"`
	Events []string `json:"events"`
	Source string   `json:"source"`
	Active bool     `json:"active"`
	Order  int      `json:"order"`
	// RunAs is "caller" (default: ctx.records acts with the permissions of
	// the user whose write triggered the script) or "system" (with an
	// admin's rights; only admins may set it).
	RunAs     string `json:"runAs"`
	Version   int64  `json:"version"`
	UpdatedAt string `json:"updatedAt"`
	UpdatedBy string `json:"updatedBy"`
}

// Config tunes the service. The zero value is usable.
type Config struct {
	// RefreshInterval bounds how stale a node's list of scripts may be
	// (default 250 ms).
	RefreshInterval time.Duration
	// RunLog is how many recent executions are kept per tenant (default 200).
	RunLog int
}

// Service is the scripts service.
type Service struct {
	st      store.Store
	meta    *metadata.Service
	records *records.Service
	engine  *jsvm.Engine
	cfg     Config

	mu      sync.Mutex
	tenants map[string]*snapshot
	runs    map[string]*ring
}

type snapshot struct {
	version int64
	checked time.Time
	scripts []*Script
}

// New returns the service. SetRecords must be called before scripts run
// (the record service takes this service as a hook, so the two are built in
// two steps).
func New(st store.Store, meta *metadata.Service, engine *jsvm.Engine, cfg Config) *Service {
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = 250 * time.Millisecond
	}
	if cfg.RunLog == 0 {
		cfg.RunLog = 200
	}
	return &Service{st: st, meta: meta, engine: engine, cfg: cfg, tenants: map[string]*snapshot{}, runs: map[string]*ring{}}
}

// SetRecords gives scripts their ctx.records.
func (s *Service) SetRecords(r *records.Service) { s.records = r }

// Provision creates a new tenant's script collections.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	for _, c := range []string{coll, historyColl} {
		if err := s.st.EnsureCollection(ctx, tenant, c); err != nil {
			return fmt.Errorf("scripts: provision: %w", err)
		}
	}
	return nil
}

// Put creates or replaces a script. It must compile (422 with line and
// column) and name an existing object and known events.
func (s *Service) Put(ctx context.Context, name string, in Script) (*Script, bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, false, err
	}
	bad := errs.New(errs.Invalid, "script.invalid", "the script is invalid")
	if !nameRe.MatchString(name) {
		bad = bad.WithField("name", "pattern", "must be a letter, then up to 63 letters, digits, _ or -")
	}
	if _, err := s.meta.Object(ctx, p.TenantID, in.Object); err != nil {
		bad = bad.WithField("object", "unknown_object", fmt.Sprintf("names no object: %q", in.Object))
	}
	if len(in.Events) == 0 {
		bad = bad.WithField("events", "required", "name at least one event")
	}
	for _, ev := range in.Events {
		if !contains(Events, ev) {
			bad = bad.WithField("events", "enum", fmt.Sprintf("%q is not one of %s", ev, strings.Join(Events, ", ")))
		}
	}
	switch in.RunAs {
	case "", "caller":
		in.RunAs = "caller"
	case "system":
		if !p.IsAdmin() {
			bad = bad.WithField("runAs", "forbidden", "only an admin may let a script run with system rights")
		}
	default:
		bad = bad.WithField("runAs", "enum", `must be "caller" or "system"`)
	}
	if len(in.Source) > 256<<10 {
		bad = bad.WithField("source", "max_length", "at most 256 KiB")
	}
	if len(bad.Fields) > 0 {
		bad.Message = fmt.Sprintf("the script is invalid: %s", bad.Fields[0].Message)
		return nil, false, bad
	}
	prog, err := jsvm.Compile(name, in.Source)
	if err != nil {
		return nil, false, err
	}
	for _, ev := range in.Events {
		if !prog.Has(ev) {
			return nil, false, errs.New(errs.Invalid, "script.invalid", "the script binds %s but defines no function %s", ev, ev).
				WithField("events", "no_function", "no function "+ev+" in the source")
		}
	}
	doc := store.Doc{"id": name, "object": in.Object, "events": toAny(in.Events), "source": in.Source, "active": in.Active,
		"order": int64(in.Order), "runAs": in.RunAs, "updatedAt": stamp(), "updatedBy": p.UserID}
	created := false
	saved, err := s.st.Update(ctx, p.TenantID, coll, doc, 0)
	if errors.Is(err, store.ErrNotFound) {
		created = true
		saved, err = s.st.Insert(ctx, p.TenantID, coll, doc)
	}
	if err != nil {
		return nil, false, fmt.Errorf("scripts: save %s: %w", name, err)
	}
	sc := scriptOf(saved)
	h := store.Doc{"id": id.New(), "script": name, "scriptVersion": sc.Version, "source": sc.Source, "at": sc.UpdatedAt, "by": sc.UpdatedBy}
	if _, err := s.st.Insert(ctx, p.TenantID, historyColl, h); err != nil {
		return nil, false, fmt.Errorf("scripts: history of %s: %w", name, err)
	}
	return sc, created, s.bump(ctx, p.TenantID)
}

// Get returns one script.
func (s *Service) Get(ctx context.Context, name string) (*Script, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.st.Get(ctx, p.TenantID, coll, name, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) || name == stateID {
		return nil, errs.New(errs.NotFound, "script.not_found", "no script named %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("scripts: get %s: %w", name, err)
	}
	return scriptOf(d), nil
}

// List returns the tenant's scripts by object, order and name.
func (s *Service) List(ctx context.Context) ([]*Script, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.load(ctx, p.TenantID)
}

// Delete removes a script.
func (s *Service) Delete(ctx context.Context, name string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	err = s.st.Delete(ctx, p.TenantID, coll, name, 0)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) || name == stateID {
		return errs.New(errs.NotFound, "script.not_found", "no script named %q", name)
	}
	if err != nil {
		return fmt.Errorf("scripts: delete %s: %w", name, err)
	}
	s.engine.Cache().Forget(p.TenantID, name)
	return s.bump(ctx, p.TenantID)
}

// bump records a change so every node reloads the tenant's scripts.
func (s *Service) bump(ctx context.Context, tenant string) error {
	_, err := s.st.Update(ctx, tenant, coll, store.Doc{"id": stateID, "changedAt": stamp()}, 0)
	if errors.Is(err, store.ErrNotFound) {
		_, err = s.st.Insert(ctx, tenant, coll, store.Doc{"id": stateID, "changedAt": stamp()})
	}
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("scripts: bump: %w", err)
	}
	s.mu.Lock()
	delete(s.tenants, tenant)
	s.mu.Unlock()
	return nil
}

// active returns the tenant's scripts, re-read when another node changed
// them (checked at most every RefreshInterval).
func (s *Service) active(ctx context.Context, tenant string) ([]*Script, error) {
	s.mu.Lock()
	snap := s.tenants[tenant]
	s.mu.Unlock()
	now := time.Now()
	if snap != nil && now.Sub(snap.checked) < s.cfg.RefreshInterval {
		return snap.scripts, nil
	}
	var version int64
	d, err := s.st.Get(ctx, tenant, coll, stateID, nil)
	switch {
	case err == nil:
		version, _ = store.NormalizeValue(d["version"]).(int64)
	case errors.Is(err, store.ErrNotFound):
	case errors.Is(err, store.ErrUnknownCollection):
		return nil, nil // a tenant provisioned before scripts existed has none
	default:
		return nil, fmt.Errorf("scripts: state: %w", err)
	}
	if snap != nil && snap.version == version {
		s.mu.Lock()
		snap.checked = now
		s.mu.Unlock()
		return snap.scripts, nil
	}
	list, err := s.load(ctx, tenant)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.tenants[tenant] = &snapshot{version: version, checked: now, scripts: list}
	s.mu.Unlock()
	return list, nil
}

func (s *Service) load(ctx context.Context, tenant string) ([]*Script, error) {
	page, err := s.st.Find(ctx, tenant, coll, store.Query{Limit: 1000})
	if err != nil {
		return nil, fmt.Errorf("scripts: list: %w", err)
	}
	out := []*Script{}
	for _, d := range page.Items {
		if d["id"] == stateID {
			continue
		}
		out = append(out, scriptOf(d))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.Name < b.Name
	})
	return out, nil
}

func scriptOf(d store.Doc) *Script {
	sc := &Script{Events: []string{}}
	sc.Name, _ = d["id"].(string)
	sc.Object, _ = d["object"].(string)
	sc.Source, _ = d["source"].(string)
	sc.Active, _ = d["active"].(bool)
	sc.RunAs, _ = d["runAs"].(string)
	sc.UpdatedAt, _ = d["updatedAt"].(string)
	sc.UpdatedBy, _ = d["updatedBy"].(string)
	o, _ := store.NormalizeValue(d["order"]).(int64)
	sc.Order = int(o)
	sc.Version, _ = store.NormalizeValue(d["version"]).(int64)
	if evs, ok := d["events"].([]any); ok {
		for _, e := range evs {
			if s, ok := e.(string); ok {
				sc.Events = append(sc.Events, s)
			}
		}
	}
	return sc
}

func caller(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok {
		return p, errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func stamp() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }
