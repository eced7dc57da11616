//go:build !race

package stix_test

// raceEnabled reports whether the race detector is on: slow tests then
// sample their inputs.
const raceEnabled = false
