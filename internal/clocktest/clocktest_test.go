package clocktest

import (
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		name string
		move func(*Clock)
		want time.Time
	}{
		{"new", func(*Clock) {}, t0},
		{"advance", func(c *Clock) { c.Advance(90 * time.Second) }, t0.Add(90 * time.Second)},
		{"advance twice", func(c *Clock) { c.Advance(time.Hour); c.Advance(30 * time.Minute) }, t0.Add(90 * time.Minute)},
		{"advance back", func(c *Clock) { c.Advance(-time.Hour) }, t0.Add(-time.Hour)},
		{"set", func(c *Clock) { c.Set(t0.Add(48 * time.Hour)) }, t0.Add(48 * time.Hour)},
		{"set then advance", func(c *Clock) { c.Set(t0.AddDate(1, 0, 0)); c.Advance(time.Minute) }, t0.AddDate(1, 0, 0).Add(time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := New(t0)
			tc.move(c)
			if got := c.Now(); !got.Equal(tc.want) {
				t.Errorf("Now() = %v, want %v", got, tc.want)
			}
			// A stopped clock does not move by itself.
			time.Sleep(time.Millisecond)
			if got := c.Now(); !got.Equal(tc.want) {
				t.Errorf("Now() a moment later = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRealTime: the zero value, and a clock set to the zero time, read the
// real time; advancing one stops it at the real time plus the duration.
func TestRealTime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		clock func() *Clock
	}{
		{"zero value", func() *Clock { return &Clock{} }},
		{"new at zero time", func() *Clock { return New(time.Time{}) }},
		{"set to zero time", func() *Clock { c := New(t0); c.Set(time.Time{}); return c }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.clock()
			before := time.Now()
			got := c.Now()
			if got.Before(before) || got.After(time.Now()) {
				t.Fatalf("Now() = %v, want the real time (%v)", got, before)
			}

			before = time.Now()
			c.Advance(time.Hour)
			after := time.Now()
			got = c.Now()
			if got.Before(before.Add(time.Hour)) || got.After(after.Add(time.Hour)) {
				t.Fatalf("after Advance(1h): Now() = %v, want the real time plus an hour (%v)", got, before.Add(time.Hour))
			}
			time.Sleep(time.Millisecond)
			if again := c.Now(); !again.Equal(got) {
				t.Errorf("an advanced clock moved by itself: %v, then %v", got, again)
			}
		})
	}
}

// TestConcurrent: readers and writers at once lose no step (and, under
// -race, do not race).
func TestConcurrent(t *testing.T) {
	const goroutines, steps = 8, 500
	c := New(t0)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range steps {
				c.Advance(time.Second)
			}
		}()
		go func() {
			defer wg.Done()
			last := t0
			for range steps {
				now := c.Now()
				if now.Before(last) {
					t.Errorf("the clock went back: %v after %v", now, last)
					return
				}
				last = now
			}
		}()
	}
	wg.Wait()
	if got, want := c.Now(), t0.Add(goroutines*steps*time.Second); !got.Equal(want) {
		t.Errorf("after %d advances of 1s: Now() = %v, want %v", goroutines*steps, got, want)
	}
}
