package match_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time the calling thread has used
// (RUSAGE_THREAD).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopCPU runs fn in b.Loop on one locked OS thread and reports the
// thread's CPU time per operation ("cpu-ns/op"), which other work on a
// shared machine does not inflate as it does the wall time.
func loopCPU(b *testing.B, fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu time.Duration
	n := 0
	for b.Loop() {
		if n == 0 {
			cpu = -threadCPU()
		}
		fn()
		n++
	}
	cpu += threadCPU()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/op")
}
