//go:build !unix

package project

import "time"

// processCPU is not measured on this system (benchmarks report 0 cpu-ns/op).
func processCPU() time.Duration { return 0 }
