package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/runtime/scripts"
)

// PackageKey is the keyword that marks an object as installed by a package.
const PackageKey = "x-crm-package"

// Package is a parsed and validated package.
type Package struct {
	Manifest Manifest
	// Files are the package's files by slash-separated path, manifest.json
	// included, as read.
	Files map[string][]byte

	objects   map[string]*schema.Object // x-crm-package set
	layouts   map[viewKey][]byte
	listViews map[viewKey][]byte
	scripts   map[string]scripts.Script
	roles     map[string]access.Role
	workflows map[string]workflows.Definition
	wfRaw     map[string][]byte
	rules     map[string]access.SharingRule
	seed      map[string][]map[string]any
}

var (
	workflowNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	scriptNameRe   = regexp.MustCompile(`^[a-z][a-zA-Z0-9_-]{0,63}$`)
)

type viewKey struct{ object, name string }

func (k viewKey) String() string { return k.object + "/" + k.name }

// scriptFile is scripts/<name>.json; the source is scripts/<name>.js.
type scriptFile struct {
	Object string   `json:"object"`
	Events []string `json:"events"`
	Active bool     `json:"active"`
	Order  int      `json:"order"`
	RunAs  string   `json:"runAs,omitempty"`
}

// Load reads a package from a file system (a directory: os.DirFS, or an
// embedded one). Markdown files at the top are documentation and Go files
// there embed a built-in package (plugins/sales); both are skipped.
func Load(fsys fs.FS) (*Package, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		top := !strings.Contains(p, "/")
		if d.IsDir() || strings.HasPrefix(path.Base(p), ".") || (top && (strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".go"))) {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files[p] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("plugins: read package: %w", err)
	}
	return FromFiles(files)
}

// FromFiles parses and validates a package given as its files. Every
// problem is a 422: plugin.invalid_manifest for the manifest alone,
// plugin.invalid_package naming the file otherwise.
func FromFiles(files map[string][]byte) (*Package, error) {
	raw, ok := files["manifest.json"]
	if !ok {
		return nil, invalidManifest([]errs.FieldError{{Field: "manifest.json", Code: "required", Message: "a package needs a manifest.json"}})
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, err
	}
	p := &Package{Manifest: m, Files: files, objects: map[string]*schema.Object{}, layouts: map[viewKey][]byte{},
		listViews: map[viewKey][]byte{}, scripts: map[string]scripts.Script{}, roles: map[string]access.Role{},
		workflows: map[string]workflows.Definition{}, wfRaw: map[string][]byte{}, rules: map[string]access.SharingRule{}, seed: map[string][]map[string]any{}}
	var probs []errs.FieldError
	bad := func(file, code, msg string) {
		probs = append(probs, errs.FieldError{Field: file, Code: code, Message: msg})
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := p.add(name, files); err != nil {
			if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
				for _, f := range e.Fields {
					bad(name+pointer(f.Field), f.Code, f.Message)
				}
				if len(e.Fields) == 0 {
					bad(name, e.Code, e.Message)
				}
				continue
			}
			bad(name, "invalid", err.Error())
		}
	}
	probs = append(probs, p.checkPermissions()...)
	if len(probs) == 0 {
		probs = append(probs, p.checkReferences()...)
	}
	if len(probs) > 0 {
		e := errs.New(errs.Invalid, "plugin.invalid_package", "the package %s is invalid: %s: %s", m.Name, probs[0].Field, probs[0].Message)
		e.Fields = probs
		return nil, e
	}
	return p, nil
}

func pointer(f string) string {
	if f == "" || f == "/" {
		return ""
	}
	if strings.HasPrefix(f, "/") {
		return "#" + f
	}
	return "#/" + f
}

// add classifies and parses one file.
func (p *Package) add(name string, files map[string][]byte) error {
	raw := files[name]
	parts := strings.Split(name, "/")
	ext := path.Ext(name)
	base := strings.TrimSuffix(parts[len(parts)-1], ext)
	switch {
	case name == "manifest.json":
		return nil
	case len(parts) == 2 && parts[0] == "objects" && ext == ".json":
		withKey, err := p.markObject(raw)
		if err != nil {
			return err
		}
		o, err := schema.Parse(base, withKey)
		if err != nil {
			return err
		}
		p.objects[base] = o
	case len(parts) == 3 && (parts[0] == "layouts" || parts[0] == "listviews") && ext == ".json":
		k := viewKey{parts[1], base}
		var err error
		if parts[0] == "layouts" {
			var l *schema.Layout
			if l, err = schema.ParseLayout(raw); err == nil && (l.Name != base || l.Object != parts[1]) {
				err = fmt.Errorf("the layout's name and object must be %q and %q, as its path says", base, parts[1])
			}
			p.layouts[k] = compact(raw)
		} else {
			var lv *schema.ListView
			if lv, err = schema.ParseListView(raw); err == nil && (lv.Name != base || lv.Object != parts[1]) {
				err = fmt.Errorf("the list view's name and object must be %q and %q, as its path says", base, parts[1])
			}
			p.listViews[k] = compact(raw)
		}
		return err
	case len(parts) == 2 && parts[0] == "scripts" && ext == ".js":
		if _, ok := files["scripts/"+base+".json"]; !ok {
			return fmt.Errorf("a script source needs scripts/%s.json", base)
		}
	case len(parts) == 2 && parts[0] == "scripts" && ext == ".json":
		if !scriptNameRe.MatchString(base) {
			return fmt.Errorf("a script's name must match %s", scriptNameRe)
		}
		var sf scriptFile
		if err := strictJSON(raw, &sf); err != nil {
			return err
		}
		src, ok := files["scripts/"+base+".js"]
		if !ok {
			return fmt.Errorf("the script's source scripts/%s.js is missing", base)
		}
		if sf.RunAs == "" {
			sf.RunAs = "caller"
		}
		if sf.RunAs != "caller" && sf.RunAs != "system" {
			return fmt.Errorf(`runAs must be "caller" or "system"`)
		}
		p.scripts[base] = scripts.Script{Name: base, Object: sf.Object, Events: sf.Events, Source: string(src),
			Active: sf.Active, Order: sf.Order, RunAs: sf.RunAs}
	case len(parts) == 2 && parts[0] == "roles" && ext == ".json":
		r, err := access.ParseRole(base, raw)
		if err != nil {
			return err
		}
		p.roles[base] = r
	case len(parts) == 2 && parts[0] == "workflows" && ext == ".json":
		if !workflowNameRe.MatchString(base) {
			return fmt.Errorf("a workflow's name must match %s", workflowNameRe)
		}
		var d workflows.Definition
		if err := strictJSON(raw, &d); err != nil {
			return err
		}
		p.workflows[base] = d
		p.wfRaw[base] = compact(raw)
	case len(parts) == 2 && parts[0] == "sharing" && ext == ".json":
		r, err := parseRule(base, raw)
		if err != nil {
			return err
		}
		p.rules[base] = r
	case len(parts) == 2 && parts[0] == "seed" && ext == ".json":
		var recs []map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&recs); err != nil {
			return fmt.Errorf("seed records must be a JSON array of objects: %v", err)
		}
		p.seed[base] = recs
	default:
		return errs.New(errs.Invalid, "plugin.unknown_file", "not a file of the package format")
	}
	return nil
}

