//go:build !unix && !windows

package testutil

import "time"

// No process CPU clock on this platform (js/wasm, wasip1, plan9): see
// CPUTime.
const hasCPUTime = false

func cpuTime() time.Duration { return 0 }
