//go:build race

package invite

// raceSlowdown stretches the time budgets under the race detector, which
// makes this code 5 to 20 times slower (regexp's matchers, which the CSS
// sanitizer uses heavily, are no longer pooled).
const raceSlowdown = 10
