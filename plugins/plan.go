package plugins

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/runtime/scripts"
)

// Actions of the installer.
const (
	Install   = "install"
	Upgrade   = "upgrade"
	Uninstall = "uninstall"
)

// Operations of a plan step.
const (
	OpCreate = "create"
	OpUpdate = "update"
	OpDelete = "delete"
	OpKeep   = "keep" // nothing changes (Reason says why when it is not simply unchanged)
	OpSkip   = "skip" // the package has it but it is not applied (Reason says why)
)

// Kinds of plan steps.
const (
	KindObject   = "object"
	KindLayout   = "layout"
	KindListView = "listview"
	KindRole     = "role"
	KindScript   = "script"
	KindWorkflow = "workflow"
	KindSeed     = "seed"
)

// Options tune a plan or its application.
type Options struct {
	// Purge lets an uninstall delete objects that hold records.
	Purge bool `json:"purge,omitempty"`
}

// Plan is what an action will do in a tenant, computed before anything is
// written.
type Plan struct {
	Package     string      `json:"package"`
	Action      string      `json:"action"`
	From        string      `json:"from,omitempty"` // the installed version
	To          string      `json:"to,omitempty"`   // the package's version
	Description string      `json:"description,omitempty"`
	Permissions Permissions `json:"permissions"`
	Steps       []Step      `json:"steps"`
	// Blockers stop the action: it is refused with a 409 while any
	// remains.
	Blockers []Problem `json:"blockers,omitempty"`
	// NotApplied names parts of the package this node cannot apply.
	NotApplied []string `json:"notApplied,omitempty"`

	res planResolver // the tenant's objects as the plan leaves them
}

// Step is one thing the plan does.
type Step struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"` // object API name; "object/name" for views
	Op     string `json:"op"`
	Reason string `json:"reason,omitempty"`
	// Changes and Fields are the metadata dry run of an object change.
	Changes   schema.Changes            `json:"changes,omitempty"`
	Fields    []metadata.FieldMigration `json:"fields,omitempty"`
	Conflicts []Conflict                `json:"conflicts,omitempty"`
	// Deprecated lists fields the new package version drops; they are
	// kept, marked x-crm-deleted.
	Deprecated []string `json:"deprecated,omitempty"`
	// Records counts records: of an object to delete, or to seed.
	Records int64    `json:"records,omitempty"`
	Problem *Problem `json:"problem,omitempty"`

	raw    []byte
	object string
	view   string
	script scripts.Script
	role   access.Role
	rule   access.SharingRule
	seed   []map[string]any
	purge  bool
}

