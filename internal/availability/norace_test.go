//go:build !race

package availability

const raceEnabled = false
