// Package store defines the storage port of the platform: JSON-like documents
// in named collections, addressed by tenant, queried with the platform's own
// filter AST (never with client-supplied backend operators).
//
// Adapters live in sub-packages (sqlite, the embedded default; mongo, for
// production) and are checked by one conformance suite (storetest). This
// package must not import any other package of the project but platform/errs,
// nor any database driver.
//
// # Documents
//
// A Doc is a map whose values are nil, bool, int64, float64, string, []any or
// map[string]any (json.Number and other integer types are normalised by
// adapters to int64 or float64). Every document has a string "id" and an int64
// "version" that the store manages: Insert sets it to 1 and every successful
// Update increments it. A nil value is the same as an absent field: adapters do
// not store nulls, so "field IS NULL" matches both. Dates and times are stored
// by the layers above as fixed-width strings ("2006-01-02" and
// "2006-01-02T15:04:05.000Z") so that string order is time order.
//
// # Names
//
// Tenant ids match ^[a-z0-9][a-z0-9_-]{0,63}$, collection names
// ^[A-Za-z_][A-Za-z0-9_]{0,63}$ and field names ^[A-Za-z_][A-Za-z0-9_]{0,63}$
// (a dot may separate path segments of nested fields). Adapters validate every
// name they put into a query (see ValidName*), so a name is never an injection.
//
// # Transactions
//
// Tx runs a function whose context carries the transaction: every store call
// made with that context for the same tenant takes part in it. Where the
// backend has no transactions (Capabilities.Transactions is false) Tx returns
// an error with code "store.no_transactions" and runs nothing.
package store

import (
	"context"
	"regexp"

	"github.com/opencrm/crm/platform/errs"
)

// Doc is one stored document.
type Doc = map[string]any