// Problem is a reason a step or the whole plan cannot go ahead.
type Problem struct {
	Step    string            `json:"step,omitempty"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  []errs.FieldError `json:"fields,omitempty"`
}

func problemOf(step string, err error) Problem {
	if e := errs.As(err); e != nil {
		return Problem{Step: step, Code: e.Code, Message: e.Message, Fields: e.Fields}
	}
	return Problem{Step: step, Code: "internal", Message: err.Error()}
}

func (p *Plan) block(step, code, format string, args ...any) {
	p.Blockers = append(p.Blockers, Problem{Step: step, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Err is nil when the plan may be applied, else a 409 plugin.blocked
// carrying the plan.
func (p *Plan) Err() error {
	if len(p.Blockers) == 0 {
		return nil
	}
	b := p.Blockers[0]
	code := "plugin.blocked"
	if b.Code == "plugin.has_records" {
		code = b.Code
	}
	e := errs.New(errs.Conflict, code, "the %s of %s cannot go ahead: %s", p.Action, p.Package, b.Message)
	for _, x := range p.Blockers {
		e.Fields = append(e.Fields, errs.FieldError{Field: x.Step, Code: x.Code, Message: x.Message})
	}
	e.Extra = map[string]any{"plan": p}
	return e
}

// Counts sums the plan's steps by operation.
func (p *Plan) Counts() map[string]int {
	out := map[string]int{}
	for _, s := range p.Steps {
		out[s.Op]++
	}
	return out
}

// Plan computes what action would do with the package in the tenant
// without writing anything. pkg is the package to install or upgrade to
// (nil: the catalog's package of that name); an uninstall needs only the
// name.
func (s *Service) Plan(ctx context.Context, tenant, action, name string, pkg *Package, opt Options) (*Plan, error) {
	if pkg == nil && action != Uninstall {
		var err error
		if pkg, err = s.Catalog.Get(name); err != nil {
			return nil, err
		}
	}
	if pkg != nil && pkg.Manifest.Name != name {
		return nil, errs.New(errs.Invalid, "plugin.name_mismatch", "the package is named %q, not %q", pkg.Manifest.Name, name).
			WithField("manifest.json#/name", "mismatch", "must be "+name)
	}
	installed, err := s.loadInstalled(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	switch action {
	case Install, Upgrade:
		return s.planInstall(ctx, tenant, action, pkg, installed)
	case Uninstall:
		return s.planUninstall(ctx, tenant, name, installed, opt)
	}
	return nil, errs.New(errs.Invalid, "plugin.unknown_action", "no action %q: install, upgrade or uninstall", action).
		WithField("action", "enum", "must be install, upgrade or uninstall")
}

// planInstall plans an install (against no base) or an upgrade (against
// the installed version's files).
func (s *Service) planInstall(ctx context.Context, tenant, action string, pkg *Package, installed *Installed) (*Plan, error) {
	m := pkg.Manifest
	p := &Plan{Package: m.Name, Action: action, To: m.Version, Description: m.Description, Permissions: m.Permissions, Steps: []Step{}}
	newV, _ := ParseVersion(m.Version)
	var base *Package
	switch {
	case action == Install && installed != nil && installed.State != StateInstalling:
		return nil, errs.New(errs.Conflict, "plugin.installed", "%s %s is installed already (%s); upgrade it instead", m.Name, installed.Version, installed.State)
	case action == Upgrade && installed == nil:
		return nil, errs.New(errs.Conflict, "plugin.not_installed", "%s is not installed; install it first", m.Name)
	case action == Upgrade && installed.State == StateInstalling:
		return nil, errs.New(errs.Conflict, "plugin.install_unfinished", "the install of %s has not finished; run the install again", m.Name)
	case action == Upgrade:
		p.From = installed.Version
		oldV, _ := ParseVersion(installed.Version)
		if c := newV.Compare(oldV); c < 0 || (c == 0 && installed.State == StateInstalled) {
			return nil, errs.New(errs.Conflict, "plugin.not_newer", "%s %s is installed; %s is not newer", m.Name, installed.Version, m.Version)
		}
		if installed.State == StateUpgrading && installed.Target != m.Version {
			return nil, errs.New(errs.Conflict, "plugin.upgrade_unfinished", "the upgrade of %s to %s has not finished; finish it first", m.Name, installed.Target)
		}
		var err error
		if base, err = FromFiles(installed.files); err != nil {
			return nil, fmt.Errorf("plugins: the installed files of %s no longer parse: %w", m.Name, err)
		}
	}
	if err := s.checkDependencies(ctx, tenant, p, m); err != nil {
		return nil, err
	}
	if err := s.planObjects(ctx, tenant, p, pkg, base); err != nil {
		return nil, err
	}
	if err := s.planViews(ctx, tenant, p, pkg, base); err != nil {
		return nil, err
	}
	if err := s.planRoles(ctx, tenant, p, pkg, base); err != nil {
		return nil, err
	}
	if err := s.planSharing(ctx, tenant, p, pkg, base); err != nil {
		return nil, err
	}
	if err := s.planScripts(ctx, p, pkg, base); err != nil {
		return nil, err
	}
	if err := s.planWorkflows(ctx, tenant, p, pkg, base); err != nil {
		return nil, err
	}
	s.planSeed(p, pkg, installed)
	return p, nil
}

func (s *Service) checkDependencies(ctx context.Context, tenant string, p *Plan, m Manifest) error {
	for _, dep := range sortedKeys(m.Dependencies) {
		c, _ := ParseConstraint(m.Dependencies[dep])
		in, err := s.loadInstalled(ctx, tenant, dep)
		if err != nil {
			return err
		}
		if in == nil || in.State != StateInstalled {
			p.block("dependencies/"+dep, "plugin.dependency_missing", "%s needs %s %s, which is not installed", m.Name, dep, m.Dependencies[dep])
			continue
		}
		v, _ := ParseVersion(in.Version)
		if !c.Allows(v) {
			p.block("dependencies/"+dep, "plugin.dependency_version", "%s needs %s %s, but %s is installed", m.Name, dep, m.Dependencies[dep], in.Version)
		}
	}
	return nil
}

// planObjects merges each object of the package with the tenant's and dry
// runs the result against the tenant's records.
func (s *Service) planObjects(ctx context.Context, tenant string, p *Plan, pkg, base *Package) error {
	current, err := s.Meta.Objects(ctx, tenant)
	if err != nil {
		return err
	}
	next := map[string]*schema.Object{} // what each package object will be
	for _, name := range pkg.Objects() {
		theirs := pkg.objects[name]
		step := Step{Kind: KindObject, Name: name, object: name}
		cur := current[name]
		var baseRaw json.RawMessage
		if base != nil {
			if bo, ok := base.objects[name]; ok {
				baseRaw = bo.Raw
			}
		}
		switch {
		case cur == nil && baseRaw != nil:
			step.Op, step.Reason = OpSkip, "the tenant deleted this object; it stays deleted"
		case cur == nil:
			step.Op, step.raw = OpCreate, theirs.Raw
			next[name] = theirs
		case ownerOf(cur.Object) != p.Package:
			step.Op = OpSkip
			p.block("objects/"+name, "plugin.object_exists", "the tenant has an object named %s that is not from %s", name, p.Package)
		default:
			merged, deprecated, err := mergeObject(baseRaw, theirs.Raw, cur.Object.Raw, &step.Conflicts)
			if err != nil {
				return err
			}
			step.Deprecated = deprecated
			if sameJSON(merged, cur.Object.Raw) {
				step.Op = OpKeep
				next[name] = cur.Object
				break
			}
			step.Op, step.raw = OpUpdate, merged
			o, err := schema.Parse(name, merged)
			if err != nil {
				pr := problemOf("objects/"+name, err)
				step.Problem = &pr
				p.Blockers = append(p.Blockers, pr)
				break
			}
			next[name] = o
		}
		p.Steps = append(p.Steps, step)
	}
	// References and expressions are checked against what the tenant will
	// have; changes to existing objects are dry-run against their records.
	res := planResolver{current: current, next: next}
	p.res = res
	for i := range p.Steps {
		st := &p.Steps[i]
		if st.Kind != KindObject || (st.Op != OpCreate && st.Op != OpUpdate) || st.Problem != nil {
			continue
		}
		o := next[st.Name]
		err := o.CheckReferences(res)
		if err == nil {
			err = metadata.CheckExpressions(o, res)
		}
		if err == nil && st.Op == OpUpdate {
			err = s.dryRun(ctx, tenant, st, current[st.Name].Object, o, next)
		}
		if err != nil {
			pr := problemOf("objects/"+st.Name, err)
			st.Problem = &pr
			p.Blockers = append(p.Blockers, pr)
		}
	}
	if base != nil {
		for _, name := range base.Objects() {
			if _, still := pkg.objects[name]; !still && current[name] != nil {
				p.Steps = append(p.Steps, Step{Kind: KindObject, Name: name, Op: OpKeep,
					Reason: "the new version no longer ships this object; it stays with its records"})
			}
		}
	}
	return nil
}

// dryRun asks the metadata service what a change does to the stored
// records. A change that points at an object this plan creates cannot be
// dry-run before that object exists: its diff is shown and the data checks
// run when it is applied.
func (s *Service) dryRun(ctx context.Context, tenant string, st *Step, old, next *schema.Object, created map[string]*schema.Object) error {
	for _, f := range next.Fields {
		if t := f.Target; t != "" && created[t] != nil && !f.Deleted {
			if _, err := s.Meta.Object(ctx, tenant, t); err != nil {
				st.Changes = schema.Diff(old, next)
				st.Reason = "points at an object this plan creates: the records are checked when it is applied"
				return st.Changes.Err()
			}
		}
	}
	_, mp, err := s.Meta.Put(ctx, tenant, st.Name, st.raw, metadata.PutOptions{DryRun: true})
	st.Changes, st.Fields = mp.Changes, mp.Fields
	return err
}

// planResolver sees the tenant's objects as the plan leaves them.
type planResolver struct {
	current map[string]*metadata.Entry
	next    map[string]*schema.Object
}

func (r planResolver) Object(name string) (*schema.Object, bool) {
	if o, ok := r.next[name]; ok {
		return o, true
	}
	if e, ok := r.current[name]; ok {
		return e.Object, true
	}
	return nil, false
}

// ownerOf returns the package that installed an object, or "".
func ownerOf(o *schema.Object) string {
	top, _ := members(o.Raw)
	var name string
	_ = json.Unmarshal(top.vals[PackageKey], &name)
	return name
}
