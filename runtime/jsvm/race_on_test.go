//go:build race

package jsvm

// raceDetector is true when the tests run under -race, which slows goja
// several times and multiplies its memory: the hostile suite then accepts the
// wall-time limit as the stop of any script (what matters is that it is
// stopped and the process survives) and allows more memory.
const raceDetector = true
