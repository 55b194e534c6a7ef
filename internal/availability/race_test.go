//go:build race

package availability

// raceEnabled shrinks the random case counts under the race detector, which
// makes the minute-by-minute reference about thirty times slower.
const raceEnabled = true
