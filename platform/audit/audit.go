// Package audit owns the security audit log of each tenant: sign-ins (and
// failed ones), API keys made and revoked, users changed, roles and sharing
// rules changed. Entries are appended to the tenant's "_audit" collection and
// never changed; admins read them newest first. It imports platform/store,
// platform/errs and platform/id only.
package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/id"
	"github.com/opencrm/crm/platform/store"
)

const coll = "_audit"

// Event kinds.
const (
	LoginSucceeded = "login.succeeded"
	LoginFailed    = "login.failed"
	Logout         = "logout"
	KeyCreated     = "apikey.created"
	KeyRevoked     = "apikey.revoked"
	UserCreated    = "user.created"
	UserChanged    = "user.changed"
	RoleChanged    = "role.changed"
	RoleDeleted    = "role.deleted"
	RuleChanged    = "sharing_rule.changed"
	RuleDeleted    = "sharing_rule.deleted"
)

// Event is one audit entry.
type Event struct {
	ID     string         `json:"id"`
	At     string         `json:"at"`
	Kind   string         `json:"kind"`
	Actor  string         `json:"actor,omitempty"`  // the user who acted, when known
	Target string         `json:"target,omitempty"` // what was acted on: a user, key, role...
	Detail map[string]any `json:"detail,omitempty"`
}

// Log is the audit log.
type Log struct {
	st  store.Store
	now func() time.Time
}

// New returns the log.
func New(st store.Store) *Log { return &Log{st: st, now: time.Now} }

// Provision creates a tenant's audit collection.
func (l *Log) Provision(ctx context.Context, tenant string) error {
	if err := l.st.EnsureCollection(ctx, tenant, coll); err != nil {
		return fmt.Errorf("audit: provision: %w", err)
	}
	return l.st.SyncIndexes(ctx, tenant, coll, []store.Index{
		{Name: "at", Keys: []store.IndexKey{{Field: "at", Desc: true}, {Field: "id"}}},
		{Name: "kind_at", Keys: []store.IndexKey{{Field: "kind"}, {Field: "at", Desc: true}, {Field: "id"}}},
	})
}

// Record appends an event. A failure to audit is returned: callers decide
// whether the audited action may stand without its entry.
func (l *Log) Record(ctx context.Context, tenant string, e Event) error {
	e.ID = id.New()
	e.At = l.now().UTC().Format("2006-01-02T15:04:05.000Z")
	doc := store.Doc{"id": e.ID, "at": e.At, "kind": e.Kind}
	if e.Actor != "" {
		doc["actor"] = e.Actor
	}
	if e.Target != "" {
		doc["target"] = e.Target
	}
	if len(e.Detail) > 0 {
		doc["detail"] = e.Detail
	}
	if _, err := l.st.Insert(context.WithoutCancel(ctx), tenant, coll, doc); err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Kind, err)
	}
	return nil
}

// Query reads a tenant's log, newest first, optionally of one kind; after
// continues from a previous page's last event (its At and ID).
func (l *Log) Query(ctx context.Context, tenant, kind string, limit int, after []any) ([]Event, []any, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := store.Query{Sort: []store.SortKey{{Field: "at", Desc: true}}, Limit: limit, After: after}
	if kind != "" {
		q.Filter = store.Eq("kind", kind)
	}
	page, err := l.st.Find(ctx, tenant, coll, q)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, nil, errs.New(errs.Malformed, "audit.bad_cursor", "invalid cursor")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("audit: query: %w", err)
	}
	out := make([]Event, 0, len(page.Items))
	for _, d := range page.Items {
		e := Event{}
		e.ID, _ = d["id"].(string)
		e.At, _ = d["at"].(string)
		e.Kind, _ = d["kind"].(string)
		e.Actor, _ = d["actor"].(string)
		e.Target, _ = d["target"].(string)
		e.Detail, _ = d["detail"].(map[string]any)
		out = append(out, e)
	}
	return out, page.Next, nil
}
