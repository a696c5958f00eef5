package sqlite

import (
	"testing"

	"github.com/opencrm/crm/platform/store"
	"github.com/opencrm/crm/platform/store/storetest"
)

// factory opens a fresh store in the test's temporary directory.
func factory(t testing.TB) store.Store { return openTest(t) }

func TestConformance(t *testing.T) { storetest.Run(t, factory) }

func BenchmarkConformance(b *testing.B) { storetest.Benchmark(b, factory) }
