package project

import "testing"

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
