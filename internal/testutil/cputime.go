package testutil

import (
	"testing"
	"time"
)

// CPUTime returns the CPU time (user + system) the process has used so far.
// On a shared, loaded machine it measures the work of a benchmark better
// than wall time, which also counts the time spent waiting for a core; on
// an idle machine wall time ≈ CPU time ÷ cores used.
//
// It reads getrusage(RUSAGE_SELF) on unix systems and GetProcessTimes on
// Windows. Elsewhere (js/wasm, wasip1, plan9) there is no process CPU
// clock: CPUTime returns 0 and [HasCPUTime] reports false, so CPU metrics
// computed from it read 0 there — a marker, not a measurement (wall time
// is deliberately not substituted: a cpu-ns/op that is really wall time
// would mislead). It also returns 0 if the system call fails.
func CPUTime() time.Duration { return cpuTime() }

// HasCPUTime reports whether [CPUTime] measures anything on this platform.
func HasCPUTime() bool { return hasCPUTime }

// CPUMeter measures the process CPU time spent since [StartCPU].
type CPUMeter struct{ start time.Duration }

// StartCPU starts a CPU-time measurement.
func StartCPU() CPUMeter { return CPUMeter{cpuTime()} }

// Elapsed returns the process CPU time spent since m started.
func (m CPUMeter) Elapsed() time.Duration { return cpuTime() - m.start }

// ReportNs reports the CPU time since m started, per operation over ops
// operations, as the benchmark metric cpu-ns/op. It reports nothing when
// ops ≤ 0.
func (m CPUMeter) ReportNs(b *testing.B, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(m.Elapsed())/float64(ops), "cpu-ns/op")
	}
}

// ReportSeconds is [CPUMeter.ReportNs] in seconds: the metric cpu-s/op.
func (m CPUMeter) ReportSeconds(b *testing.B, ops int) {
	if ops > 0 {
		b.ReportMetric(m.Elapsed().Seconds()/float64(ops), "cpu-s/op")
	}
}

// LoopCPU runs f under b.Loop and reports cpu-ns/op beside ns/op.
func LoopCPU(b *testing.B, f func()) {
	m, n := StartCPU(), 0
	for b.Loop() {
		f()
		n++
	}
	m.ReportNs(b, n)
}
