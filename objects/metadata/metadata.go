// Package metadata owns a tenant's object definitions in the store: their
// versions and history, the checks and data migrations that make a change
// safe, the live collections and indexes that follow them, and the cache of
// parsed definitions that every request reads.
//
// Definitions are kept in the tenant's "_objects" collection (one document
// per object; the store's document version is the object's version), every
// change is appended to "_objects_history" with who, when and the diff, and
// the "_meta" state document is bumped on every change. Each node caches the
// parsed definitions of a tenant and re-reads the state document at most
// every Config.RefreshInterval, so a change made on another node is seen
// within that interval.
//
// It imports objects/schema, objects/formula and objects/query (to check
// and compile the expressions a definition carries: expressions.go),
// platform/store, platform/errs; never the HTTP edge or the record service.
package metadata

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

const (
	objectsColl = "_objects"
	historyColl = "_objects_history"
	stateColl   = "_meta"
	stateID     = "state"
)

// Config tunes the service. The zero value is usable.
type Config struct {
	// RefreshInterval is how stale a node's cache may be: the tenant's
	// metadata version is re-read at most this often (default 250 ms).
	RefreshInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// MigrateInlineMax is how many records a change may convert inside the
	// request that makes it (default 1,000); a larger conversion asked with
	// PutOptions.Background runs as a migration job (migrations.go).
	MigrateInlineMax int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.RefreshInterval < 0 {
		return errors.New("metadata: RefreshInterval must not be negative")
	}
	if c.MigrateInlineMax < 0 {
		return errors.New("metadata: MigrateInlineMax must not be negative")
	}
	return nil
}

// Service is the metadata service. It is safe for concurrent use. Close
// stops its migration jobs.
type Service struct {
	st  store.Store
	cfg Config

	ctx         context.Context // of migration jobs; cancelled by Close
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	beforeBatch func() // test hook: called before each batch of a job

	mu      sync.Mutex
	tenants map[string]*snapshot
}

// Entry is one object definition as stored.
type Entry struct {
	Object    *schema.Object
	Version   int64
	UpdatedAt string
	UpdatedBy string
}

// Summary is an object in a list.
type Summary struct {
	APIName     string `json:"apiName"`
	Label       string `json:"label"`
	PluralLabel string `json:"pluralLabel"`
	Custom      bool   `json:"custom"`
	Version     int64  `json:"version"`
}

// snapshot is one tenant's parsed definitions at one metadata version.
type snapshot struct {
	mu      sync.Mutex // serialises refreshes
	version int64
	checked time.Time
	objects map[string]*Entry
}

// New returns the service.
func New(st store.Store, cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RefreshInterval == 0 {
		cfg.RefreshInterval = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MigrateInlineMax == 0 {
		cfg.MigrateInlineMax = 1000
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{st: st, cfg: cfg, tenants: map[string]*snapshot{}, ctx: ctx, cancel: cancel}, nil
}

// Provision creates a new tenant's metadata collections.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	for _, c := range []string{objectsColl, historyColl, stateColl, migrationsColl} {
		if err := s.st.EnsureCollection(ctx, tenant, c); err != nil {
			return fmt.Errorf("metadata: provision %s: %w", c, err)
		}
	}
	return s.st.SyncIndexes(ctx, tenant, historyColl, []store.Index{
		{Name: "object_version", Keys: []store.IndexKey{{Field: "object"}, {Field: "objectVersion"}}}})
}

// Object returns the current definition of an object.
func (s *Service) Object(ctx context.Context, tenant, apiName string) (*Entry, error) {
	snap, err := s.snapshot(ctx, tenant, false)
	if err != nil {
		return nil, err
	}
	e, ok := snap.objects[apiName]
	if !ok {
		return nil, errs.New(errs.NotFound, "object.not_found", "no object named %q", apiName)
	}
	return e, nil
}

// List returns the tenant's objects in API-name order.
func (s *Service) List(ctx context.Context, tenant string) ([]Summary, error) {
	snap, err := s.snapshot(ctx, tenant, false)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(snap.objects))
	for _, e := range snap.objects {
		out = append(out, Summary{APIName: e.Object.APIName, Label: e.Object.Label, PluralLabel: e.Object.PluralLabel,
			Custom: isCustom(e.Object), Version: e.Version})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].APIName < out[j].APIName })
	return out, nil
}

// Objects returns every current definition of the tenant, by API name. The
// map must not be changed.
func (s *Service) Objects(ctx context.Context, tenant string) (map[string]*Entry, error) {
	snap, err := s.snapshot(ctx, tenant, false)
	if err != nil {
		return nil, err
	}
	return snap.objects, nil
}

