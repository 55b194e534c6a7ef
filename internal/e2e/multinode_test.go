package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testbin"
)

// TestTwoNodesOneKilled runs two convene serve processes on one PostgreSQL
// database, books meetings through both while Zoom is slow to answer, and
// kills one node with SIGKILL mid-run: the other finishes the dead node's
// jobs, and every meeting ends with exactly one Zoom meeting and one
// invitation per recipient.
func TestTwoNodesOneKilled(t *testing.T) {
	dns := dnstest.Start(t)
	dbURL := storetest.URL(t, "postgres")
	key := make([]byte, 32)
	rand.Read(key)
	addrA, addrB := freeAddr(t), freeAddr(t)
	sandbox := testbin.Start(t, nil, append([]string{"zoom-sandbox", "--addr", "127.0.0.1:0", "--domains", "acme.test",
		"--webhook-url", "http://" + addrB + "/webhooks/zoom",
		"--redirect-uri", "http://" + addrA + "/oauth/zoom/callback", "--redirect-uri", "http://" + addrB + "/oauth/zoom/callback"},
		zoomApp.flags...)...)
	zoom := sandbox.URL
	node := func(addr string) *testbin.Process {
		return testbin.Start(t, append([]string{
			"CONVENE_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "CONVENE_DATABASE_URL=" + dbURL,
			"CONVENE_HTTP_ADDR=" + addr, "CONVENE_SMTP_ADDR=", "CONVENE_DNS_RESOLVER=" + dns.Addr,
			"CONVENE_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key), // one key for the cluster
			"CONVENE_ZOOM_API_URL=" + zoom + "/v2", "CONVENE_ZOOM_OAUTH_URL=" + zoom,
			"CONVENE_JOB_TIMEOUT=3s", "CONVENE_LOG_LEVEL=debug",
		}, zoomApp.env...), "serve")
	}
	a, b := node(addrA), node(addrB)
	ca, cb := client{t: t, base: a.URL}, client{t: t, base: b.URL}
	tn := setupTenant(t, ca, dns, "acme.test")
	installZoom(t, ca, tn)

	// Zoom commits each create, then holds its answer for 2 s.
	zoomControl(t, "POST", zoom, "/_sandbox/faults", map[string]any{"commit_then_delay_ms": 2000, "times": 1000, "method": "POST", "path": "/v2/users"}, nil)
	const n = 12
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := ca
			if i%2 == 1 {
				c = cb
			}
			st, m, err := c.try("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": fmt.Sprint("Cluster ", i),
				"start_time": fmt.Sprintf("2031-09-01T%02d:00", 8+i), "timezone": "UTC", "duration": 30,
				"attendees": []map[string]string{{"email": "guest@partner.example"}}})
			if err == nil && (st == 201 || st == 202) {
				ids[i] = m["id"].(string)
			}
		}(i)
	}
	// Kill node A while its jobs wait for Zoom's answers (its clients get
	// cut connections; the bookings were committed before): once A runs a
	// create and Zoom holds a create's answer.
	queue := queueDB(t, "", []string{"CONVENE_DATABASE_URL=" + dbURL})
	nodeA := riverClientID(t, a)
	eventually(t, 20*time.Second, "a create of node A under way at Zoom", func() bool {
		var n int
		err := queue.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM river_job
			WHERE kind = 'video.create' AND state = 'running' AND attempted_by[array_length(attempted_by, 1)] = $1`, nodeA).Scan(&n)
		return err == nil && n > 0 && holdsOf(t, zoom).Held > 0
	})
	a.Signal(syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	a.Wait(ctx)
	cancel()
	wg.Wait()
	zoomControl(t, "DELETE", zoom, "/_sandbox/faults", nil, nil)

	// Bookings whose answer was lost with node A: find them through B.
	st, list := cb.call("GET", "/api/v1/meetings?from=2031-09-01T00:00:00Z&to=2031-09-02T00:00:00Z", tn.member, nil)
	if st != 200 {
		t.Fatalf("list: %d", st)
	}
	booked := map[string]bool{}
	for _, m := range list["meetings"].([]any) {
		booked[m.(map[string]any)["id"].(string)] = true
	}
	for _, id := range ids {
		if id != "" && !booked[id] {
			t.Errorf("meeting %s answered but not stored", id)
		}
	}
	if len(booked) < n/2 {
		t.Fatalf("only %d meetings committed", len(booked))
	}
	eventually(t, 90*time.Second, "every meeting booked by the surviving node", func() bool {
		for id := range booked {
			if st, m := cb.call("GET", "/api/v1/meetings/"+id, tn.member, nil); st != 200 || m["status"] != "booked" {
				return false
			}
		}
		return true
	})
	perTopic := map[string]int{}
	for _, zm := range zoomMeetings(t, zoom) {
		perTopic[zm["topic"].(string)]++
	}
	for id := range booked {
		_, m := cb.call("GET", "/api/v1/meetings/"+id, tn.member, nil)
		if c := perTopic[m["subject"].(string)]; c != 1 {
			t.Errorf("%s has %d Zoom meetings", m["subject"], c)
		}
		var mails []map[string]any
		eventually(t, 30*time.Second, "invitations", func() bool { mails = outbox(t, cb, tn.owner, id); return len(mails) >= 2 })
		if len(mails) != 2 {
			t.Errorf("%s has %d mails, want 2", m["subject"], len(mails))
		}
	}
	// Node B finished creates that node A was running when it died.
	var takenOver int
	eventually(t, 10*time.Second, "a create of node A finished by node B", func() bool {
		err := queue.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM river_job
			WHERE kind = 'video.create' AND state = 'completed' AND $1 = ANY(attempted_by) AND attempted_by[array_length(attempted_by, 1)] <> $1`,
			nodeA).Scan(&takenOver)
		return err == nil && takenOver > 0
	})
	t.Logf("%d meetings committed, %d answered before the kill, %d creates taken over", len(booked), countNonEmpty(ids), takenOver)
}