// Store is the storage port. All methods are safe for concurrent use.
type Store interface {
	// Capabilities tells what this backend can promise.
	Capabilities() Capabilities

	// EnsureCollection creates the collection if it does not exist. It is
	// idempotent.
	EnsureCollection(ctx context.Context, tenant, coll string) error
	// DropCollection removes a collection with its documents and indexes. A
	// missing collection is not an error.
	DropCollection(ctx context.Context, tenant, coll string) error
	// Collections lists the tenant's collections in name order.
	Collections(ctx context.Context, tenant string) ([]string, error)

	// SyncIndexes makes the collection's secondary indexes exactly the given
	// set: missing ones are built, ones no longer listed are dropped, ones
	// whose definition changed are rebuilt. Building a unique index over
	// duplicate values fails with ErrDuplicate and leaves the old set.
	SyncIndexes(ctx context.Context, tenant, coll string, indexes []Index) error
	// Indexes lists the collection's secondary indexes in name order.
	Indexes(ctx context.Context, tenant, coll string) ([]Index, error)

	// Insert stores a new document. doc["id"] must be a non-empty string;
	// the store sets doc["version"] to 1 and returns the stored document.
	// A second document with the same id or the same value of a unique
	// index is ErrDuplicate naming the field.
	Insert(ctx context.Context, tenant, coll string, doc Doc) (Doc, error)
	// Get returns the document with the given id, projected to fields when
	// fields is not empty (id and version are always included).
	Get(ctx context.Context, tenant, coll, id string, fields []string) (Doc, error)
	// Update replaces the whole document doc["id"]. When expectVersion is
	// not 0 the stored version must equal it, or the call fails with
	// ErrVersionConflict. The new version is the old one plus 1; the
	// returned document carries it.
	Update(ctx context.Context, tenant, coll string, doc Doc, expectVersion int64) (Doc, error)
	// Delete removes the document. When expectVersion is not 0 the stored
	// version must equal it. A missing document is ErrNotFound.
	Delete(ctx context.Context, tenant, coll, id string, expectVersion int64) error
	// DeleteMany removes every document the filter matches (nil matches all)
	// and returns how many it removed.
	DeleteMany(ctx context.Context, tenant, coll string, filter Filter) (int64, error)

	// Find returns one page of the documents that match the query.
	Find(ctx context.Context, tenant, coll string, q Query) (Page, error)
	// Count returns how many documents match the filter (nil matches all).
	Count(ctx context.Context, tenant, coll string, filter Filter) (int64, error)
	// Aggregate groups the documents that match the filter and computes the
	// measures of each group.
	Aggregate(ctx context.Context, tenant, coll string, q AggregateQuery) ([]AggregateRow, error)

	// NextSequence atomically increments the tenant's named counter and
	// returns its new value; a new counter starts at 1.
	NextSequence(ctx context.Context, tenant, name string) (int64, error)

	// Tx runs fn in a transaction on the tenant's data: fn's context makes
	// every call part of it; fn's error (or a panic) rolls it back.
	Tx(ctx context.Context, tenant string, fn func(ctx context.Context) error) error

	// DropTenant removes all of the tenant's data. It is not an error if the
	// tenant has none.
	DropTenant(ctx context.Context, tenant string) error

	// Ping checks that the backend answers.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// Capabilities says what a backend can promise; callers and the conformance
// suite branch on these instead of on the backend's name.
type Capabilities struct {
	// Name of the backend, for logs and test output ("sqlite", "mongodb",
	// "ferretdb").
	Name string
	// Transactions: Tx is available.
	Transactions bool
	// AtomicUpdate: a compare-and-set Update and NextSequence are atomic
	// under concurrency (FerretDB v1 is not).
	AtomicUpdate bool
	// AggregateMeasures lists the measures Aggregate computes (OpCount is
	// always there).
	AggregateMeasures []Op
	// MultiMeasure: Aggregate computes several measures in one call
	// correctly.
	MultiMeasure bool
	// UniqueMissing: a unique index allows several documents that lack the
	// field (all adapters intend it; the capability records a backend that
	// only allows one).
	UniqueMissing bool
}

// Has reports whether the backend computes measure op in Aggregate.
func (c Capabilities) Has(op Op) bool {
	for _, o := range c.AggregateMeasures {
		if o == op {
			return true
		}
	}
	return false
}

// Index is a secondary index on one collection.
type Index struct {
	// Name is unique within the collection: ^[A-Za-z_][A-Za-z0-9_]{0,63}$.
	Name   string     `json:"name"`
	Keys   []IndexKey `json:"keys"`
	Unique bool       `json:"unique,omitempty"`
}

// IndexKey is one field of an index.
type IndexKey struct {
	Field string `json:"field"`
	Desc  bool   `json:"desc,omitempty"`
}

// Query selects one page of documents.
type Query struct {
	// Filter selects documents; nil selects all.
	Filter Filter
	// Sort orders the page. The store always appends "id" ascending as the
	// last key (unless Sort already ends with id), so the order is total.
	Sort []SortKey
	// Limit is the page size; 0 means DefaultLimit. Adapters do not cap it:
	// limits are the caller's policy.
	Limit int
	// After continues after a previous page: the values of the sort keys
	// (including the appended id) of the last document of that page, as
	// returned in Page.Next. A wrong number of values is ErrBadCursor.
	After []any
	// Fields projects the documents (id and version always stay); empty
	// returns whole documents.
	Fields []string
}

// DefaultLimit is the page size of a Query without Limit.
const DefaultLimit = 50

// SortKey is one key of a sort order. Nulls (absent values) sort first in
// ascending order and last in descending order.
type SortKey struct {
	Field string `json:"field"`
	Desc  bool   `json:"desc,omitempty"`
}

// Page is one page of a Find.
type Page struct {
	Items []Doc
	// Next is the keyset position to pass as Query.After for the next page,
	// or nil when this was the last page.
	Next []any
}

// AggregateQuery groups and measures documents.
type AggregateQuery struct {
	Filter   Filter
	GroupBy  []Group
	Measures []Measure
	// Limit caps the number of groups; 0 means no cap.
	Limit int
}

// Group is one grouping key: a field's value, or a date bucket of a date or
// datetime field.
type Group struct {
	Field string `json:"field"`
	// By buckets a date/datetime string field: "" (the value itself),
	// "day" ("2026-01-31"), "month" ("2026-01"), "quarter" ("2026-Q1") or
	// "year" ("2026").
	By string `json:"by,omitempty"`
}

// Measure is one computed value of a group.
type Measure struct {
	Op    Op     `json:"op"`
	Field string `json:"field,omitempty"` // empty for count
}

// Op is an aggregate measure.
type Op string

// The aggregate measures.
const (
	OpCount Op = "count"
	OpSum   Op = "sum"
	OpAvg   Op = "avg"
	OpMin   Op = "min"
	OpMax   Op = "max"
)

// AggregateRow is one group: Keys in GroupBy order (nil for a group of
// documents lacking the field), Values in Measures order. Count is an int64;
// sum of integers is an int64, other numeric results are float64; min and max
// of strings are strings. Rows are ordered by their keys ascending.
type AggregateRow struct {
	Keys   []any
	Values []any
}

// Errors returned by adapters. Compare with errors.Is; the concrete error
// may carry more detail (the field of a duplicate, for example).
var (
	ErrNotFound          = errs.New(errs.NotFound, "store.not_found", "document not found")
	ErrDuplicate         = errs.New(errs.Conflict, "store.duplicate", "duplicate value")
	ErrVersionConflict   = errs.New(errs.Stale, "store.version_conflict", "the document was changed by someone else")
	ErrUnknownCollection = errs.New(errs.NotFound, "store.unknown_collection", "unknown collection")
	ErrBadCursor         = errs.New(errs.Malformed, "store.bad_cursor", "invalid cursor")
	ErrInvalidQuery      = errs.New(errs.Malformed, "store.invalid_query", "invalid query")
	ErrInvalidName       = errs.New(errs.Invalid, "store.invalid_name", "invalid name")
	ErrInvalidDocument   = errs.New(errs.Invalid, "store.invalid_document", "invalid document")
	ErrNoTransactions    = errs.New(errs.Conflict, "store.no_transactions", "this store cannot run transactions")
	ErrUnavailable       = errs.New(errs.Unavailable, "store.unavailable", "the store is unavailable")
)

// DuplicateError returns ErrDuplicate naming the field whose value exists
// already.
func DuplicateError(field string, cause error) error {
	e := ErrDuplicate.WithField(field, "duplicate", "value already exists")
	e.Message = "duplicate value of " + field
	return e.WithCause(cause)
}

var (
	tenantRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	collRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	fieldRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,7}$`)
)

// ValidTenant checks a tenant id.
func ValidTenant(tenant string) error {
	if !tenantRe.MatchString(tenant) {
		return ErrInvalidName.WithField("tenant", "pattern", "invalid tenant id")
	}
	return nil
}

// ValidCollection checks a collection name.
func ValidCollection(coll string) error {
	if !collRe.MatchString(coll) {
		return ErrInvalidName.WithField("collection", "pattern", "invalid collection name")
	}
	return nil
}

// ValidField checks a field name (or dotted path).
func ValidField(field string) error {
	if !fieldRe.MatchString(field) {
		return ErrInvalidName.WithField(field, "pattern", "invalid field name")
	}
	return nil
}
