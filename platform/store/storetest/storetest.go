// Package storetest is the conformance suite of the store port: every adapter
// runs the same cases (Run) and the same benchmarks (Benchmark) from its own
// test file. A capability an adapter lacks is an explicit t.Skip that says
// why, never a silent pass. It imports only platform/store, platform/errs and
// the standard library, so adapters can import it from their tests.
//
// The doc comments of platform/store are the specification; every case names
// the behaviour it checks, and the filter and paging cases compare the
// adapter with the reference evaluator store.Match over generated data.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"testing"
	"time"

	"github.com/opencrm/crm/platform/errs"
	"github.com/opencrm/crm/platform/store"
)

// Factory opens a fresh, empty store for one test or benchmark. It registers
// its own cleanup (t.Cleanup) and fails the test if the store cannot open.
type Factory func(t testing.TB) store.Store

// testCase is one named conformance case. It receives a fresh store and a
// tenant name unique to the test.
type testCase struct {
	name string
	run  func(t *testing.T, e *env)
}

// group is a named list of cases; Run makes it one level of subtests.
type group struct {
	name  string
	cases []testCase
}

// Run runs every conformance case as a named subtest ("Insert/...",
// "Filter/...", ...). Each case opens its own store through f and uses tenant
// names derived from its own test name, so cases are independent and may be
// run alone with -run.
func Run(t *testing.T, f Factory) {
	for _, g := range groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, newEnv(t, f))
				})
			}
		})
	}
}

// CaseCount returns the number of conformance cases Run runs (not counting
// the table rows some cases run as nested subtests).
func CaseCount() int {
	n := 0
	for _, g := range groups() {
		n += len(g.cases)
	}
	return n
}

func groups() []group {
	return []group{
		{"Basics", basicCases()},
		{"Insert", insertCases()},
		{"Get", getCases()},
		{"Update", updateCases()},
		{"Delete", deleteCases()},
		{"Names", nameCases()},
		{"Collections", collectionCases()},
		{"Filter", filterCases()},
		{"Find", findCases()},
		{"Count", countCases()},
		{"DeleteMany", deleteManyCases()},
		{"Indexes", indexCases()},
		{"Aggregate", aggregateCases()},
		{"Sequence", sequenceCases()},
		{"Concurrency", concurrencyCases()},
		{"Tx", txCases()},
		{"Tenants", tenantCases()},
	}
}

// env is what a case works with: a fresh store, its capabilities and a
// context with a deadline, plus tenant names unique to the test.
type env struct {
	s      store.Store
	caps   store.Capabilities
	ctx    context.Context
	tenant string // the case's main tenant
	other  string // a second tenant, for isolation cases
}

func newEnv(t *testing.T, f Factory) *env {
	t.Helper()
	s := f(t)
	if s == nil {
		t.Fatal("factory returned a nil store")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	h := fnv.New32a()
	h.Write([]byte(t.Name()))
	sum := h.Sum32()
	return &env{
		s:      s,
		caps:   s.Capabilities(),
		ctx:    ctx,
		tenant: fmt.Sprintf("t%08x", sum),
		other:  fmt.Sprintf("u%08x", sum),
	}
}

// ensure creates a collection of the main tenant or fails the test.
func (e *env) ensure(t *testing.T, coll string) {
	t.Helper()
	if err := e.s.EnsureCollection(e.ctx, e.tenant, coll); err != nil {
		t.Fatalf("EnsureCollection(%s, %s): %v", e.tenant, coll, err)
	}
}

// insert stores docs in a collection of the main tenant or fails the test.
func (e *env) insert(t *testing.T, coll string, docs ...store.Doc) {
	t.Helper()
	for _, d := range docs {
		if _, err := e.s.Insert(e.ctx, e.tenant, coll, copyDoc(d)); err != nil {
			t.Fatalf("Insert(%s, %v): %v", coll, d["id"], err)
		}
	}
}

// get reads one document of the main tenant or fails the test.
func (e *env) get(t *testing.T, coll, id string) store.Doc {
	t.Helper()
	d, err := e.s.Get(e.ctx, e.tenant, coll, id, nil)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", coll, id, err)
	}
	return d
}

// findAll pages through every document the filter matches in the given
// order and returns them in the order the store returned them.
func (e *env) findAll(t *testing.T, coll string, f store.Filter, sort []store.SortKey, pageSize int) []store.Doc {
	t.Helper()
	var out []store.Doc
	var after []any
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("paging did not end after %d pages", pages)
		}
		p, err := e.s.Find(e.ctx, e.tenant, coll, store.Query{Filter: f, Sort: sort, Limit: pageSize, After: after})
		if err != nil {
			t.Fatalf("Find(%s, filter %#v, sort %v, after %v): %v", coll, f, sort, after, err)
		}
		if len(p.Items) > pageSize {
			t.Fatalf("page has %d items, limit %d", len(p.Items), pageSize)
		}
		out = append(out, p.Items...)
		if p.Next == nil {
			return out
		}
		if len(p.Items) == 0 {
			t.Fatalf("empty page with a Next cursor %v", p.Next)
		}
		after = p.Next
	}
}

// wantErr fails the test unless err is (errors.Is) want.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v (code %q), want %v", what, err, errs.CodeOf(err), want)
	}
}

// noErr fails the test when err is not nil.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantField fails the test unless err is a domain error naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e := errs.As(err)
	if e == nil {
		t.Fatalf("error %v is not an *errs.Error", err)
	}
	for _, fe := range e.Fields {
		if fe.Field == field {
			return
		}
	}
	t.Fatalf("error %v names fields %+v, want %q", err, e.Fields, field)
}

// skipUnless skips the test with a message naming the backend and what it
// lacks.
func (e *env) skipUnless(t *testing.T, ok bool, lacks, reason string) {
	t.Helper()
	if !ok {
		t.Skipf("%s lacks %s: %s", e.caps.Name, lacks, reason)
	}
}

// copyDoc deep-copies a document so that a store cannot alias test data.
func copyDoc(d store.Doc) store.Doc {
	if d == nil {
		return nil
	}
	out := make(store.Doc, len(d))
	for k, v := range d {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyDoc(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = copyValue(x)
		}
		return out
	}
	return v
}

// sameDoc reports whether got equals want with identical Go types (int64
// stays int64, float64 stays float64).
func sameDoc(got, want store.Doc) bool { return reflect.DeepEqual(got, want) }

// ids returns the ids of docs in order.
func ids(docs []store.Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i], _ = d["id"].(string)
	}
	return out
}
