// Package storetest is the conformance suite of the store port: every adapter
// runs the same cases (Run) and the same benchmarks (Benchmark) from its own
// test file. A capability an adapter lacks is an explicit t.Skip that says
// why, never a silent pass. It imports only platform/store and the standard
// library, so adapters can import it from their tests.
package storetest

import (
	"testing"

	"github.com/opencrm/crm/platform/store"
)

// Factory opens a fresh, empty store for one test or benchmark. It registers
// its own cleanup (t.Cleanup) and fails the test if the store cannot open.
type Factory func(t testing.TB) store.Store
