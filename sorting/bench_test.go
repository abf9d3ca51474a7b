package sorting

import (
	"syscall"
	"testing"
	"time"
)

// cpuTimer measures the process CPU time (user + system) of a benchmark,
// a figure that stays meaningful when the machine is shared: on an idle
// machine the wall time is about CPU time / (cores used).
type cpuTimer struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuTimer { return cpuTimer{cpuNow()} }

// report adds cpu-s/op and, for a reference wall time ref (seconds), the
// speed-up of single-core CPU time over it (x_cpu_vs_ref).
func (c cpuTimer) report(b *testing.B, ref float64) {
	per := (cpuNow() - c.start).Seconds() / float64(b.N)
	b.ReportMetric(per, "cpu-s/op")
	if ref > 0 && per > 0 {
		b.ReportMetric(ref/per, "x_cpu_vs_ref")
		b.ReportMetric(ref/(b.Elapsed().Seconds()/float64(b.N)), "x_wall_vs_ref")
	}
}
