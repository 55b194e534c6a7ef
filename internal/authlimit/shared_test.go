package authlimit

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
)

// memShared is Shared in memory, with the token arithmetic of the store's.
type memShared struct {
	mu sync.Mutex
	m  map[string]Bucket
}

func (s *memShared) RecordAuthFailure(_ context.Context, client string, now time.Time, burst int, refill time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[client]
	tokens := float64(burst)
	if ok {
		tokens = min(float64(burst), b.Tokens+float64(now.Sub(b.At))/float64(refill))
	}
	if tokens >= 1 {
		tokens--
	}
	s.m[client] = Bucket{Client: client, Tokens: tokens, At: now}
	return nil
}

func (s *memShared) Buckets(_ context.Context, since time.Time, limit int) ([]Bucket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Bucket
	for _, b := range s.m {
		if !b.At.Before(since) && len(out) < limit {
			out = append(out, b)
		}
	}
	return out, nil
}

// TestSharedAcrossNodes: the failures counted by one node make the client
// wait at another once it has read the shared buckets; the wait shrinks
// as the bucket refills; without Shared the other node knows nothing.
func TestSharedAcrossNodes(t *testing.T) {
	c := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	shared := &memShared{m: map[string]Bucket{}}
	opts := Options{Burst: 3, Refill: 10 * time.Second, Now: c.Now, Shared: shared}
	a, b := New(opts), New(opts)
	alone := New(Options{Burst: 3, Refill: 10 * time.Second, Now: c.Now})
	bad := netip.MustParseAddr("203.0.113.7")
	for range 3 {
		a.Fail(bad)
		alone.Fail(bad)
	}
	if w := b.Wait(bad); w != 0 {
		t.Fatalf("before reading the shared buckets node b waits %v", w)
	}
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w := b.Wait(bad); w != 10*time.Second {
		t.Fatalf("node b after the reading: wait %v, want 10s", w)
	}
	if w := b.Wait(netip.MustParseAddr("203.0.113.8")); w != 0 {
		t.Fatalf("another address waits %v at node b", w)
	}
	c.Advance(4 * time.Second)
	if w := b.Wait(bad); w != 6*time.Second {
		t.Fatalf("4 s later at node b: wait %v, want 6s", w)
	}
	// An IPv6 client counts per /64 at every node.
	for range 3 {
		a.Fail(netip.MustParseAddr("2001:db8::1"))
	}
	b.Refresh(context.Background())
	if w := b.Wait(netip.MustParseAddr("2001:db8::ffff")); w == 0 {
		t.Fatal("another address of the /64 does not wait at node b")
	}
	// A node without Shared counts its own failures only.
	if w := New(Options{Burst: 3, Refill: 10 * time.Second, Now: c.Now}).Wait(bad); w != 0 {
		t.Fatalf("a node that saw nothing waits %v", w)
	}
	if w := alone.Wait(bad); w != 6*time.Second {
		t.Fatalf("the node that failed it, alone: wait %v", w)
	}
}
