package jsvm

import "context"

// Host is what a script's ctx.records reaches: the record pipeline, acting
// with the permissions of the user the run is for. The caller of Run
// implements it; every call re-enters the full pipeline (and so may run hooks
// again, one level deeper: pass the context you receive on to Run).
//
// Errors should be *errs.Error: a NotFound from Get becomes null in the
// script, any other error is thrown into the script as an Error whose code
// property is the error's code. An error whose code is script.limit (a nested
// run hit a limit) stops the calling script too.
type Host interface {
	Get(ctx context.Context, object, id string) (map[string]any, error)
	Query(ctx context.Context, object string, q Query) (QueryResult, error)
	Create(ctx context.Context, object string, record map[string]any) (map[string]any, error)
	Update(ctx context.Context, object, id string, patch map[string]any) (map[string]any, error)
	Delete(ctx context.Context, object, id string) error
	Aggregate(ctx context.Context, object string, a Aggregate) ([]map[string]any, error)
}

// Query is a record query as a script writes it, in the REST API's terms:
// Filter in the filter language, Sort like "-createdAt,name".
type Query struct {
	Filter string
	Sort   string
	Limit  int
	Fields []string
	Cursor string
}

// QueryResult is one page of records.
type QueryResult struct {
	Items      []map[string]any
	NextCursor string // empty on the last page
}

// Aggregate is an aggregation as in the REST API.
type Aggregate struct {
	Filter   string
	GroupBy  []GroupBy
	Measures []Measure
}

// GroupBy is one grouping key; By buckets a date field ("day", "month", ...).
type GroupBy struct {
	Field string
	By    string
}

// Measure is one aggregate: Op is count, sum, avg, min or max.
type Measure struct {
	Op    string
	Field string
}

type depthKey struct{}

// WithDepth returns a context that records the re-entrance depth of hooks.
// Run does this itself for the calls it makes to the Host.
func WithDepth(ctx context.Context, depth int) context.Context {
	return context.WithValue(ctx, depthKey{}, depth)
}

// DepthOf returns the hook depth recorded in ctx: 0 outside any hook.
func DepthOf(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}
