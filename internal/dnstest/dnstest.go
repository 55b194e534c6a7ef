// Package dnstest runs a real DNS server (github.com/miekg/dns) in the test
// process, on UDP and TCP at a loopback port, serving TXT records the test
// sets. Convene is pointed at it with CONVENE_DNS_RESOLVER.
//
// It is imported only by tests.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is a DNS server answering TXT queries from its records.
type Server struct {
	// Addr is host:port, the same for UDP and TCP.
	Addr string

	mu       sync.Mutex
	txt      map[string][]string
	servfail map[string]bool
}

// Start starts a server, stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{txt: map[string][]string{}, servfail: map[string]bool{}}
	var pc net.PacketConn
	var ln net.Listener
	// Take a UDP port and the same TCP port.
	for i := 0; ; i++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if i > 20 {
			t.Fatal(err)
		}
	}
	s.Addr = pc.LocalAddr().String()
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: ln, Handler: s}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return s
}

// SetTXT sets the TXT strings of a name (replacing earlier ones).
func (s *Server) SetTXT(name string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txt[dns.Fqdn(strings.ToLower(name))] = values
}

// SetServFail makes queries for name fail with SERVFAIL.
func (s *Server) SetServFail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.servfail[dns.Fqdn(strings.ToLower(name))] = true
}

// ServeDNS implements dns.Handler: TXT answers for known names, NXDOMAIN
// for unknown ones.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range req.Question {
		name := strings.ToLower(q.Name)
		if s.servfail[name] {
			m.Rcode = dns.RcodeServerFailure
			continue
		}
		values, ok := s.txt[name]
		if !ok {
			m.Rcode = dns.RcodeNameError
			continue
		}
		if q.Qtype != dns.TypeTXT {
			continue
		}
		for _, v := range values {
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: splitTXT(v),
			})
		}
	}
	w.WriteMsg(m)
}

// splitTXT splits a value into the 255-byte strings a TXT record holds.
func splitTXT(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	return append(out, v)
}
