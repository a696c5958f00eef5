package records

import (
	"context"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/identity"
	"github.com/opencrm/crm/platform/store"
)

// Action is an object action a principal may be allowed.
type Action string

// The object actions.
const (
	ActRead   Action = "read"
	ActCreate Action = "create"
	ActUpdate Action = "update"
	ActDelete Action = "delete"
)

// FieldAccess is a principal's access to one field.
type FieldAccess string

// The field access levels; Edit is the default.
const (
	FieldEdit FieldAccess = "edit"
	FieldRead FieldAccess = "read"
	FieldNone FieldAccess = "none"
)

// Guard decides what a principal may do with an object's records. The access
// package implements it with roles and sharing; the service asks it on every
// call and builds its answers into the store query (visibility) and into
// every answer and write (field access).
type Guard interface {
	// Authorize returns nil when p may do act on obj's records, else an
	// *errs.Error of kind Forbidden.
	Authorize(ctx context.Context, p identity.Principal, obj *schema.Object, act Action) error
	// Fields returns p's access to obj's fields that is not FieldEdit.
	Fields(ctx context.Context, p identity.Principal, obj *schema.Object) (map[string]FieldAccess, error)
	// Visible returns the filter of the records p may see (act = read) or
	// change (act = update, delete) — nil for all. It becomes part of the
	// store query, never a filter applied after a page is fetched.
	Visible(ctx context.Context, p identity.Principal, obj *schema.Object, act Action) (store.Filter, error)
}

// OpenGuard lets every authenticated user of a tenant do everything with
// every record of that tenant. It is the default until roles are set up
// (the access package provides the real one); tenants stay isolated either
// way, since every store call is addressed by the caller's tenant.
type OpenGuard struct{}

// Authorize implements Guard.
func (OpenGuard) Authorize(context.Context, identity.Principal, *schema.Object, Action) error {
	return nil
}

// Fields implements Guard.
func (OpenGuard) Fields(context.Context, identity.Principal, *schema.Object) (map[string]FieldAccess, error) {
	return nil, nil
}

// Visible implements Guard.
func (OpenGuard) Visible(context.Context, identity.Principal, *schema.Object, Action) (store.Filter, error) {
	return nil, nil
}
