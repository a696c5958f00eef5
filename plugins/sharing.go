package plugins

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/platform/access"
	"github.com/opencrm/crm/platform/errs"
)

// A package ships criteria sharing rules as sharing/<name>.json, each as
// PUT /sharing-rules/{name} takes it:
//
//	{"object": "lead", "filter": "poolStatus = 'public'", "role": "sales_rep", "access": "read"}
//
// They are written through the same access service as the REST API, after
// the package's objects and roles (a rule needs both), and follow the
// three-way rule of roles on upgrade and uninstall: a rule the tenant
// changed is kept, one the tenant deleted stays deleted. The manifest must
// ask for them: "permissions": {"sharing": true}.

// KindSharingRule is the kind of a plan step that writes a sharing rule.
const KindSharingRule = "sharingrule"

// SharingRules stores criteria sharing rules; *access.Service implements
// it. When Deps.Sharing is nil and Deps.Roles implements it (as
// *access.Service does), the installer uses Roles.
type SharingRules interface {
	PutRule(ctx context.Context, tenant string, r access.SharingRule, by string) (access.SharingRule, bool, error)
	Rule(ctx context.Context, tenant, name string) (access.SharingRule, error)
	DeleteRule(ctx context.Context, tenant, name string) error
}

var _ SharingRules = (*access.Service)(nil)

// ruleFile is sharing/<name>.json.
type ruleFile struct {
	Object string `json:"object"`
	Filter string `json:"filter"`
	Role   string `json:"role"`
	Access string `json:"access"`
}

// parseRule reads sharing/<name>.json.
func parseRule(name string, raw []byte) (access.SharingRule, error) {
	if !access.ValidName(name) {
		return access.SharingRule{}, fmt.Errorf("a sharing rule's name must be a lower-case letter followed by at most 39 lower-case letters, digits, _ or -")
	}
	var f ruleFile
	if err := strictJSON(raw, &f); err != nil {
		return access.SharingRule{}, err
	}
	switch {
	case f.Object == "":
		return access.SharingRule{}, fmt.Errorf("a sharing rule needs an object")
	case f.Filter == "":
		return access.SharingRule{}, fmt.Errorf("a sharing rule needs a filter: the records it shares")
	case f.Role == "":
		return access.SharingRule{}, fmt.Errorf("a sharing rule needs the role it shares with")
	case f.Access != access.ShareRead && f.Access != access.ShareReadWrite:
		return access.SharingRule{}, fmt.Errorf(`a sharing rule's access is "read" or "readwrite"`)
	}
	return access.SharingRule{Name: name, Object: f.Object, Filter: f.Filter, Role: f.Role, Access: f.Access}, nil
}

// ruleJSON is a rule as compared: its definition without the stored
// bookkeeping (version, updatedAt, updatedBy).
func ruleJSON(r access.SharingRule) []byte {
	b, _ := json.Marshal(ruleFile{Object: r.Object, Filter: r.Filter, Role: r.Role, Access: r.Access})
	return b
}

func (s *Service) sharing() SharingRules {
	if s.Sharing != nil {
		return s.Sharing
	}
	if r, ok := s.Roles.(SharingRules); ok {
		return r
	}
	return nil
}

// planSharing plans the package's sharing rules against the tenant's.
func (s *Service) planSharing(ctx context.Context, tenant string, p *Plan, pkg, base *Package) error {
	var baseRules map[string]access.SharingRule
	if base != nil {
		baseRules = base.rules
	}
	if len(pkg.rules) == 0 && len(baseRules) == 0 {
		return nil
	}
	sr := s.sharing()
	if sr == nil {
		p.NotApplied = append(p.NotApplied, "sharing rules: this node has no access service")
		return nil
	}
	for _, name := range unionKeys(pkg.rules, baseRules) {
		var mine, theirs, old []byte
		cur, err := sr.Rule(ctx, tenant, name)
		switch {
		case err == nil:
			mine = ruleJSON(cur)
		case errs.KindOf(err) != errs.NotFound:
			return err
		}
		if r, ok := pkg.rules[name]; ok {
			theirs = ruleJSON(r)
		}
		if r, ok := baseRules[name]; ok {
			old = ruleJSON(r)
		}
		op, reason := decide(old, theirs, mine)
		if op == "" {
			continue
		}
		st := Step{Kind: KindSharingRule, Name: name, Op: op, Reason: reason, rule: pkg.rules[name]}
		if op == OpCreate || op == OpUpdate {
			if err := p.checkRule(ctx, s, tenant, st.rule); err != nil {
				pr := problemOf("sharing/"+name+".json", err)
				st.Problem = &pr
				p.Blockers = append(p.Blockers, pr)
			}
		}
		p.Steps = append(p.Steps, st)
	}
	return nil
}

// checkRule checks a rule against the tenant as the plan leaves it: its
// object exists, its filter parses against that object, its role exists or
// the plan creates it.
func (p *Plan) checkRule(ctx context.Context, s *Service, tenant string, r access.SharingRule) error {
	obj, ok := p.res.Object(r.Object)
	if !ok {
		return errs.New(errs.Invalid, "plugin.unknown_object", "the sharing rule's object %s does not exist", r.Object)
	}
	if _, err := query.ParseFilter(r.Filter, metadata.QueryResolver(obj)); err != nil {
		return err
	}
	for _, st := range p.Steps {
		if st.Kind == KindRole && st.Name == r.Role && st.Op != OpDelete {
			return nil
		}
	}
	if s.Roles != nil {
		if _, err := s.Roles.Role(ctx, tenant, r.Role); err != nil {
			if errs.KindOf(err) == errs.NotFound {
				return errs.New(errs.Invalid, "plugin.unknown_role", "the sharing rule's role %s does not exist", r.Role)
			}
			return err
		}
	}
	return nil
}

// planRemoveSharing plans the uninstall of the package's rules: those the
// tenant left as the package made them, and any rule on an object the
// uninstall removes.
func (s *Service) planRemoveSharing(ctx context.Context, tenant string, p *Plan, base *Package, removed map[string]bool) error {
	if len(base.rules) == 0 {
		return nil
	}
	sr := s.sharing()
	if sr == nil {
		p.NotApplied = append(p.NotApplied, "sharing rules: this node has no access service; the package's rules stay")
		return nil
	}
	for _, name := range sortedKeys(base.rules) {
		cur, err := sr.Rule(ctx, tenant, name)
		if errs.KindOf(err) == errs.NotFound {
			continue
		}
		if err != nil {
			return err
		}
		op, reason := decide(ruleJSON(base.rules[name]), nil, ruleJSON(cur))
		if removed[cur.Object] {
			op, reason = OpDelete, "its object is removed"
		}
		p.Steps = append(p.Steps, Step{Kind: KindSharingRule, Name: name, Op: op, Reason: reason})
	}
	return nil
}
