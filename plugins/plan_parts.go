package plugins

import (
	"context"
	"encoding/json"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/objects/workflows"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/runtime/jsvm"
	"github.com/opencrm/crm/runtime/scripts"
)

// decide is the three-way rule for whole documents (views, scripts,
// roles, workflows): base is the installed package's version, theirs the
// new one's, mine the tenant's; nil is absent. It returns "" when the
// thing is none of the package's business.
func decide(base, theirs, mine []byte) (op, reason string) {
	switch {
	case theirs == nil && base == nil:
		return "", ""
	case theirs == nil && mine == nil:
		return "", ""
	case theirs == nil && sameJSON(mine, base):
		return OpDelete, "the new version no longer ships it"
	case theirs == nil:
		return OpKeep, "the new version no longer ships it, but the tenant changed it: it stays"
	case mine == nil && base == nil:
		return OpCreate, ""
	case mine == nil:
		return OpSkip, "the tenant deleted it; it stays deleted"
	case sameJSON(mine, theirs):
		return OpKeep, ""
	case base == nil:
		return OpKeep, "the tenant has its own with this name; it is kept"
	case sameJSON(mine, base):
		return OpUpdate, ""
	case sameJSON(theirs, base):
		return OpKeep, "the tenant changed it; the tenant's version is kept"
	}
	return OpKeep, "the tenant and the new version both changed it; the tenant's version is kept"
}

func (s *Service) planViews(ctx context.Context, tenant string, p *Plan, pkg, base *Package) error {
	for _, kind := range []string{KindLayout, KindListView} {
		theirsAll, baseAll := pkg.views(kind), map[viewKey][]byte{}
		if base != nil {
			baseAll = base.views(kind)
		}
		keys := map[viewKey]bool{}
		for k := range theirsAll {
			keys[k] = true
		}
		for k := range baseAll {
			keys[k] = true
		}
		for _, k := range sortedViewKeys(keys) {
			var mine []byte
			v, err := s.Meta.GetView(ctx, tenant, kind, k.object, k.name)
			switch {
			case err == nil:
				mine = compact(v.Definition)
			case errs.KindOf(err) != errs.NotFound:
				return err
			}
			op, reason := decide(baseAll[k], theirsAll[k], mine)
			if op == "" {
				continue
			}
			st := Step{Kind: kind, Name: k.String(), Op: op, Reason: reason, raw: theirsAll[k], object: k.object, view: k.name}
			if p.objectSkipped(k.object) && (op == OpCreate || op == OpUpdate) {
				st.Op, st.Reason = OpSkip, "its object is not installed"
			}
			if st.Op == OpCreate || st.Op == OpUpdate {
				if err := p.checkView(kind, k, st.raw); err != nil {
					pr := problemOf(kind+"s/"+k.String(), err)
					st.Problem = &pr
					if p.Action == Install {
						p.Blockers = append(p.Blockers, pr)
					} else if mine != nil {
						st.Op, st.Reason = OpKeep, "the new version does not fit the tenant's object: the current one is kept"
					} else {
						st.Op, st.Reason = OpSkip, "the new version does not fit the tenant's object"
					}
				}
			}
			p.Steps = append(p.Steps, st)
		}
	}
	return nil
}

func (p *Plan) objectSkipped(name string) bool {
	for _, st := range p.Steps {
		if st.Kind == KindObject && st.Name == name {
			return st.Op == OpSkip
		}
	}
	return false
}

// checkView checks a view against its object as the plan leaves it.
func (p *Plan) checkView(kind string, k viewKey, raw []byte) error {
	obj, ok := p.res.Object(k.object)
	if !ok {
		return errs.New(errs.Invalid, "plugin.unknown_object", "the view's object %s does not exist", k.object)
	}
	if kind == KindLayout {
		l, err := schema.ParseLayout(raw)
		if err != nil {
			return err
		}
		return l.Check(obj)
	}
	lv, err := schema.ParseListView(raw)
	if err != nil {
		return err
	}
	if err := lv.Check(obj); err != nil {
		return err
	}
	_, err = query.ParseFilter(lv.Filter, metadata.QueryResolver(obj))
	return err
}

func (p *Package) views(kind string) map[viewKey][]byte {
	if kind == KindLayout {
		return p.layouts
	}
	return p.listViews
}

