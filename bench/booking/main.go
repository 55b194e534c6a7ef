// Command booking measures end-to-end bookings through Convene's HTTP API:
// it starts a whole Convene (storage, jobs, the built-in Zoom sandbox, HTTP)
// in this process, sets up an account with Zoom installed, then books
// meetings from concurrent clients and prints bookings per second and the
// latency of POST /api/v1/meetings (which answers once the Zoom meeting
// exists), on SQLite or PostgreSQL.
//
//	go run ./bench/booking -db sqlite -n 2000 -c 16
//	go run ./bench/booking -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable' -provider none
//
// Run by hand; the figures go in the issue notes, not in timed tests.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/server"
	"github.com/convene/convene/internal/store"
)

func main() {
	db := flag.String("db", "sqlite", "sqlite, or a postgres:// URL (its schema is replaced)")
	n := flag.Int("n", 2000, "bookings")
	conc := flag.Int("c", 16, "concurrent clients")
	organizers := flag.Int("organizers", 20, "organizers the bookings are spread over")
	provider := flag.String("provider", "zoom", "zoom or none")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the booking phase to this file")
	flag.Parse()

	dir, err := os.MkdirTemp("", "convene-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	dbURL := "sqlite:" + dir + "/convene.db"
	if *db != "sqlite" {
		dbURL = freshSchema(*db)
	}
	env := map[string]string{"CONVENE_DATA_DIR": dir, "CONVENE_HTTP_ADDR": addr, "CONVENE_SMTP_ADDR": "", "CONVENE_DATABASE_URL": dbURL}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	config.Flags(fs)
	cfg, err := config.Load(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	go func() {
		err := server.Run(ctx, cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: func(u string) { ready <- u }})
		if err != nil {
			log.Fatal(err)
		}
	}()
	base := <-ready
	owner, tokens := seed(base, dbURL, *organizers, *provider == "zoom")
	_ = owner

	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		statuses  = map[int]int{}
		wg        sync.WaitGroup
	)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	day0 := time.Date(2032, 1, 5, 0, 0, 0, 0, time.UTC)
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 60 * time.Second}
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				org := i % len(tokens)
				slot := i / len(tokens)
				at := day0.Add(time.Duration(slot) * time.Hour)
				body, _ := json.Marshal(map[string]any{"subject": fmt.Sprint("Bench ", i), "start_time": at.Format(time.RFC3339),
					"timezone": "Europe/Paris", "duration": 30, "video_provider": *provider,
					"attendees": []map[string]string{{"email": "guest@partner.example"}}})
				req, _ := http.NewRequest("POST", base+"/api/v1/meetings", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[org])
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				st := 0
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					st = resp.StatusCode
				}
				mu.Lock()
				latencies = append(latencies, d)
				statuses[st]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration { return latencies[int(float64(len(latencies)-1)*p)] }
	engine := "sqlite"
	if *db != "sqlite" {
		engine = "postgres"
	}
	fmt.Printf("engine=%s provider=%s bookings=%d concurrency=%d organizers=%d GOMAXPROCS=%d\n", engine, *provider, *n, *conc, len(tokens), runtime.GOMAXPROCS(0))
	fmt.Printf("statuses=%v\n", statuses)
	fmt.Printf("throughput=%.0f bookings/s  p50=%v  p90=%v  p99=%v  max=%v\n", float64(*n)/elapsed.Seconds(),
		pct(0.5).Round(10*time.Microsecond), pct(0.9).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), latencies[len(latencies)-1].Round(10*time.Microsecond))
	stop()
	time.Sleep(200 * time.Millisecond)
}

// seed creates the account, verifies its domain in the database (the bench
// runs no DNS server), creates the organizers and installs Zoom.
func seed(base, dbURL string, organizers int, zoom bool) (string, []string) {
	var out map[string]any
	call(base, "POST", "/api/v1/setup", "", map[string]any{"account": "Bench", "admin_email": "owner@bench.test", "admin_name": "Owner"}, &out)
	owner := out["token"].(string)
	accountID := out["account_id"].(string)
	call(base, "POST", "/api/v1/domains", owner, map[string]any{"domain": "bench.test"}, &out)
	st, err := store.Open(context.Background(), dbURL, store.Options{MaxConns: 1})
	if err != nil {
		log.Fatal(err)
	}
	if err := st.MarkDomainVerified(context.Background(), accountID, "bench.test", time.Now(), store.VerifiedByDNS); err != nil {
		log.Fatal(err)
	}
	st.Close()
	var tokens []string
	for i := 0; i < organizers; i++ {
		call(base, "POST", "/api/v1/users", owner, map[string]any{"email": fmt.Sprintf("organizer%d@bench.test", i), "name": "Organizer"}, &out)
		tokens = append(tokens, out["token"].(string))
	}
	if zoom {
		call(base, "POST", "/api/v1/apps/zoom/pre-approve", owner, nil, &out)
		call(base, "POST", "/api/v1/apps/zoom/install", owner, map[string]any{"domains": []string{"bench.test"}}, &out)
		consent(out["authorize_url"].(string))
	}
	return owner, tokens
}

var hidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// consent approves at the sandbox's consent page and follows the redirect
// to the callback, as the admin's browser would.
func consent(authorizeURL string) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authorizeURL)
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{"decision": {"approve"}}
	for _, m := range hidden.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	u, _ := url.Parse(authorizeURL)
	u.RawQuery = ""
	resp, err = c.PostForm(u.String(), form)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	resp, err = c.Get(loc)
	if err != nil || resp.StatusCode != 200 {
		log.Fatalf("callback: %v %v", resp.Status, err)
	}
	resp.Body.Close()
}

func call(base, method, path, token string, body any, out any) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		log.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	json.NewDecoder(resp.Body).Decode(out)
}

// freshSchema makes a new schema on the PostgreSQL server and returns a URL
// that uses it.
func freshSchema(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		log.Fatal(err)
	}
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	st, err := store.Open(context.Background(), base, store.Options{MaxConns: 1, SkipMigrations: true})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := st.SQL().Exec(`CREATE SCHEMA ` + schema); err != nil {
		log.Fatal(err)
	}
	st.Close()
	q := u.Query()
	q.Set("search_path", schema+",public")
	u.RawQuery = q.Encode()
	return u.String()
}
