//go:build !unix

package sorting

import "time"

// cpuNow is not measured on this system (benchmarks report 0 CPU time).
func cpuNow() time.Duration { return 0 }
