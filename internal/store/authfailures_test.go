package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestAuthFailureBuckets: the shared bucket of failed authentications
// takes one token a failure, gives one back a refill, never holds more
// than burst nor goes below zero, and buckets unwritten for the time one
// takes to refill are purged by the next failure.
func TestAuthFailureBuckets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
		tokens := func(client string) float64 {
			t.Helper()
			bs, err := db.AuthBuckets(ctx, t0.Add(-time.Hour), 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bs {
				if b.Client == client {
					return b.Tokens
				}
			}
			return math.NaN()
		}
		fail := func(client string, at time.Time) {
			t.Helper()
			if err := db.RecordAuthFailure(ctx, client, at, 3, 10*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		for range 4 {
			fail("192.0.2.1/32", t0)
		}
		if got := tokens("192.0.2.1/32"); got != 0 {
			t.Fatalf("after 4 failures with a burst of 3: %v tokens, want 0", got)
		}
		fail("192.0.2.1/32", t0.Add(15*time.Second)) // 1.5 back, one taken
		if got := tokens("192.0.2.1/32"); math.Abs(got-0.5) > 1e-9 {
			t.Fatalf("after 15 s and one more failure: %v tokens, want 0.5", got)
		}
		fail("192.0.2.1/32", t0.Add(time.Hour)) // refilled to 3 at most, one taken
		if got := tokens("192.0.2.1/32"); got != 2 {
			t.Fatalf("after an hour and one failure: %v tokens, want 2", got)
		}
		fail("2001:db8::/64", t0)
		bs, err := db.AuthBuckets(ctx, t0.Add(time.Minute), 100)
		if err != nil || len(bs) != 1 || bs[0].Client != "192.0.2.1/32" {
			t.Fatalf("buckets since a minute: %+v %v", bs, err)
		}
		// The next failure, past the time a bucket takes to refill
		// (3 × 10 s), purges the buckets unwritten since.
		fail("198.51.100.9/32", t0.Add(time.Hour+time.Second))
		if got := tokens("2001:db8::/64"); !math.IsNaN(got) {
			t.Fatalf("a full bucket was not purged: %v", got)
		}
		if got := tokens("192.0.2.1/32"); math.IsNaN(got) {
			t.Fatal("a bucket written within the refill time was purged")
		}
	})
}
