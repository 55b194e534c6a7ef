// Package clocktest provides a clock for tests: a time that moves only when
// the test says so, to inject where code takes a func() time.Time.
package clocktest

import (
	"sync"
	"time"
)

// Clock is a time that moves only when told, safe for concurrent use: the
// code under test reads it through Now while the test moves it with Advance
// or Set.
//
// The zero value reads the real time (time.Now) until it is set; setting it
// to the zero time.Time hands it back to the real time.
type Clock struct {
	mu sync.Mutex
	at time.Time // zero: the real time
}

// New returns a clock stopped at t.
func New(t time.Time) *Clock {
	return &Clock{at: t}
}

// Now returns the clock's time: the time it was last set or advanced to, or
// the real time if it never was.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		return time.Now()
	}
	return c.at
}

// Advance moves the clock on by d (back, if d is negative). A clock still
// reading the real time is stopped at the real time plus d, and from then on
// moves only when told.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at.IsZero() {
		c.at = time.Now()
	}
	c.at = c.at.Add(d)
}

// Set stops the clock at t; the zero time.Time puts it back on the real time.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = t
}
