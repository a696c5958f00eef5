package workflows

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/opencrm/crm/objects/formula"
	"github.com/opencrm/crm/objects/metadata"
	"github.com/opencrm/crm/objects/query"
	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/errs"
)

// Trigger types.
const (
	OnCreated  = "created"  // a record was created (or restored)
	OnUpdated  = "updated"  // a record was updated (optionally: one of Fields changed)
	OnDeleted  = "deleted"  // a record was deleted
	OnTime     = "time"     // Offset after the date/datetime Field of a record
	OnSchedule = "schedule" // a cron schedule in the tenant's time zone
)

// Action types.
const (
	ActUpdate  = "updateFields"
	ActCreate  = "createRecord"
	ActAssign  = "assignOwner"
	ActNotify  = "notify"
	ActWebhook = "webhook"
	ActScript  = "script"
)

// Definition is a workflow as written in the API and in metadata files.
//
// Values of updateFields and createRecord, and the title and body of
// notify, are JSON values in which a string may hold {{record.field}}
// placeholders (the triggering record's field) and {{now}}. A string that
// is exactly one placeholder takes the field's value with its type; else
// each placeholder is replaced by the value as text ("" for none).
//
// Example: a lead not contacted 24 hours after assignment goes back to the
// pool.
//
//	{"label": "Back to pool", "active": true, "object": "lead",
//	 "trigger": {"type": "time", "field": "assignedAt", "offset": "24h"},
//	 "condition": "status = 'new'",
//	 "actions": [{"type": "updateFields", "values": {"owner": "{{record.createdBy}}", "status": "pool"}}]}
type Definition struct {
	Label  string `json:"label"`
	Active bool   `json:"active"`
	// Object is the object whose records trigger the workflow (required
	// except for schedules, where it is the default of createRecord).
	Object  string  `json:"object,omitempty"`
	Trigger Trigger `json:"trigger"`
	// Condition is a formula-language expression over the record that must
	// be true for the workflow to run (empty: always).
	Condition string `json:"condition,omitempty"`
	// RunAs is the user whose rights the actions have; default the user
	// who saved the workflow.
	RunAs   string   `json:"runAs,omitempty"`
	Actions []Action `json:"actions"`
}

// Trigger says when a workflow runs.
type Trigger struct {
	Type string `json:"type"`
	// Fields (updated): run only when one of these changed.
	Fields []string `json:"fields,omitempty"`
	// Field and Offset (time): run Offset (a Go duration such as "24h" or
	// "-30m") after the record's date or datetime Field.
	Field  string `json:"field,omitempty"`
	Offset string `json:"offset,omitempty"`
	// Cron (schedule): five fields, see ParseCron.
	Cron string `json:"cron,omitempty"`
}

// Action is one step of a workflow; which members apply depends on Type.
type Action struct {
	Type string `json:"type"`
	// Values (updateFields, createRecord): the fields to set.
	Values map[string]any `json:"values,omitempty"`
	// Object (createRecord): the object of the new record.
	Object string `json:"object,omitempty"`
	// Users (assignOwner: the round-robin group; notify: recipients, where
	// "owner" is the record's owner).
	Users []string `json:"users,omitempty"`
	// Rules (assignOwner): the first rule whose condition holds picks the
	// group instead of Users.
	Rules []AssignRule `json:"rules,omitempty"`
	// MaxOpen (assignOwner): skip users who own this many records matching
	// OpenFilter (query language; empty: all records of the object).
	MaxOpen    int    `json:"maxOpen,omitempty"`
	OpenFilter string `json:"openFilter,omitempty"`
	// BusinessHours (assignOwner): wait for the tenant's business hours.
	BusinessHours bool `json:"businessHours,omitempty"`
	// Title and Body (notify).
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	// URL (webhook): where the signed JSON is POSTed; its host must be in
	// the tenant's allow-list.
	URL string `json:"url,omitempty"`
	// Script (script): the script's name, passed to the ScriptRunner.
	Script string `json:"script,omitempty"`
}

