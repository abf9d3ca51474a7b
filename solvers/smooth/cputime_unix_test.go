//go:build unix

package smooth

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user+system CPU time, a load-insensitive
// companion to wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
