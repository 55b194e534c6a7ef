//go:build !race

package invite

// raceSlowdown stretches the time budgets under the race detector (see
// race.go); without it, 1.
const raceSlowdown = 1