// markObject sets x-crm-package on an object definition, refusing another
// package's name.
func (p *Package) markObject(raw []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, fmt.Errorf("an object definition must be a JSON object")
	}
	if v, ok := top[PackageKey]; ok {
		var name string
		if json.Unmarshal(v, &name) != nil || name != p.Manifest.Name {
			return nil, fmt.Errorf("%s must be %q", PackageKey, p.Manifest.Name)
		}
		return compact(raw), nil
	}
	c := compact(raw)
	key, _ := json.Marshal(p.Manifest.Name)
	out := append([]byte(`{"`+PackageKey+`":`), key...)
	if rest := bytes.TrimSpace(c[1:]); !bytes.Equal(rest, []byte("}")) {
		out = append(out, ',')
	}
	return append(out, c[1:]...), nil
}

// checkPermissions: the contents stay within what the manifest asks for.
func (p *Package) checkPermissions() []errs.FieldError {
	var probs []errs.FieldError
	bad := func(field, msg string) {
		probs = append(probs, errs.FieldError{Field: field, Code: "permission_undeclared", Message: msg})
	}
	perm := p.Manifest.Permissions
	declared := map[string]bool{}
	for _, o := range perm.Objects {
		declared[o] = true
		if _, ok := p.objects[o]; !ok {
			bad("manifest.json#/permissions/objects", "lists "+o+" but the package has no objects/"+o+".json")
		}
	}
	for o := range p.objects {
		if !declared[o] {
			bad("objects/"+o+".json", "the manifest's permissions.objects does not list "+o)
		}
	}
	if !perm.Studio && len(p.layouts)+len(p.listViews)+len(p.scripts)+len(p.roles)+len(p.workflows)+len(p.rules) > 0 {
		bad("manifest.json#/permissions/studio", "the package has layouts, list views, scripts, roles, workflows or sharing rules: it needs studio rights")
	}
	if !perm.Sharing && len(p.rules) > 0 {
		bad("manifest.json#/permissions/sharing", "the package defines sharing rules")
	}
	if !perm.Roles && len(p.roles) > 0 {
		bad("manifest.json#/permissions/roles", "the package defines roles")
	}
	if !perm.Workflows && len(p.workflows) > 0 {
		bad("manifest.json#/permissions/workflows", "the package defines workflows")
	}
	for _, n := range sortedKeys(p.scripts) {
		s := p.scripts[n]
		if perm.Scripts == "" || (s.RunAs == "system" && perm.Scripts != "system") {
			bad("scripts/"+n+".json", "the script runs as "+s.RunAs+" but permissions.scripts is "+fmt.Sprintf("%q", perm.Scripts))
		}
	}
	for o := range p.seed {
		if !declared[o] {
			bad("seed/"+o+".json", "seed records only go into the package's own objects")
		}
	}
	return probs
}

// checkReferences: lookups between the package's objects must not make a
// cycle (they are created in dependency order).
func (p *Package) checkReferences() []errs.FieldError {
	if _, err := p.objectOrder(); err != nil {
		return []errs.FieldError{{Field: "objects", Code: "cycle", Message: errs.As(err).Message}}
	}
	return nil
}

// objectOrder sorts the package's objects so that lookup targets come
// first.
func (p *Package) objectOrder() ([]string, error) {
	state := map[string]int{}
	var order []string
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return errs.New(errs.Invalid, "plugin.cycle", "the package's objects refer to each other in a cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, f := range p.objects[n].Fields {
			if t := f.Target; t != "" && t != n && p.objects[t] != nil && !f.Deleted {
				if err := visit(t); err != nil {
					return err
				}
			}
		}
		state[n] = 2
		order = append(order, n)
		return nil
	}
	for _, n := range sortedKeys(p.objects) {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Object returns the package's definition of an object, x-crm-package set.
func (p *Package) Object(name string) (*schema.Object, bool) {
	o, ok := p.objects[name]
	return o, ok
}

// Objects returns the names of the package's objects in dependency order.
func (p *Package) Objects() []string {
	o, _ := p.objectOrder()
	return o
}

func strictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not valid JSON of the expected shape: %v", err)
	}
	return nil
}

func compact(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
