package jsvm

import (
	"os"
	"testing"
)

// TestMain lets the test binary serve as a script worker: the engine starts
// its workers by executing the test binary again (worker.go).
func TestMain(m *testing.M) {
	ServeWorkerIfChild()
	os.Exit(m.Run())
}
