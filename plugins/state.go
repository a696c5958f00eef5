package plugins

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

const pluginsColl = "_plugins"

// Installation states of a package in a tenant.
const (
	StateInstalling = "installing" // an install started and has not finished
	StateInstalled  = "installed"
	StateUpgrading  = "upgrading" // an upgrade started and has not finished
)

// Installed is a package as installed in a tenant.
type Installed struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	State       string `json:"state"`
	// Target is the version an unfinished install or upgrade goes to.
	Target      string `json:"target,omitempty"`
	InstalledAt string `json:"installedAt"`
	UpdatedAt   string `json:"updatedAt"`
	UpdatedBy   string `json:"updatedBy"`

	files   map[string][]byte // the package at Version: the base of the next upgrade
	seeded  []seeded
	version int64 // the store's document version
}

// seeded is one record a package's seed created.
type seeded struct {
	Object string
	Index  int
	ID     string
}

func (s *Service) loadInstalled(ctx context.Context, tenant, name string) (*Installed, error) {
	d, err := s.st.Get(ctx, tenant, pluginsColl, name, nil)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUnknownCollection) || errors.Is(err, store.ErrInvalidName) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plugins: read %s: %w", name, err)
	}
	return installedOf(d), nil
}

// ListInstalled returns the tenant's installed packages by name.
func (s *Service) ListInstalled(ctx context.Context, tenant string) ([]Installed, error) {
	out := []Installed{}
	q := store.Query{Limit: 200, Fields: []string{"name", "packageVersion", "description", "state", "target", "installedAt", "updatedAt", "updatedBy"}}
	for {
		page, err := s.st.Find(ctx, tenant, pluginsColl, q)
		if errors.Is(err, store.ErrUnknownCollection) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("plugins: list installed: %w", err)
		}
		for _, d := range page.Items {
			out = append(out, *installedOf(d))
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func installedOf(d store.Doc) *Installed {
	str := func(k string) string { s, _ := d[k].(string); return s }
	in := &Installed{Name: str("name"), Description: str("description"), State: str("state"),
		Target: str("target"), InstalledAt: str("installedAt"), UpdatedAt: str("updatedAt"), UpdatedBy: str("updatedBy"),
		files: map[string][]byte{}}
	// "version" is the store's document version; the package's is kept as
	// "packageVersion".
	in.version, _ = store.NormalizeValue(d["version"]).(int64)
	in.Version = str("packageVersion")
	if fs, ok := d["files"].([]any); ok {
		for _, f := range fs {
			m, _ := f.(map[string]any)
			p, _ := m["path"].(string)
			c, _ := m["content"].(string)
			in.files[p] = []byte(c)
		}
	}
	if ss, ok := d["seeded"].([]any); ok {
		for _, x := range ss {
			m, _ := x.(map[string]any)
			o, _ := m["object"].(string)
			id, _ := m["id"].(string)
			n, _ := store.NormalizeValue(m["index"]).(int64)
			in.seeded = append(in.seeded, seeded{Object: o, Index: int(n), ID: id})
		}
	}
	return in
}

func (in *Installed) doc() store.Doc {
	files := make([]any, 0, len(in.files))
	for _, p := range sortedKeys(in.files) {
		files = append(files, map[string]any{"path": p, "content": string(in.files[p])})
	}
	seeds := make([]any, 0, len(in.seeded))
	for _, s := range in.seeded {
		seeds = append(seeds, map[string]any{"object": s.Object, "index": int64(s.Index), "id": s.ID})
	}
	return store.Doc{"id": in.Name, "name": in.Name, "packageVersion": in.Version, "description": in.Description,
		"state": in.State, "target": in.Target, "installedAt": in.InstalledAt, "updatedAt": in.UpdatedAt,
		"updatedBy": in.UpdatedBy, "files": files, "seeded": seeds}
}

// saveInstalled writes the record with a version check; create inserts it
// (a concurrent install of the same package is a 409).
func (s *Service) saveInstalled(ctx context.Context, tenant string, in *Installed, create bool) error {
	if err := s.st.EnsureCollection(ctx, tenant, pluginsColl); err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	var saved store.Doc
	var err error
	if create {
		saved, err = s.st.Insert(ctx, tenant, pluginsColl, in.doc())
	} else {
		saved, err = s.st.Update(ctx, tenant, pluginsColl, in.doc(), in.version)
	}
	if errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrVersionConflict) {
		return errs.New(errs.Conflict, "plugin.concurrent_change", "the package %s is being changed by someone else; look at its state and try again", in.Name).WithCause(err)
	}
	if err != nil {
		return fmt.Errorf("plugins: save %s: %w", in.Name, err)
	}
	in.version, _ = store.NormalizeValue(saved["version"]).(int64)
	return nil
}

func (s *Service) deleteInstalled(ctx context.Context, tenant string, in *Installed) error {
	err := s.st.Delete(ctx, tenant, pluginsColl, in.Name, in.version)
	if errors.Is(err, store.ErrVersionConflict) {
		return errs.New(errs.Conflict, "plugin.concurrent_change", "the package %s was changed by someone else meanwhile", in.Name)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("plugins: forget %s: %w", in.Name, err)
	}
	return nil
}