// riverClientID reads the job queue's client id from a node's log.
func riverClientID(t *testing.T, p *testbin.Process) string {
	t.Helper()
	var id string
	eventually(t, 10*time.Second, "the job queue's client id in the log", func() bool {
		for _, line := range strings.Split(p.Stderr(), "\n") {
			if strings.Contains(line, `msg="River client started"`) {
				if _, rest, ok := strings.Cut(line, "client_id="); ok {
					id, _, _ = strings.Cut(rest, " ")
					return true
				}
			}
		}
		return false
	})
	return id
}

func countNonEmpty(ss []string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

// TestTwoNodesShareSignInFailures: the failed authentications one node
// counts make the client wait at the other too (authlimit.Shared through
// PostgreSQL), so that two nodes do not give an address twice the guesses.
func TestTwoNodesShareSignInFailures(t *testing.T) {
	dns := dnstest.Start(t)
	dbURL := storetest.URL(t, "postgres")
	key := make([]byte, 32)
	rand.Read(key)
	node := func() *testbin.Process {
		return testbin.Start(t, []string{
			"CONVENE_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "CONVENE_DATABASE_URL=" + dbURL,
			"CONVENE_HTTP_ADDR=127.0.0.1:0", "CONVENE_SMTP_ADDR=", "CONVENE_DNS_RESOLVER=" + dns.Addr,
			"CONVENE_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key),
		}, "serve")
	}
	a, b := node(), node()
	ca, cb := client{t: t, base: a.URL}, client{t: t, base: b.URL}
	tn := setupTenant(t, ca, dns, "acme.test")
	if st, _, err := cb.try("GET", "/api/v1/account", tn.owner, nil); err != nil || st != 200 {
		t.Fatalf("a good token at node b: %d %v", st, err)
	}
	for i := range 10 { // the burst of one address
		if st, _, err := ca.try("GET", "/api/v1/account", "cv_wrong_token_"+fmt.Sprint(i), nil); err != nil || st != 401 {
			t.Fatalf("wrong token %d at node a: %d %v", i, st, err)
		}
	}
	// Node b itself sees no failure: a good token, refused only once it
	// has read what node a counted.
	eventually(t, 30*time.Second, "node b refusing the address node a counted", func() bool {
		st, _, err := cb.try("GET", "/api/v1/account", tn.owner, nil)
		return err == nil && st == 429
	})
}
