package web

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// httpSeries counts the series of Convene's HTTP metrics and checks that
// every label value comes from its closed set.
func httpSeries(t *testing.T, s *Server, routes map[string]bool) int {
	t.Helper()
	mfs, err := s.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "convene_http_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			n++
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				switch l.GetName() {
				case "method":
					if !knownMethods[v] && v != "other" {
						t.Errorf("%s: method label %q", mf.GetName(), v)
					}
				case "route":
					if !routes[v] {
						t.Errorf("%s: route label %q", mf.GetName(), v)
					}
				case "status":
					c, err := strconv.Atoi(v)
					if !(err == nil && knownStatuses[c]) && !statusClasses[v] {
						t.Errorf("%s: status label %q", mf.GetName(), v)
					}
				default:
					t.Errorf("%s: unexpected label %s", mf.GetName(), l.GetName())
				}
			}
		}
	}
	return n
}

var statusClasses = map[string]bool{"1xx": true, "2xx": true, "3xx": true, "4xx": true, "5xx": true, "other": true}

// rawRequest sends one request line over a socket, as an attacker would:
// any method token, any path.
func rawRequest(t *testing.T, addr, method, path string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", method, path)
	io.Copy(io.Discard, c)
}

// TestMetricsStayBounded sends thousands of anonymous requests with made-up
// methods and paths, some to a mount that answers made-up status codes,
// and checks that the number of series stops growing and every label
// value comes from its closed set (the review's 20,000 requests grew the
// exposition to 66 MB).
func TestMetricsStayBounded(t *testing.T) {
	// A mount that answers the code its path names, made-up ones too.
	weird := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.Trim(r.URL.Path, "/"))
		if code < 100 || code > 999 {
			code = http.StatusTeapot
		}
		w.WriteHeader(code)
	})
	codes := []int{200, 207, 299, 404, 420, 599, 777, 999}
	s := &Server{Mounts: map[string]http.Handler{"dav": weird, "zoom-sandbox": weird}}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	routes := map[string]bool{"unmatched": true, "/dav/": true, "/zoom-sandbox/": true}
	for _, rt := range s.routes {
		routes[rt.method+" "+rt.path] = true
	}
	rng := rand.New(rand.NewPCG(1, 2))
	token := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('A' + rng.IntN(26))
		}
		return string(b)
	}
	paths := []func() string{
		func() string { return "/" + token(12) },
		func() string { return "/api/v1/" + token(8) + "/" + token(8) },
		func() string { return "/dav/" + strconv.Itoa(codes[rng.IntN(len(codes))]) },
		func() string { return "/zoom-sandbox/" + strconv.Itoa(codes[rng.IntN(len(codes))]) },
		func() string { return "/api/v1/users/me" },
	}
	methods := []func() string{
		func() string { return token(3 + rng.IntN(10)) },
		func() string { return []string{"GET", "PROPFIND", "REPORT", "BREW", "get"}[rng.IntN(5)] },
	}
	batch := func(n int) int {
		for range n {
			rawRequest(t, addr, methods[rng.IntN(len(methods))](), paths[rng.IntN(len(paths))]())
		}
		return httpSeries(t, s, routes)
	}
	first := batch(2500)
	second := batch(2500)
	// The label values seen here: 4 methods (GET, PROPFIND, REPORT,
	// other) × 4 routes (two mounts, unmatched, GET /api/v1/users/me) ×
	// at most 7 statuses, for the counter and (without the status) the
	// histogram: under 100, and the second batch, which has the same mix,
	// adds nothing.
	if second > 100 || second != first {
		t.Errorf("HTTP series: %d after 2,500 random requests, %d after 5,000; want under 100, not growing", first, second)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`method="other"`)) || !bytes.Contains(body, []byte(`status="other"`)) || !bytes.Contains(body, []byte(`status="4xx"`)) {
		t.Errorf("no folded labels in the exposition")
	}
	t.Logf("%d HTTP series, exposition %d bytes after 5,000 random requests", second, len(body))
}
