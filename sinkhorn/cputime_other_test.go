//go:build !unix

package sinkhorn

import "time"

// cpuTime is not measured on this system (benchmarks report 0 cpu-s/op).
func cpuTime() time.Duration { return 0 }
