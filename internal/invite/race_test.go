//go:build race

package invite

// raceDetector is set under -race, where sync.Pool drops what it holds
// (regexp's matchers among them), so that allocations say little.
const raceDetector = true
