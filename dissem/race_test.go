//go:build race

package dissem

// raceEnabled reports whether the race detector is on: slow tests then
// take smaller inputs.
const raceEnabled = true
