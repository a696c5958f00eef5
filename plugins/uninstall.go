package plugins

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// planUninstall plans removing a package: its objects (refused while they
// hold records the tenant made, unless purge), every view of those
// objects, the package's views elsewhere that the tenant left unchanged,
// its roles, sharing rules, scripts and workflows, and the scripts and workflows bound to
// the removed objects. Objects the tenant added are never removed; one of
// them that points at a removed object blocks the uninstall.
func (s *Service) planUninstall(ctx context.Context, tenant, name string, installed *Installed, opt Options) (*Plan, error) {
	if installed == nil {
		return nil, errs.New(errs.NotFound, "plugin.not_installed", "%s is not installed", name)
	}
	base, err := FromFiles(installed.files)
	if err != nil {
		return nil, fmt.Errorf("plugins: the installed files of %s no longer parse: %w", name, err)
	}
	p := &Plan{Package: name, Action: Uninstall, From: installed.Version, Description: base.Manifest.Description,
		Permissions: base.Manifest.Permissions, Steps: []Step{}}
	if err := s.checkDependents(ctx, tenant, p); err != nil {
		return nil, err
	}
	current, err := s.Meta.Objects(ctx, tenant)
	if err != nil {
		return nil, err
	}
	p.res = planResolver{current: current}
	removed := map[string]bool{}
	var objectSteps []Step
	order := base.Objects()
	slices.Reverse(order) // what points at others goes first
	for _, o := range order {
		cur := current[o]
		if cur == nil {
			continue
		}
		if ownerOf(cur.Object) != name {
			objectSteps = append(objectSteps, Step{Kind: KindObject, Name: o, Op: OpKeep, Reason: "the object is no longer the package's"})
			continue
		}
		n, err := s.tenantRecords(ctx, tenant, o, installed.seeded)
		if err != nil {
			return nil, err
		}
		st := Step{Kind: KindObject, Name: o, Op: OpDelete, Records: n, purge: true}
		if n > 0 && !opt.Purge {
			p.block("objects/"+o, "plugin.has_records", "%s holds %d records; delete them or uninstall with purge", o, n)
		}
		removed[o] = true
		objectSteps = append(objectSteps, st)
	}
	for _, other := range sortedKeys(current) {
		if removed[other] {
			continue
		}
		for _, f := range current[other].Object.Fields {
			if removed[f.Target] && !f.Deleted {
				p.block("objects/"+other, "plugin.referenced", "the tenant's field %s.%s points at %s, which the uninstall removes; remove that field first", other, f.Name, f.Target)
			}
		}
	}
	if err := s.planRemoveAutomation(ctx, tenant, p, base, removed); err != nil {
		return nil, err
	}
	if err := s.planRemoveViews(ctx, tenant, p, base, removed); err != nil {
		return nil, err
	}
	if err := s.planRemoveSharing(ctx, tenant, p, base, removed); err != nil {
		return nil, err
	}
	p.Steps = append(p.Steps, objectSteps...)
	if s.Roles != nil {
		for _, r := range sortedKeys(base.roles) {
			cur, err := s.Roles.Role(ctx, tenant, r)
			if errs.KindOf(err) == errs.NotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			op, reason := decide(roleJSON(base.roles[r]), nil, roleJSON(cur))
			p.Steps = append(p.Steps, Step{Kind: KindRole, Name: r, Op: op, Reason: reason})
		}
	} else if len(base.roles) > 0 {
		p.NotApplied = append(p.NotApplied, "roles: this node has no access service; the package's roles stay")
	}
	return p, nil
}

// checkDependents blocks removing a package another installed one needs.
func (s *Service) checkDependents(ctx context.Context, tenant string, p *Plan) error {
	all, err := s.ListInstalled(ctx, tenant)
	if err != nil {
		return err
	}
	for _, other := range all {
		if other.Name == p.Package {
			continue
		}
		in, err := s.loadInstalled(ctx, tenant, other.Name)
		if err != nil || in == nil {
			return err
		}
		pkg, err := FromFiles(in.files)
		if err != nil {
			continue
		}
		if _, needs := pkg.Manifest.Dependencies[p.Package]; needs {
			p.block("dependents/"+other.Name, "plugin.required", "%s needs %s; uninstall it first", other.Name, p.Package)
		}
	}
	return nil
}

// tenantRecords counts an object's records other than seed records left
// as the package created them.
func (s *Service) tenantRecords(ctx context.Context, tenant, object string, seeds []seeded) (int64, error) {
	n, err := s.st.Count(ctx, tenant, object, nil)
	if errors.Is(err, store.ErrUnknownCollection) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("plugins: count %s: %w", object, err)
	}
	for _, sd := range seeds {
		if sd.Object != object {
			continue
		}
		d, err := s.st.Get(ctx, tenant, object, sd.ID, nil)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("plugins: read seed record %s: %w", sd.ID, err)
		}
		if v, _ := store.NormalizeValue(d["version"]).(int64); v == 1 {
			n--
		}
	}
	return n, nil
}

