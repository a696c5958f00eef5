package plugins

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/identity"
)

// Apply computes the plan of an action and carries it out. A plan with
// blockers is refused with a 409 carrying the plan (Plan.Err). The tenant
// records an unfinished install or upgrade: if one stops half way (a crash,
// an error of one step), running the same action again finishes it, as
// every step compares what is there with what should be.
//
// The context must carry the principal the writes act for (an admin: the
// REST handlers check it; the CLI uses the tenant's first admin).
func (s *Service) Apply(ctx context.Context, tenant, action, name string, pkg *Package, opt Options) (*Plan, error) {
	pr, ok := identity.PrincipalFrom(ctx)
	if !ok || pr.TenantID != tenant {
		return nil, errs.New(errs.Unauthenticated, "auth.required", "installing a package needs a signed-in admin of the tenant")
	}
	if !pr.IsAdmin() {
		return nil, errs.New(errs.Forbidden, "auth.forbidden", "only an admin may install, upgrade or uninstall packages")
	}
	p, err := s.Plan(ctx, tenant, action, name, pkg, opt)
	if err != nil {
		return nil, err
	}
	if err := p.Err(); err != nil {
		return p, err
	}
	if action == Uninstall {
		return p, s.applyUninstall(ctx, tenant, p, pr.UserID)
	}
	if pkg == nil {
		if pkg, err = s.Catalog.Get(name); err != nil {
			return nil, err
		}
	}
	return p, s.applyInstall(ctx, tenant, p, pkg, pr.UserID)
}

func (s *Service) applyInstall(ctx context.Context, tenant string, p *Plan, pkg *Package, by string) error {
	installed, err := s.loadInstalled(ctx, tenant, p.Package)
	if err != nil {
		return err
	}
	now := s.stamp()
	switch {
	case installed == nil:
		installed = &Installed{Name: p.Package, Description: pkg.Manifest.Description, State: StateInstalling, Target: p.To,
			InstalledAt: now, UpdatedAt: now, UpdatedBy: by, files: pkg.Files}
		err = s.saveInstalled(ctx, tenant, installed, true)
	case p.Action == Install: // resuming an unfinished install
		installed.Target, installed.UpdatedAt, installed.UpdatedBy, installed.files = p.To, now, by, pkg.Files
		err = s.saveInstalled(ctx, tenant, installed, false)
	default:
		installed.State, installed.Target, installed.UpdatedAt, installed.UpdatedBy = StateUpgrading, p.To, now, by
		err = s.saveInstalled(ctx, tenant, installed, false)
	}
	if err != nil {
		return err
	}
	for _, st := range p.Steps {
		if err := s.applyStep(ctx, tenant, st, installed, by); err != nil {
			return stepError(st, err)
		}
	}
	installed.State, installed.Version, installed.Target = StateInstalled, p.To, ""
	installed.Description, installed.files, installed.UpdatedAt = pkg.Manifest.Description, pkg.Files, s.stamp()
	return s.saveInstalled(ctx, tenant, installed, false)
}

func (s *Service) applyStep(ctx context.Context, tenant string, st Step, installed *Installed, by string) error {
	write := st.Op == OpCreate || st.Op == OpUpdate
	var err error
	switch {
	case st.Kind == KindObject && write:
		_, _, err = s.Meta.Put(ctx, tenant, st.Name, st.raw, metadata.PutOptions{By: by})
	case (st.Kind == KindLayout || st.Kind == KindListView) && write:
		_, _, err = s.Meta.PutView(ctx, tenant, st.Kind, st.object, st.view, st.raw, by)
	case (st.Kind == KindLayout || st.Kind == KindListView) && st.Op == OpDelete:
		err = s.Meta.DeleteView(ctx, tenant, st.Kind, st.object, st.view)
	case st.Kind == KindRole && write:
		_, _, err = s.Roles.PutRole(ctx, tenant, st.role, by)
	case st.Kind == KindRole && st.Op == OpDelete:
		err = s.Roles.DeleteRole(ctx, tenant, st.Name)
	case st.Kind == KindSharingRule && write:
		_, _, err = s.sharing().PutRule(ctx, tenant, st.rule, by)
	case st.Kind == KindSharingRule && st.Op == OpDelete:
		err = s.sharing().DeleteRule(ctx, tenant, st.Name)
	case st.Kind == KindScript && write:
		_, _, err = s.Scripts.Put(ctx, st.Name, st.script)
	case st.Kind == KindScript && st.Op == OpDelete:
		err = s.Scripts.Delete(ctx, st.Name)
	case st.Kind == KindWorkflow && write:
		_, _, err = s.Workflows.Put(ctx, tenant, st.Name, st.raw, by)
	case st.Kind == KindWorkflow && st.Op == OpDelete:
		err = s.Workflows.Delete(ctx, tenant, st.Name, by)
	case st.Kind == KindSeed:
		err = s.seed(ctx, tenant, st, installed)
	}
	if st.Op == OpDelete && errs.KindOf(err) == errs.NotFound {
		return nil
	}
	return err
}

// seed creates the seed records of one object through the record
// pipeline, noting each in the installation record so that a resumed
// install does not create it twice.
func (s *Service) seed(ctx context.Context, tenant string, st Step, installed *Installed) error {
	done := map[int]bool{}
	for _, sd := range installed.seeded {
		if sd.Object == st.object {
			done[sd.Index] = true
		}
	}
	for i, rec := range st.seed {
		if done[i] {
			continue
		}
		r, err := s.Records.Create(ctx, st.object, maps.Clone(rec))
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		installed.seeded = append(installed.seeded, seeded{Object: st.object, Index: i, ID: r.ID})
		if err := s.saveInstalled(ctx, tenant, installed, false); err != nil {
			return err
		}
	}
	return nil
}

// stepError names the step in a domain error, keeping its kind and code.
func stepError(st Step, err error) error {
	where := st.Kind + " " + st.Name
	if e := errs.As(err); e != nil {
		c := *e
		c.Message = where + ": " + e.Message + " (run the action again to finish it)"
		return &c
	}
	return fmt.Errorf("plugins: %s: %w", where, err)
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }
