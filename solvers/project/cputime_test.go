package project

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the user+system CPU time of the process. On a shared,
// overloaded machine it is a steadier measure than wall time (it excludes
// the time the process waits for a core); benchmarks report it per
// operation as cpu-ns/op.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuLoop runs f in a b.Loop and reports cpu-ns/op.
func cpuLoop(b *testing.B, f func()) {
	start := processCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(n), "cpu-ns/op")
	}
}