func (s *Service) planRemoveAutomation(ctx context.Context, tenant string, p *Plan, base *Package, removed map[string]bool) error {
	if s.Workflows != nil {
		all, err := s.Workflows.List(ctx, tenant)
		if err != nil {
			return err
		}
		for _, w := range all {
			raw, ours := base.wfRaw[w.Name]
			switch {
			case removed[w.Definition.Object]:
				p.Steps = append(p.Steps, Step{Kind: KindWorkflow, Name: w.Name, Op: OpDelete, Reason: reasonIf(!ours, "its object is removed")})
			case ours:
				b, err := jsonOf(w.Definition)
				if err != nil {
					return err
				}
				strip := !hasRunAs(raw)
				if op, reason := decide(workflowJSON(raw, strip), nil, workflowJSON(b, strip)); op != "" {
					p.Steps = append(p.Steps, Step{Kind: KindWorkflow, Name: w.Name, Op: op, Reason: reason})
				}
			}
		}
	} else if len(base.wfRaw) > 0 {
		p.NotApplied = append(p.NotApplied, "workflows: this node has no workflow engine")
	}
	if s.Scripts != nil {
		all, err := s.Scripts.List(ctx)
		if err != nil {
			return err
		}
		for _, sc := range all {
			old, ours := base.scripts[sc.Name]
			switch {
			case removed[sc.Object]:
				p.Steps = append(p.Steps, Step{Kind: KindScript, Name: sc.Name, Op: OpDelete, Reason: reasonIf(!ours, "its object is removed")})
			case ours:
				if op, reason := decide(scriptJSON(old), nil, scriptJSON(*sc)); op != "" {
					p.Steps = append(p.Steps, Step{Kind: KindScript, Name: sc.Name, Op: op, Reason: reason})
				}
			}
		}
	} else if len(base.scripts) > 0 {
		p.NotApplied = append(p.NotApplied, "scripts: this node has no scripts service")
	}
	return nil
}

func (s *Service) planRemoveViews(ctx context.Context, tenant string, p *Plan, base *Package, removed map[string]bool) error {
	for _, kind := range []string{KindLayout, KindListView} {
		done := map[viewKey]bool{}
		for _, o := range sortedKeys(removed) {
			views, err := s.Meta.Views(ctx, tenant, kind, o)
			if err != nil {
				return err
			}
			for _, v := range views {
				k := viewKey{o, v.Name}
				done[k] = true
				_, ours := base.views(kind)[k]
				p.Steps = append(p.Steps, Step{Kind: kind, Name: k.String(), Op: OpDelete, object: o, view: v.Name,
					Reason: reasonIf(!ours, "its object is removed")})
			}
		}
		for k, raw := range base.views(kind) {
			if done[k] {
				continue
			}
			v, err := s.Meta.GetView(ctx, tenant, kind, k.object, k.name)
			if errs.KindOf(err) == errs.NotFound {
				continue
			}
			if err != nil {
				return err
			}
			if op, reason := decide(raw, nil, compact(v.Definition)); op != "" {
				p.Steps = append(p.Steps, Step{Kind: kind, Name: k.String(), Op: op, Reason: reason, object: k.object, view: k.name})
			}
		}
	}
	return nil
}

func reasonIf(cond bool, r string) string {
	if cond {
		return r
	}
	return ""
}

// applyUninstall carries out an uninstall plan: automation first, then
// views, objects (what points at others first) and roles, and last the
// record of the installation.
func (s *Service) applyUninstall(ctx context.Context, tenant string, p *Plan, by string) error {
	installed, err := s.loadInstalled(ctx, tenant, p.Package)
	if err != nil {
		return err
	}
	if installed == nil {
		return errs.New(errs.NotFound, "plugin.not_installed", "%s is not installed", p.Package)
	}
	for _, st := range p.Steps {
		if st.Op != OpDelete {
			continue
		}
		var err error
		switch st.Kind {
		case KindWorkflow:
			err = s.Workflows.Delete(ctx, tenant, st.Name, by)
		case KindScript:
			err = s.Scripts.Delete(ctx, st.Name)
		case KindLayout, KindListView:
			err = s.Meta.DeleteView(ctx, tenant, st.Kind, st.object, st.view)
		case KindObject:
			err = s.Meta.Delete(ctx, tenant, st.Name, st.purge, by)
		case KindRole:
			err = s.Roles.DeleteRole(ctx, tenant, st.Name)
		case KindSharingRule:
			err = s.sharing().DeleteRule(ctx, tenant, st.Name)
		}
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return stepError(st, err)
		}
	}
	return s.deleteInstalled(ctx, tenant, installed)
}