// isCustom: objects installed by a package carry x-crm-package; the rest are
// the tenant's own.
func isCustom(o *schema.Object) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(o.Raw, &top) != nil {
		return true
	}
	_, pkg := top["x-crm-package"]
	return !pkg
}

// snapshot returns the tenant's cached definitions, refreshed when the
// tenant's metadata version changed (checked at most every RefreshInterval,
// or now when fresh is true).
func (s *Service) snapshot(ctx context.Context, tenant string, fresh bool) (*snapshot, error) {
	s.mu.Lock()
	snap := s.tenants[tenant]
	if snap == nil {
		snap = &snapshot{version: -1}
		s.tenants[tenant] = snap
	}
	s.mu.Unlock()

	snap.mu.Lock()
	defer snap.mu.Unlock()
	now := s.cfg.Now()
	if !fresh && snap.version >= 0 && now.Sub(snap.checked) < s.cfg.RefreshInterval {
		return snap, nil
	}
	v, err := s.stateVersion(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if v != snap.version {
		objs, err := s.loadAll(ctx, tenant)
		if err != nil {
			return nil, err
		}
		// Replace rather than mutate: readers may hold the old map.
		snap.objects = objs
		snap.version = v
	}
	snap.checked = now
	return snap, nil
}

func (s *Service) stateVersion(ctx context.Context, tenant string) (int64, error) {
	doc, err := s.st.Get(ctx, tenant, stateColl, stateID, nil)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil
	case errors.Is(err, store.ErrUnknownCollection):
		return 0, errs.New(errs.NotFound, "tenant.not_provisioned", "the tenant has no metadata").WithCause(err)
	case err != nil:
		return 0, fmt.Errorf("metadata: read state: %w", err)
	}
	v, _ := store.NormalizeValue(doc["version"]).(int64)
	return v, nil
}

func (s *Service) bumpState(ctx context.Context, tenant string) error {
	doc, err := s.st.Get(ctx, tenant, stateColl, stateID, nil)
	if errors.Is(err, store.ErrNotFound) {
		_, err = s.st.Insert(ctx, tenant, stateColl, store.Doc{"id": stateID, "changedAt": s.stamp()})
		if errors.Is(err, store.ErrDuplicate) {
			return s.bumpState(ctx, tenant)
		}
		return err
	}
	if err != nil {
		return err
	}
	doc["changedAt"] = s.stamp()
	_, err = s.st.Update(ctx, tenant, stateColl, doc, 0)
	return err
}

func (s *Service) loadAll(ctx context.Context, tenant string) (map[string]*Entry, error) {
	out := map[string]*Entry{}
	q := store.Query{Limit: 500}
	for {
		page, err := s.st.Find(ctx, tenant, objectsColl, q)
		if err != nil {
			return nil, fmt.Errorf("metadata: load objects: %w", err)
		}
		for _, d := range page.Items {
			e, err := entryOf(d)
			if err != nil {
				return nil, err
			}
			out[e.Object.APIName] = e
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

func entryOf(d store.Doc) (*Entry, error) {
	name, _ := d["id"].(string)
	def, _ := d["definition"].(string)
	obj, err := schema.Parse(name, []byte(def))
	if err != nil {
		return nil, fmt.Errorf("metadata: stored definition of %s no longer parses: %w", name, err)
	}
	v, _ := store.NormalizeValue(d["version"]).(int64)
	at, _ := d["updatedAt"].(string)
	by, _ := d["updatedBy"].(string)
	return &Entry{Object: obj, Version: v, UpdatedAt: at, UpdatedBy: by}, nil
}

func (s *Service) stamp() string { return s.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

// forget drops the tenant's cache on this node after a change.
func (s *Service) forget(tenant string) {
	s.mu.Lock()
	delete(s.tenants, tenant)
	s.mu.Unlock()
}

// resolver lets schema.CheckReferences see the tenant's objects with one
// definition replaced by its new version.
type resolver struct {
	objects map[string]*Entry
	next    *schema.Object
}

func (r resolver) Object(apiName string) (*schema.Object, bool) {
	if r.next != nil && apiName == r.next.APIName {
		return r.next, true
	}
	e, ok := r.objects[apiName]
	if !ok {
		return nil, false
	}
	return e.Object, true
}

// Version returns the tenant's metadata version: it changes whenever an
// object, layout or list view changes, so callers can cache what they derive
// from metadata (an OpenAPI document, say) by it.
func (s *Service) Version(ctx context.Context, tenant string) (int64, error) {
	snap, err := s.snapshot(ctx, tenant, false)
	if err != nil {
		return 0, err
	}
	return snap.version, nil
}
