//go:build !unix

package cone

import "time"

// processCPU is not measured off Unix (the benchmarks then report no
// cpu-ns/op).
func processCPU() time.Duration { return 0 }
