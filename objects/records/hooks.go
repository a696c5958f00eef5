package records

import (
	"context"

	"github.com/opencrm/crm/objects/schema"
	"github.com/opencrm/crm/platform/identity"
)

// Op is the kind of a write.
type Op string

// The writes.
const (
	OpCreate  Op = "create"
	OpUpdate  Op = "update"
	OpDelete  Op = "delete"
	OpRestore Op = "restore"
)

// Event is one write as hooks see it. Records are in their API form.
type Event struct {
	Op        Op
	Tenant    string
	Object    *schema.Object
	Principal identity.Principal
	// Record is the record being written: in Before of a create or update
	// the hook may change it (the result is validated after every hook);
	// in After it is the stored record. For a delete it is the record
	// being deleted.
	Record map[string]any
	// Old is the record before an update or delete; nil on create.
	Old map[string]any
	// Depth counts writes nested through hooks: 1 for a client's write.
	Depth int
}

// Hook runs code around writes: the JavaScript runtime's scripts, workflow
// triggers, roll-up maintenance. Hooks run in registration order.
//
// A Before error fails the write with that error (a *errs.Error of kind
// Invalid becomes a 422 with its field errors); nothing is stored. An After
// error is returned to the caller after the record was stored.
//
// Example: a hook that upper-cases lead names.
//
//	type upper struct{}
//	func (upper) Before(_ context.Context, ev *records.Event) error {
//		if n, ok := ev.Record["name"].(string); ok && ev.Object.APIName == "lead" {
//			ev.Record["name"] = strings.ToUpper(n)
//		}
//		return nil
//	}
//	func (upper) After(context.Context, *records.Event) error { return nil }
type Hook interface {
	Before(ctx context.Context, ev *Event) error
	After(ctx context.Context, ev *Event) error
}

// TxHook is implemented by a hook that must record a write in the same
// store transaction as the write itself — a transactional outbox, such as
// the workflow events: the write and what the hook records are stored
// together or not at all, even if the process dies between them. InTx sees
// the After event (the stored record) before the transaction commits; its
// error undoes the write. It must be quick and write only through ctx. On a
// store without transactions it runs right after the write.
type TxHook interface {
	InTx(ctx context.Context, ev *Event) error
}

type depthKey struct{}

// depth returns the nesting depth of writes in ctx (0 outside any write).
func depth(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

func withDepth(ctx context.Context, d int) context.Context {
	return context.WithValue(ctx, depthKey{}, d)
}