// AssignRule picks an assignment group by a condition on the record.
type AssignRule struct {
	When  string   `json:"when"`
	Users []string `json:"users"`
}

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// compiled is a checked definition with its expressions compiled.
type compiled struct {
	Definition
	Name    string
	Version int64
	By      string
	obj     *schema.Object
	cond    *formula.Expr
	offset  time.Duration
	cron    *Cron
	rules   [][]*formula.Expr // per action, per rule
}

func invalid(ptr, code, format string, args ...any) *errs.Error {
	msg := fmt.Sprintf(format, args...)
	return errs.New(errs.Invalid, "workflow.invalid", "the workflow is invalid: %s", msg).WithField(ptr, code, msg)
}

// parse decodes and checks a definition against the tenant's objects.
func (s *Service) parse(ctx context.Context, tenant, name string, raw []byte) (*compiled, error) {
	if !nameRe.MatchString(name) {
		return nil, invalid("name", "pattern", "a workflow name must match ^[a-z][a-z0-9_]{0,39}$")
	}
	var d Definition
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, errs.New(errs.Invalid, "workflow.invalid", "the workflow is not valid JSON for a workflow: %v", err)
	}
	w := &compiled{Definition: d, Name: name}
	if err := s.check(ctx, tenant, w); err != nil {
		return nil, err
	}
	return w, nil
}

func (s *Service) object(ctx context.Context, tenant, name, ptr string) (*schema.Object, error) {
	e, err := s.meta.Object(ctx, tenant, name)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil, invalid(ptr, "unknown_object", "no object named %q", name)
		}
		return nil, err
	}
	return e.Object, nil
}

