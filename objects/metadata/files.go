package metadata

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
)

// A tenant's metadata as files, for version control and for moving changes
// between tenants:
//
//	DIR/objects/<apiName>.json
//	DIR/layouts/<object>/<name>.json
//	DIR/listviews/<object>/<name>.json
//
// Every file is the definition as stored, indented with two spaces and ended
// by a newline, so pull -> push -> pull gives the same bytes.

// Pull writes the tenant's metadata into dir, replacing the JSON files that
// a previous pull left there.
func (s *Service) Pull(ctx context.Context, tenant, dir string) (int, error) {
	objs, err := s.Objects(ctx, tenant)
	if err != nil {
		return 0, err
	}
	files := map[string][]byte{}
	for name, e := range objs {
		files[filepath.Join("objects", name+".json")] = e.Object.Raw
		for _, kind := range []string{KindLayout, KindListView} {
			views, err := s.Views(ctx, tenant, kind, name)
			if err != nil {
				return 0, err
			}
			for _, v := range views {
				files[filepath.Join(kind+"s", name, v.Name+".json")] = v.Definition
			}
		}
	}
	for _, sub := range []string{"objects", "layouts", "listviews"} {
		if err := removeJSON(filepath.Join(dir, sub)); err != nil {
			return 0, err
		}
	}
	for rel, raw := range files {
		out, err := pretty(raw)
		if err != nil {
			return 0, fmt.Errorf("metadata: pull %s: %w", rel, err)
		}
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(p, out, 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}

func removeJSON(dir string) error {
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			return os.Remove(p)
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

func pretty(raw []byte) ([]byte, error) {
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// PushReport says what a push changed.
type PushReport struct {
	Objects []string `json:"objects"` // created or changed
	Views   []string `json:"views"`
}

// Push applies the metadata files of dir to the tenant. Every object is
// parsed and dry-run first (against the tenant's records), so a bad file
// stops the push before anything is written; then objects are applied in
// dependency order (lookup targets first), then layouts and list views.
func (s *Service) Push(ctx context.Context, tenant, dir, by string) (PushReport, error) {
	var rep PushReport
	defs, err := readDir(filepath.Join(dir, "objects"))
	if err != nil {
		return rep, err
	}
	parsed := map[string]*schema.Object{}
	for name, raw := range defs {
		o, err := schema.Parse(name, raw)
		if err != nil {
			return rep, fileError("objects/"+name+".json", err)
		}
		parsed[name] = o
	}
	order, err := dependencyOrder(parsed)
	if err != nil {
		return rep, err
	}
	current, err := s.Objects(ctx, tenant)
	if err != nil {
		return rep, err
	}
	for _, name := range order {
		if _, exists := current[name]; !exists {
			continue // a new object has no records to check; references are checked on apply
		}
		if _, _, err := s.Put(ctx, tenant, name, defs[name], PutOptions{By: by, DryRun: true}); err != nil {
			return rep, fileError("objects/"+name+".json", err)
		}
	}
	for _, name := range order {
		before := current[name]
		e, _, err := s.Put(ctx, tenant, name, defs[name], PutOptions{By: by})
		if err != nil {
			return rep, fileError("objects/"+name+".json", err)
		}
		if before == nil || e.Version != before.Version {
			rep.Objects = append(rep.Objects, name)
		}
	}
	for _, kind := range []string{KindLayout, KindListView} {
		root := filepath.Join(dir, kind+"s")
		objects, _ := os.ReadDir(root)
		for _, od := range objects {
			if !od.IsDir() {
				continue
			}
			views, err := readDir(filepath.Join(root, od.Name()))
			if err != nil {
				return rep, err
			}
			names := make([]string, 0, len(views))
			for n := range views {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				old, _ := s.GetView(ctx, tenant, kind, od.Name(), n)
				if old != nil && bytes.Equal(old.Definition, views[n]) {
					continue
				}
				if _, _, err := s.PutView(ctx, tenant, kind, od.Name(), n, views[n], by); err != nil {
					return rep, fileError(kind+"s/"+od.Name()+"/"+n+".json", err)
				}
				rep.Views = append(rep.Views, kind+"s/"+od.Name()+"/"+n)
			}
		}
	}
	return rep, nil
}

func readDir(dir string) (map[string][]byte, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(e.Name(), ".json")] = b
	}
	return out, nil
}

// dependencyOrder sorts objects so that lookup and roll-up targets in the
// set come first; a cycle is refused (push those objects in two steps).
func dependencyOrder(objs map[string]*schema.Object) ([]string, error) {
	names := make([]string, 0, len(objs))
	for n := range objs {
		names = append(names, n)
	}
	sort.Strings(names)
	state := map[string]int{} // 1 visiting, 2 done
	var order []string
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return errs.New(errs.Invalid, "metadata.cycle", "objects refer to each other in a cycle through %s: push one without the lookup first", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, f := range objs[n].Fields {
			if t := f.Target; t != "" && t != n && objs[t] != nil {
				if err := visit(t); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func fileError(file string, err error) error {
	if e := errs.As(err); e != nil {
		c := *e
		c.Message = file + ": " + e.Message
		return &c
	}
	return fmt.Errorf("%s: %w", file, err)
}
