// Package authlimit slows down the guessing of credentials (API tokens,
// CalDAV passwords, the operator token): it counts the failed
// authentications of each client address in a token bucket and refuses
// further attempts from an address whose bucket is empty until it refills,
// so a front end answers 429 with Retry-After before it checks anything.
//
// It limits by client address, never by account or user: an attacker
// guessing a user's token cannot lock that user out, who signs in from
// another address unaffected. (Clients behind the attacker's own address,
// a shared NAT, wait with the attacker.) IPv6 clients count per /64, the
// block one host usually gets, so that rotating addresses inside it does
// not buy more guesses.
//
// The table of addresses is bounded (Options.MaxClients): past it, the
// address that failed least recently is forgotten, so a flood of addresses
// cannot exhaust memory.
//
// The client address is the socket's peer; X-Forwarded-For is believed only
// when that peer is a configured trusted proxy (Options.TrustedProxies).
//
// Several nodes behind one load balancer share their buckets through
// Options.Shared (the database): each failure is written there, and each
// node reads the buckets written lately every Options.SharedEvery, so that
// N nodes allow an address the failures of one, a few seconds late at
// most. Checking an address costs no query.
//
// This package imports nothing of Convene.
package authlimit

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// Options configure a Limiter; zero values take the defaults.
type Options struct {
	// Burst is how many failures in a row an address may make before it
	// must wait (default 10).
	Burst int
	// Refill is the time that buys one more failure (default 6 s: 10 a
	// minute, once the burst is spent).
	Refill time.Duration
	// MaxClients bounds the addresses remembered (default 10,000; about a
	// hundred bytes each).
	MaxClients int
	// TrustedProxies are the peers whose X-Forwarded-For is believed;
	// none: the socket's peer is the client.
	TrustedProxies []netip.Prefix
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Shared, when set, keeps the buckets where every node sees them;
	// Run reads them every SharedEvery (default 2 s).
	Shared      Shared
	SharedEvery time.Duration
}

// Shared is where the nodes of a cluster keep their buckets of failed
// authentications, keyed by Bucket.Client.
type Shared interface {
	// RecordAuthFailure takes one token from client's bucket at now (a
	// full one of burst tokens when there is none), after giving back one
	// per refill since it was written; a bucket with less than one token
	// keeps what it has.
	RecordAuthFailure(ctx context.Context, client string, now time.Time, burst int, refill time.Duration) error
	// Buckets lists the buckets written since since, at most limit, the
	// latest first (older ones are full again).
	Buckets(ctx context.Context, since time.Time, limit int) ([]Bucket, error)
}

// Bucket is a client's bucket as Shared keeps it.
type Bucket struct {
	// Client is the address's key: an IPv4 address as a /32, an IPv6
	// /64 (netip.Prefix's text).
	Client string
	// Tokens is what the bucket held at At.
	Tokens float64
	At     time.Time
}

// Limiter counts failed authentications per client address. It is safe for
// concurrent use.
type Limiter struct {
	opts    Options
	mu      sync.Mutex
	clients *simplelru.LRU[netip.Prefix, *rate.Limiter]
	// shared are the buckets Shared held at its last reading.
	shared map[netip.Prefix]Bucket
}

// New returns a Limiter with opts.
func New(opts Options) *Limiter {
	if opts.Burst <= 0 {
		opts.Burst = 10
	}
	if opts.Refill <= 0 {
		opts.Refill = 6 * time.Second
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SharedEvery <= 0 {
		opts.SharedEvery = 2 * time.Second
	}
	clients, err := simplelru.NewLRU[netip.Prefix, *rate.Limiter](opts.MaxClients, nil)
	if err != nil {
		panic("authlimit: " + err.Error()) // only for a size <= 0, excluded above
	}
	return &Limiter{opts: opts, clients: clients}
}

// key is the bucket of an address: itself for IPv4, its /64 for IPv6.
func key(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{} // the invalid address: one shared bucket
	}
	return p
}

