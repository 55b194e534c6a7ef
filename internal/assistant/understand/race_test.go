//go:build race

package understand

// raceEnabled: the race detector is on (its cost is not linear in the
// input, so timing ratios mean nothing under it).
const raceEnabled = true