func (s *Service) check(ctx context.Context, tenant string, w *compiled) error {
	t := &w.Trigger
	needObject := t.Type != OnSchedule
	if w.Object != "" || needObject {
		if w.Object == "" {
			return invalid("/object", "required", "a %s trigger needs an object", t.Type)
		}
		obj, err := s.object(ctx, tenant, w.Object, "/object")
		if err != nil {
			return err
		}
		w.obj = obj
	}
	switch t.Type {
	case OnCreated, OnDeleted:
	case OnUpdated:
		for i, f := range t.Fields {
			if _, ok := w.obj.Field(f); !ok {
				return invalid(fmt.Sprintf("/trigger/fields/%d", i), "unknown_field", "%s has no field %q", w.Object, f)
			}
		}
	case OnTime:
		f, ok := w.obj.Field(t.Field)
		if !ok || (f.TypeName != "date" && f.TypeName != "datetime" && t.Field != "createdAt" && t.Field != "updatedAt") {
			return invalid("/trigger/field", "not_a_date", "a time trigger needs a date or datetime field of %s", w.Object)
		}
		if t.Offset != "" {
			d, err := time.ParseDuration(t.Offset)
			if err != nil {
				return invalid("/trigger/offset", "duration", "offset must be a duration such as 24h or -30m")
			}
			w.offset = d
		}
	case OnSchedule:
		c, err := ParseCron(t.Cron)
		if err != nil {
			return invalid("/trigger/cron", "cron", "%s", errs.As(err).Message)
		}
		w.cron = c
	default:
		return invalid("/trigger/type", "enum", "trigger type must be created, updated, deleted, time or schedule")
	}
	if w.Condition != "" {
		if w.obj == nil {
			return invalid("/condition", "not_applicable", "a schedule has no record to test a condition on")
		}
		e, err := compileCond(w.obj, w.Condition)
		if err != nil {
			return condError("/condition", err)
		}
		w.cond = e
	}
	if w.RunAs != "" {
		if u, err := s.users.GetUser(ctx, tenant, w.RunAs); err != nil || !u.Active {
			return invalid("/runAs", "not_found", "runAs must be an active user")
		}
	}
	if len(w.Actions) == 0 {
		return invalid("/actions", "required", "a workflow needs at least one action")
	}
	w.rules = make([][]*formula.Expr, len(w.Actions))
	for i := range w.Actions {
		if err := s.checkAction(ctx, tenant, w, i); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) checkAction(ctx context.Context, tenant string, w *compiled, i int) error {
	a := &w.Actions[i]
	ptr := fmt.Sprintf("/actions/%d", i)
	needsRecord := func() error {
		if w.obj == nil || w.Trigger.Type == OnSchedule {
			return invalid(ptr+"/type", "needs_record", "%s needs a triggering record; a schedule has none", a.Type)
		}
		return nil
	}
	switch a.Type {
	case ActUpdate:
		if err := needsRecord(); err != nil {
			return err
		}
		if w.Trigger.Type == OnDeleted {
			return invalid(ptr+"/type", "needs_record", "a deleted record cannot be updated")
		}
		return checkFields(w.obj, a.Values, ptr+"/values")
	case ActCreate:
		if a.Object == "" {
			return invalid(ptr+"/object", "required", "createRecord needs an object")
		}
		obj, err := s.object(ctx, tenant, a.Object, ptr+"/object")
		if err != nil {
			return err
		}
		return checkFields(obj, a.Values, ptr+"/values")
	case ActAssign:
		if err := needsRecord(); err != nil {
			return err
		}
		if len(a.Users) == 0 && len(a.Rules) == 0 {
			return invalid(ptr+"/users", "required", "assignOwner needs a group of users or rules")
		}
		for j, r := range a.Rules {
			e, err := compileCond(w.obj, r.When)
			if err != nil {
				return condError(fmt.Sprintf("%s/rules/%d/when", ptr, j), err)
			}
			if len(r.Users) == 0 {
				return invalid(fmt.Sprintf("%s/rules/%d/users", ptr, j), "required", "a rule needs users")
			}
			w.rules[i] = append(w.rules[i], e)
		}
		if a.MaxOpen < 0 {
			return invalid(ptr+"/maxOpen", "minimum", "maxOpen must not be negative")
		}
		if _, err := query.ParseFilter(a.OpenFilter, metadata.QueryResolver(w.obj)); err != nil {
			return condError(ptr+"/openFilter", err)
		}
	case ActNotify:
		if len(a.Users) == 0 {
			return invalid(ptr+"/users", "required", "notify needs recipients (user ids or \"owner\")")
		}
		if a.Title == "" {
			return invalid(ptr+"/title", "required", "notify needs a title")
		}
	case ActWebhook:
		u, err := url.Parse(a.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid(ptr+"/url", "url", "url must be an absolute http or https URL")
		}
		set, err := s.Settings(ctx, tenant)
		if err != nil {
			return err
		}
		if !set.allowsHost(u) {
			return invalid(ptr+"/url", "host_not_allowed", "the host %s is not in the tenant's webhook allow-list", u.Host)
		}
	case ActScript:
		if a.Script == "" {
			return invalid(ptr+"/script", "required", "script needs a script name")
		}
	default:
		return invalid(ptr+"/type", "enum", "unknown action type %q", a.Type)
	}
	return nil
}

func checkFields(obj *schema.Object, values map[string]any, ptr string) error {
	for k := range values {
		if _, ok := obj.Field(k); !ok {
			return invalid(ptr+"/"+k, "unknown_field", "%s has no field %q", obj.APIName, k)
		}
	}
	return nil
}

type typeEnv struct{ obj *schema.Object }

func (e typeEnv) FieldType(name string) (formula.Type, bool) {
	f, ok := e.obj.Field(name)
	if !ok {
		return formula.TypeNull, false
	}
	return metadata.FormulaType(f)
}

func compileCond(obj *schema.Object, src string) (*formula.Expr, error) {
	e, t, err := formula.Compile(src, typeEnv{obj})
	if err != nil {
		return nil, err
	}
	if t != formula.TypeBoolean && t != formula.TypeNull {
		return nil, errs.New(errs.Invalid, formula.CodeType, "a condition must be true or false, not a %s", t)
	}
	return e, nil
}

func condError(ptr string, err error) error {
	e := errs.As(err)
	if e == nil {
		return err
	}
	out := invalid(ptr, e.Code, "%s", e.Message)
	if len(e.Fields) > 0 && e.Fields[0].Position > 0 {
		out.Fields[0].Position = e.Fields[0].Position
	}
	return out
}