// Wait returns how long the client at addr must wait before its next
// attempt; 0 means it may try now.
func (l *Limiter) Wait(addr netip.Addr) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := key(addr)
	lim, ok := l.clients.Peek(k)
	local := time.Duration(0)
	if ok {
		tokens := lim.TokensAt(l.opts.Now())
		if tokens >= float64(l.opts.Burst) {
			l.clients.Remove(k) // refilled: nothing to remember
		} else {
			local = l.waitFor(tokens)
		}
	}
	if b, ok := l.shared[k]; ok {
		tokens := b.Tokens + float64(l.opts.Now().Sub(b.At))/float64(l.opts.Refill)
		return max(local, l.waitFor(min(tokens, float64(l.opts.Burst))))
	}
	return local
}

// waitFor is the wait of a bucket holding tokens: none from one token on.
func (l *Limiter) waitFor(tokens float64) time.Duration {
	if tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tokens) * float64(l.opts.Refill)))
}

// sharedTimeout bounds the write of a failure to Shared.
const sharedTimeout = 2 * time.Second

// Fail records a failed authentication of the client at addr, in this
// node's bucket and, with Shared, in the cluster's (should that write
// fail, this node's still counts).
func (l *Limiter) Fail(addr netip.Addr) {
	l.mu.Lock()
	k := key(addr)
	lim, ok := l.clients.Get(k)
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.opts.Refill), l.opts.Burst)
		l.clients.Add(k, lim)
	}
	now := l.opts.Now()
	lim.AllowN(now, 1)
	l.mu.Unlock()
	if l.opts.Shared != nil && k.IsValid() {
		ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
		defer cancel()
		l.opts.Shared.RecordAuthFailure(ctx, k.String(), now, l.opts.Burst, l.opts.Refill)
	}
}

// Refresh reads the buckets Shared holds that are not full again (those
// written within the time a bucket takes to refill), at most MaxClients.
func (l *Limiter) Refresh(ctx context.Context) error {
	if l.opts.Shared == nil {
		return nil
	}
	since := l.opts.Now().Add(-time.Duration(l.opts.Burst) * l.opts.Refill)
	bs, err := l.opts.Shared.Buckets(ctx, since, l.opts.MaxClients)
	if err != nil {
		return fmt.Errorf("authlimit: read the shared buckets: %w", err)
	}
	m := make(map[netip.Prefix]Bucket, len(bs))
	for _, b := range bs {
		if p, err := netip.ParsePrefix(b.Client); err == nil {
			m[p] = b
		}
	}
	l.mu.Lock()
	l.shared = m
	l.mu.Unlock()
	return nil
}

// Run refreshes the shared buckets every SharedEvery until ctx ends;
// without Shared it returns at once. A failed reading keeps the last one.
func (l *Limiter) Run(ctx context.Context) {
	if l.opts.Shared == nil {
		return
	}
	t := time.NewTicker(l.opts.SharedEvery)
	defer t.Stop()
	for {
		l.Refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Len returns how many addresses the Limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.clients.Len()
}

// RetryAfter formats a wait as the delta-seconds of a Retry-After header
// (RFC 9110 §10.2.3), rounded up, at least 1.
func RetryAfter(wait time.Duration) string {
	s := int64(math.Ceil(wait.Seconds()))
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// Client returns the address of the client that sent r: the socket's peer,
// unless that peer is a trusted proxy, in which case X-Forwarded-For is
// read from its end: the first address that is not itself a trusted proxy
// is the client (the entries before it could be made up by the client).
// The zero Addr means the peer could not be told.
func (l *Limiter) Client(r *http.Request) netip.Addr {
	peer := parseHost(r.RemoteAddr)
	if !l.trusted(peer) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHost(strings.TrimSpace(hops[i]))
		if !a.IsValid() {
			break // a garbled entry: trust nothing before it
		}
		client = a
		if !l.trusted(a) {
			break
		}
	}
	return client
}

func (l *Limiter) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range l.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost parses "ip", "ip:port" or "[ipv6]:port".
func parseHost(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap()
		}
	}
	return netip.Addr{}
}

// tokenPrefix is the public prefix of Convene API tokens.
const tokenPrefix = "cvn_"

// SecretHint returns what a log line may say about a presented secret: for
// a Convene API token its prefix and first 4 characters (20 of its 256
// bits), enough to tell which token a client keeps sending; for anything
// else nothing, which may be a password or another service's secret.
func SecretHint(secret string) string {
	if strings.HasPrefix(secret, tokenPrefix) && len(secret) >= len(tokenPrefix)+16 {
		return secret[:len(tokenPrefix)+4] + "…"
	}
	return ""
}