func sortedViewKeys(m map[viewKey]bool) []viewKey {
	names := map[string]viewKey{}
	for k := range m {
		names[k.String()] = k
	}
	out := make([]viewKey, 0, len(m))
	for _, n := range sortedKeys(names) {
		out = append(out, names[n])
	}
	return out
}

func roleJSON(r access.Role) []byte {
	perms := r.Permissions
	if perms == nil {
		perms = map[string]access.ObjectPermission{}
	}
	b, _ := json.Marshal(access.Role{Name: r.Name, Parent: r.Parent, Permissions: perms, Studio: r.Studio})
	return b
}

func (s *Service) planRoles(ctx context.Context, tenant string, p *Plan, pkg, base *Package) error {
	if len(pkg.roles) == 0 && (base == nil || len(base.roles) == 0) {
		return nil
	}
	if s.Roles == nil {
		p.NotApplied = append(p.NotApplied, "roles: this node has no access service")
		return nil
	}
	for _, name := range parentsFirst(unionKeys(pkg.roles, baseRoles(base)), pkg.roles) {
		var mine, theirs, old []byte
		r, err := s.Roles.Role(ctx, tenant, name)
		switch {
		case err == nil:
			mine = roleJSON(r)
		case errs.KindOf(err) != errs.NotFound:
			return err
		}
		if r, ok := pkg.roles[name]; ok {
			theirs = roleJSON(r)
		}
		if r, ok := baseRoles(base)[name]; ok {
			old = roleJSON(r)
		}
		if op, reason := decide(old, theirs, mine); op != "" {
			p.Steps = append(p.Steps, Step{Kind: KindRole, Name: name, Op: op, Reason: reason, role: pkg.roles[name]})
		}
	}
	return nil
}

