//go:build !linux

package match_test

import "testing"

// loopCPU runs fn in b.Loop; thread CPU time is measured on Linux only.
func loopCPU(b *testing.B, fn func()) {
	for b.Loop() {
		fn()
	}
}
