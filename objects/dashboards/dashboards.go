// Package dashboards keeps the users' saved dashboards: a label and the
// charts the studio draws from the aggregate API. A dashboard belongs to
// the user who saved it; a shared one is readable by every user of the
// tenant, and only its owner or an admin changes it. The charts are the
// studio's JSON, kept as given (checked for shape and size only): the data
// they show is read through the record service with the viewer's
// permissions when the dashboard is drawn, never stored here.
//
// It imports platform packages only.
package dashboards

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

const coll = "_dashboards"

// Limits of a dashboard.
const (
	MaxCharts     = 50
	MaxLabel      = 200
	MaxDashboards = 200 // per user
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// Dashboard is a saved dashboard.
type Dashboard struct {
	Name      string           `json:"name"`
	Label     string           `json:"label"`
	Shared    bool             `json:"shared"`
	Charts    []map[string]any `json:"charts"`
	Owner     string           `json:"owner"`
	UpdatedAt string           `json:"updatedAt"`
	Version   int64            `json:"version"`
}

// Input is what a user saves.
type Input struct {
	Label  string           `json:"label"`
	Shared bool             `json:"shared"`
	Charts []map[string]any `json:"charts"`
}

// Service stores dashboards.
type Service struct {
	st  store.Store
	now func() time.Time
}

// New returns the service.
func New(st store.Store) *Service { return &Service{st: st, now: time.Now} }

// Provision creates a new tenant's dashboard collection and its index.
func (s *Service) Provision(ctx context.Context, tenant string) error {
	if err := s.st.EnsureCollection(ctx, tenant, coll); err != nil {
		return err
	}
	return s.st.SyncIndexes(ctx, tenant, coll, []store.Index{{Name: "owner", Keys: []store.IndexKey{{Field: "owner"}, {Field: "name"}}}})
}

// List returns the caller's dashboards and the shared ones, by name.
func (s *Service) List(ctx context.Context) ([]Dashboard, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	var out []Dashboard
	q := store.Query{Filter: store.Or{store.Eq("owner", p.UserID), store.Eq("shared", true)},
		Sort: []store.SortKey{{Field: "name"}}, Limit: 1000}
	for {
		page, err := s.st.Find(ctx, p.TenantID, coll, q)
		if err != nil {
			return nil, fmt.Errorf("dashboards: list: %w", err)
		}
		for _, d := range page.Items {
			out = append(out, decode(d))
		}
		if page.Next == nil {
			return out, nil
		}
		q.After = page.Next
	}
}

// Get returns one dashboard by name: the caller's own, else a shared one of
// that name.
func (s *Service) Get(ctx context.Context, name string) (*Dashboard, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, err
	}
	if doc, err := s.st.Get(ctx, p.TenantID, coll, docID(p.UserID, name), nil); err == nil {
		d := decode(doc)
		return &d, nil
	} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalidName) {
		return nil, fmt.Errorf("dashboards: get: %w", err)
	}
	page, err := s.st.Find(ctx, p.TenantID, coll, store.Query{
		Filter: store.And{store.Eq("name", name), store.Eq("shared", true)}, Sort: []store.SortKey{{Field: "owner"}}, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("dashboards: get: %w", err)
	}
	if len(page.Items) == 0 {
		return nil, notFound(name)
	}
	d := decode(page.Items[0])
	return &d, nil
}

// Put saves the caller's dashboard of that name; created tells whether it
// is new.
func (s *Service) Put(ctx context.Context, name string, in Input) (d *Dashboard, created bool, err error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := check(name, in); err != nil {
		return nil, false, err
	}
	charts := make([]any, len(in.Charts))
	for i, c := range in.Charts {
		charts[i] = c
	}
	doc := store.Doc{"id": docID(p.UserID, name), "name": name, "owner": p.UserID, "label": strings.TrimSpace(in.Label),
		"shared": in.Shared, "charts": charts, "updatedAt": s.now().UTC().Format(time.RFC3339Nano)}
	saved, err := s.st.Update(ctx, p.TenantID, coll, doc, 0)
	if errors.Is(err, store.ErrNotFound) {
		n, cerr := s.st.Count(ctx, p.TenantID, coll, store.Eq("owner", p.UserID))
		if cerr != nil {
			return nil, false, fmt.Errorf("dashboards: put: %w", cerr)
		}
		if n >= MaxDashboards {
			return nil, false, errs.New(errs.Conflict, "dashboard.too_many", "a user keeps at most %d dashboards; delete one first", MaxDashboards)
		}
		saved, err = s.st.Insert(ctx, p.TenantID, coll, doc)
		created = true
	}
	if err != nil {
		return nil, false, fmt.Errorf("dashboards: put: %w", err)
	}
	out := decode(saved)
	return &out, created, nil
}

// Delete removes the caller's dashboard of that name. An admin may remove
// another user's shared dashboard by giving its owner.
func (s *Service) Delete(ctx context.Context, name, owner string) error {
	p, err := principal(ctx)
	if err != nil {
		return err
	}
	if owner == "" {
		owner = p.UserID
	}
	if owner != p.UserID && !p.IsAdmin() {
		return errs.New(errs.Forbidden, "dashboard.not_owner", "only the owner or an admin may delete this dashboard")
	}
	err = s.st.Delete(ctx, p.TenantID, coll, docID(owner, name), 0)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidName) {
		return notFound(name)
	}
	if err != nil {
		return fmt.Errorf("dashboards: delete: %w", err)
	}
	return nil
}

func check(name string, in Input) error {
	bad := errs.New(errs.Invalid, "dashboard.invalid", "the dashboard is not valid")
	if !nameRE.MatchString(name) {
		bad = bad.WithField("name", "pattern", "a lower-case letter, then up to 63 letters, digits, _ or -")
	}
	label := strings.TrimSpace(in.Label)
	switch {
	case label == "":
		bad = bad.WithField("label", "required", "give the dashboard a label")
	case len(label) > MaxLabel:
		bad = bad.WithField("label", "maxLength", fmt.Sprintf("at most %d characters", MaxLabel))
	}
	if len(in.Charts) > MaxCharts {
		bad = bad.WithField("charts", "maxItems", fmt.Sprintf("at most %d charts", MaxCharts))
	}
	for i, c := range in.Charts {
		if c == nil {
			bad = bad.WithField(fmt.Sprintf("charts/%d", i), "type", "each chart is an object")
		}
	}
	if len(bad.Fields) > 0 {
		return bad
	}
	return nil
}

func decode(d store.Doc) Dashboard {
	out := Dashboard{Charts: []map[string]any{}}
	out.Name, _ = d["name"].(string)
	out.Label, _ = d["label"].(string)
	out.Shared, _ = d["shared"].(bool)
	out.Owner, _ = d["owner"].(string)
	out.UpdatedAt, _ = d["updatedAt"].(string)
	out.Version, _ = store.NormalizeValue(d["version"]).(int64)
	if cs, ok := d["charts"].([]any); ok {
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				out.Charts = append(out.Charts, m)
			}
		}
	}
	return out
}

func docID(owner, name string) string { return owner + "." + name }

func notFound(name string) error {
	return errs.New(errs.NotFound, "dashboard.not_found", "no dashboard named %q", name)
}

func principal(ctx context.Context) (identity.Principal, error) {
	p, ok := identity.PrincipalFrom(ctx)
	if !ok {
		return identity.Principal{}, errs.New(errs.Unauthenticated, "auth.missing_credential", "no authenticated caller")
	}
	return p, nil
}