// parentsFirst orders role names so that a parent the package defines
// comes before its children.
func parentsFirst(names []string, roles map[string]access.Role) []string {
	var out []string
	done := map[string]bool{}
	var visit func(n string, depth int)
	visit = func(n string, depth int) {
		if done[n] || depth > len(names) {
			return
		}
		if r, ok := roles[n]; ok && r.Parent != "" {
			visit(r.Parent, depth+1)
		}
		if !done[n] && contains(names, n) {
			done[n] = true
			out = append(out, n)
		}
	}
	for _, n := range names {
		visit(n, 0)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func baseRoles(b *Package) map[string]access.Role {
	if b == nil {
		return nil
	}
	return b.roles
}

func scriptJSON(sc scripts.Script) []byte {
	b, _ := json.Marshal(scripts.Script{Name: sc.Name, Object: sc.Object, Events: sc.Events, Source: sc.Source,
		Active: sc.Active, Order: sc.Order, RunAs: sc.RunAs})
	return b
}

func (s *Service) planScripts(ctx context.Context, p *Plan, pkg, base *Package) error {
	var baseScripts map[string]scripts.Script
	if base != nil {
		baseScripts = base.scripts
	}
	if len(pkg.scripts) == 0 && len(baseScripts) == 0 {
		return nil
	}
	if s.Scripts == nil {
		p.NotApplied = append(p.NotApplied, "scripts: this node has no scripts service")
		return nil
	}
	for _, name := range unionKeys(pkg.scripts, baseScripts) {
		var mine, theirs, old []byte
		sc, err := s.Scripts.Get(ctx, name)
		switch {
		case err == nil:
			mine = scriptJSON(*sc)
		case errs.KindOf(err) != errs.NotFound:
			return err
		}
		if sc, ok := pkg.scripts[name]; ok {
			theirs = scriptJSON(sc)
		}
		if sc, ok := baseScripts[name]; ok {
			old = scriptJSON(sc)
		}
		op, reason := decide(old, theirs, mine)
		if op == "" {
			continue
		}
		st := Step{Kind: KindScript, Name: name, Op: op, Reason: reason, script: pkg.scripts[name]}
		if op == OpCreate || op == OpUpdate {
			if _, ok := p.res.Object(st.script.Object); !ok {
				pr := Problem{Step: "scripts/" + name + ".json", Code: "plugin.unknown_object", Message: "the script binds no existing object: " + st.script.Object}
				st.Problem = &pr
				p.Blockers = append(p.Blockers, pr)
			} else if _, err := jsvm.Compile(name, st.script.Source); err != nil {
				pr := problemOf("scripts/"+name+".js", err)
				st.Problem = &pr
				p.Blockers = append(p.Blockers, pr)
			}
		}
		p.Steps = append(p.Steps, st)
	}
	return nil
}

// workflowJSON is the definition as compared, normalised through
// workflows.Definition; with stripRunAs the run-as user is left out (a
// package that leaves it empty gets the installing user, which is not a
// change).
func workflowJSON(raw []byte, stripRunAs bool) []byte {
	var d workflows.Definition
	if json.Unmarshal(raw, &d) != nil {
		return raw
	}
	if stripRunAs {
		d.RunAs = ""
	}
	b, _ := json.Marshal(d)
	return b
}

func (s *Service) planWorkflows(ctx context.Context, tenant string, p *Plan, pkg, base *Package) error {
	var baseRaw map[string][]byte
	if base != nil {
		baseRaw = base.wfRaw
	}
	if len(pkg.wfRaw) == 0 && len(baseRaw) == 0 {
		return nil
	}
	if s.Workflows == nil {
		p.NotApplied = append(p.NotApplied, "workflows: this node has no workflow engine")
		return nil
	}
	for _, name := range unionKeys(pkg.wfRaw, baseRaw) {
		var mine, theirs, old []byte
		ref, ok := pkg.wfRaw[name]
		if !ok {
			ref = baseRaw[name]
		}
		strip := !hasRunAs(ref)
		w, err := s.Workflows.Get(ctx, tenant, name)
		switch {
		case err == nil:
			b, _ := json.Marshal(w.Definition)
			mine = workflowJSON(b, strip)
		case errs.KindOf(err) != errs.NotFound:
			return err
		}
		if r, ok := pkg.wfRaw[name]; ok {
			theirs = workflowJSON(r, strip)
		}
		if r, ok := baseRaw[name]; ok {
			old = workflowJSON(r, strip)
		}
		op, reason := decide(old, theirs, mine)
		if op == "" {
			continue
		}
		st := Step{Kind: KindWorkflow, Name: name, Op: op, Reason: reason, raw: pkg.wfRaw[name]}
		if d, ok := pkg.workflows[name]; ok && (op == OpCreate || op == OpUpdate) && d.Object != "" {
			if _, ok := p.res.Object(d.Object); !ok {
				pr := Problem{Step: "workflows/" + name + ".json", Code: "plugin.unknown_object", Message: "the workflow's object does not exist: " + d.Object}
				st.Problem = &pr
				p.Blockers = append(p.Blockers, pr)
			}
		}
		p.Steps = append(p.Steps, st)
	}
	return nil
}

func hasRunAs(raw []byte) bool {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	s, _ := m["runAs"].(string)
	return s != ""
}

// planSeed seeds the package's objects this plan creates (on a resumed
// install, the records not seeded yet).
func (s *Service) planSeed(p *Plan, pkg *Package, installed *Installed) {
	if len(pkg.seed) == 0 {
		return
	}
	if s.Records == nil {
		p.NotApplied = append(p.NotApplied, "seed records: this node has no record service")
		return
	}
	done := map[string]map[int]bool{}
	if installed != nil && installed.State == StateInstalling {
		for _, sd := range installed.seeded {
			if done[sd.Object] == nil {
				done[sd.Object] = map[int]bool{}
			}
			done[sd.Object][sd.Index] = true
		}
	}
	for _, name := range pkg.Objects() {
		recs, ok := pkg.seed[name]
		if !ok {
			continue
		}
		creates := false
		for _, st := range p.Steps {
			creates = creates || (st.Kind == KindObject && st.Name == name && st.Op == OpCreate)
		}
		if p.Action != Install && !creates {
			continue
		}
		left := int64(len(recs) - len(done[name]))
		if left <= 0 {
			continue
		}
		p.Steps = append(p.Steps, Step{Kind: KindSeed, Name: name, Op: OpCreate, Records: left, seed: recs, object: name})
	}
}

func unionKeys[A, B any](a map[string]A, b map[string]B) []string {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return sortedKeys(m)
}
