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
// This package imports nothing of Convene.
package authlimit

import (
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
}

// Limiter counts failed authentications per client address. It is safe for
// concurrent use.
type Limiter struct {
	opts    Options
	mu      sync.Mutex
	clients *simplelru.LRU[netip.Prefix, *rate.Limiter]
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
	if !ok {
		return 0
	}
	tokens := lim.TokensAt(l.opts.Now())
	if tokens >= float64(l.opts.Burst) {
		l.clients.Remove(k) // refilled: nothing to remember
		return 0
	}
	if tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tokens) * float64(l.opts.Refill)))
}

// Fail records a failed authentication of the client at addr.
func (l *Limiter) Fail(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := key(addr)
	lim, ok := l.clients.Get(k)
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.opts.Refill), l.opts.Burst)
		l.clients.Add(k, lim)
	}
	lim.AllowN(l.opts.Now(), 1)
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
