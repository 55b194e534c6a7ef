// Command booking measures end-to-end bookings through Convene's HTTP API:
// it starts a whole Convene (storage, jobs, the built-in Zoom sandbox, HTTP)
// in this process, sets up an account with Zoom installed, then books
// meetings, first from one client, then from many, on SQLite or PostgreSQL.
//
// Each phase is timed to the end of its work, not to the last answer: the
// clock stops once every meeting of the phase is booked with its video
// meeting, every invitation is in the outbox, every built-in calendar
// write is done and no job of the bookings is left to run. It prints
// bookings per second to that point, the latency of POST /api/v1/meetings
// (p50, p99), the process's CPU time per booking, and, on PostgreSQL, the
// server's commits and WAL syncs per booking and the CPU of the server
// processes of Convene's own connections (found by their application
// name, so that other users of a shared server do not count).
//
// When a PostgreSQL server is at hand (the -db URL, else -pgbench, else
// CONVENE_TEST_DATABASE_URL), the same run then measures pgbench's
// TPC-B-like load on it (scale 10, 8 clients, 2 threads, 10 s, in a scratch
// database it creates and drops) and prints bookings/s ÷ pgbench TPS: a
// ratio that stays meaningful on a shared machine, where absolute figures
// move with the neighbours' load. Under heavy load the two runs still see
// different neighbours; on PostgreSQL the harness then also prints the CPU
// ratio, pgbench's CPU per transaction (pgbench and its server processes)
// ÷ the CPU per booking (this process, the sandbox and the clients
// included, and Convene's server processes): what the rate ratio is on a
// machine busy with nothing else.
//
// The sandbox refuses a host's 101st create of a UTC day, as Zoom does
// (zoom-api.md §3.3): bookings are spread over enough organizers that none
// reaches it.
//
//	go run ./bench/booking -db sqlite
//	go run ./bench/booking -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//	go run ./bench/booking -db sqlite -n1 0 -n 10000    # RSS and data size after 10,000 meetings
//
// Run by hand; the figures go in the issue notes, not in timed tests.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/server"
	"github.com/convene/convene/internal/store"
)

// serverApp is the application name of Convene's connections to
// PostgreSQL, by which the harness finds their server processes.
const serverApp = "convene-bench"

// perHostPerDay is how many creates the harness gives one organizer, under
// the sandbox's daily limit of 100 per host.
const perHostPerDay = 90

// guests per booking (the organizer gets the invitation too).
var guests = []map[string]string{{"email": "guest@partner.example"}}

func main() {
	db := flag.String("db", "sqlite", "sqlite, or a postgres:// URL (a fresh schema is made in it, and dropped at the end)")
	n := flag.Int("n", 2000, "bookings of the concurrent phase")
	n1 := flag.Int("n1", 300, "bookings of the one-client phase (0: skip it)")
	conc := flag.Int("c", 16, "concurrent clients of the concurrent phase")
	organizers := flag.Int("organizers", 0, fmt.Sprintf("organizers the bookings are spread over (0: enough for at most %d Zoom creates each)", perHostPerDay))
	provider := flag.String("provider", "zoom", "zoom or none")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the concurrent phase to this file")
	memProfile := flag.String("memprofile", "", "write a profile of the memory allocated during the run (pprof -sample_index=alloc_space) to this file")
	blockProfile := flag.String("blockprofile", "", "write a profile of where goroutines waited (channels, locks, the SQLite writer) to this file")
	pgb := flag.String("pgbench", "", "PostgreSQL server for pgbench (default: -db when it is one, else $CONVENE_TEST_DATABASE_URL; off: skip)")
	pgbTime := flag.Duration("pgbench-time", 10*time.Second, "how long pgbench runs")
	flag.Parse()

	dir, err := os.MkdirTemp("", "convene-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dbURL := "sqlite:" + dir + "/convene.db"
	engine, schema := "sqlite", ""
	if *db != "sqlite" {
		engine = "postgres"
		dbURL, schema = freshSchema(*db, serverApp)
		defer dropSchema(*db, schema)
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
	served := make(chan error, 1)
	go func() {
		served <- server.Run(ctx, cfg, server.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: func(u string) { ready <- u }})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-served:
		log.Fatalf("serve: %v", err)
	}
	orgs := *organizers
	if orgs <= 0 {
		orgs = max(1, (*n+*n1+perHostPerDay-1)/perHostPerDay)
	}
	accountID, tokens := seed(base, dbURL, orgs, *provider == "zoom")
	w := openWatch(dbURL, accountID)
	defer w.st.Close()

	fmt.Printf("engine=%s provider=%s organizers=%d GOMAXPROCS=%d NumCPU=%d\n", engine, *provider, len(tokens), runtime.GOMAXPROCS(0), runtime.NumCPU())
	b := &bench{base: base, tokens: tokens, provider: *provider, w: w}
	var results []*phaseResult
	if *n1 > 0 {
		results = append(results, b.phase("1 client", *n1, 1, ""))
	}
	if *blockProfile != "" {
		runtime.SetBlockProfileRate(int(10 * time.Microsecond))
	}
	results = append(results, b.phase(fmt.Sprintf("%d clients", *conc), *n, *conc, *cpuProfile))
	if *blockProfile != "" {
		f, err := os.Create(*blockProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.Lookup("block").WriteTo(f, 0)
		f.Close()
		runtime.SetBlockProfileRate(0)
	}

	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}

	// pgbench on the same machine, right after the bookings.
	pgURL := *pgb
	if pgURL == "" {
		if engine == "postgres" {
			pgURL = *db
		} else {
			pgURL = os.Getenv("CONVENE_TEST_DATABASE_URL")
		}
	}
	var pb pgbenchResult
	if pgURL != "" && pgURL != "off" {
		var err error
		if pb, err = pgbench(pgURL, *pgbTime); err != nil {
			fmt.Printf("pgbench: %v\n", err)
		}
	}
	tps := pb.tps

	fmt.Println()
	fmt.Printf("%-12s %9s %11s %11s %9s %9s %9s %10s", "phase", "bookings", "to answers", "to end", "p50", "p99", "max", "CPU/bkg")
	if engine == "postgres" {
		fmt.Printf(" %8s %8s %10s", "commits", "walsync", "PG CPU")
	}
	fmt.Println()
	for _, r := range results {
		r.print(engine)
	}
	if tps > 0 {
		fmt.Printf("\npgbench (TPC-B-like, scale 10, -c 8 -j 2 -T %s): %.0f TPS, CPU per transaction %.3f ms (pgbench) + %.3f ms (its server processes)\n",
			pgbTime.String(), tps, pb.clientCPU, pb.serverCPU)
		for _, r := range results {
			fmt.Printf("ratio %-10s bookings/s to the end of the work ÷ pgbench TPS = %.3f\n", r.name+":", r.rateToEnd()/tps)
		}
		// On a machine others load too, the rates move with them; what each
		// costs in CPU moves much less. The CPU ratio is what the rate ratio
		// would be on a machine busy with nothing else.
		if engine == "postgres" && pb.serverCPU > 0 {
			for _, r := range results {
				booking := (float64(r.cpu.Microseconds()) + float64(r.pgCPU.Microseconds())) / 1000 / float64(r.n)
				fmt.Printf("CPU ratio %-10s pgbench CPU per transaction ÷ CPU per booking (%.2f ms: Convene, its clients, the sandbox, its server processes) = %.3f\n",
					r.name+":", booking, (pb.clientCPU+pb.serverCPU)/booking)
			}
		}
	}

	// Memory and disk after every meeting of the run.
	runtime.GC()
	rss, hwm := procStatus("VmRSS"), procStatus("VmHWM")
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	total := w.count(`SELECT count(*) FROM meetings WHERE account_id = $1`)
	fmt.Printf("\nafter %d meetings: RSS %.1f MB (peak %.1f MB; the harness's clients included), Go heap in use %.1f MB\n",
		total, rss/1024, hwm/1024, float64(mem.HeapInuse)/1e6)
	size, parts := dataSize(dir, w, engine, schema)
	outboxBytes := w.count(`SELECT coalesce(sum(length(raw)), 0) FROM mail_outbox WHERE account_id = $1`)
	if total > 0 {
		k := float64(total) / 1000
		fmt.Printf("data per 1,000 meetings: %.2f MB (%s); outbox mail bodies %.2f MB\n", float64(size)/k/1e6, parts, float64(outboxBytes)/k/1e6)
	}
	stop()
	select {
	case <-served:
	case <-time.After(30 * time.Second):
	}
}

// bench books meetings through the API.
type bench struct {
	base     string
	tokens   []string
	provider string
	w        *watch
	next     int // index of the next booking over all phases
}

type phaseResult struct {
	name         string
	n            int
	statuses     map[int]int
	latencies    []time.Duration
	toAnswers    time.Duration // start to the last answer
	toEnd        time.Duration // start to the end of the work
	cpu          time.Duration // process CPU during the phase
	commits, wal int64         // PostgreSQL server-wide, during the phase
	pgCPU        time.Duration // CPU of the server processes of Convene's connections during the phase
}

func (r *phaseResult) rateToEnd() float64 { return float64(r.n) / r.toEnd.Seconds() }

func (r *phaseResult) print(engine string) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	pct := func(p float64) time.Duration {
		return r.latencies[int(float64(len(r.latencies)-1)*p)].Round(10 * time.Microsecond)
	}
	fmt.Printf("%-12s %9d %9.0f/s %9.0f/s %9v %9v %9v %8.2fms", r.name, r.n, float64(r.n)/r.toAnswers.Seconds(), r.rateToEnd(),
		pct(0.5), pct(0.99), pct(1), float64(r.cpu.Microseconds())/1000/float64(r.n))
	if engine == "postgres" {
		fmt.Printf(" %8.2f %8.2f %8.2fms", float64(r.commits)/float64(r.n), float64(r.wal)/float64(r.n),
			float64(r.pgCPU.Microseconds())/1000/float64(r.n))
	}
	if len(r.statuses) != 1 || r.statuses[201] != r.n {
		fmt.Printf("  statuses %v", r.statuses)
	}
	fmt.Println()
}

// phase books n meetings from conc clients and waits for the end of their
// work.
func (b *bench) phase(name string, n, conc int, cpuProfile string) *phaseResult {
	r := &phaseResult{name: name, n: n, statuses: map[int]int{}}
	first := b.next
	b.next += n
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	commits0, wal0 := b.w.pgStats()
	cpu0, pg0 := cpuTime(), b.w.backendsCPU(serverApp)
	start := time.Now()
	day0 := time.Date(2032, 1, 5, 0, 0, 0, 0, time.UTC)
	// Clients keep their connections, as browsers and API clients do.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = conc
	defer transport.CloseIdleConnections()
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 60 * time.Second, Transport: transport}
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				i += first
				org := i % len(b.tokens)
				slot := i / len(b.tokens)
				at := day0.Add(time.Duration(slot) * time.Hour)
				body, _ := json.Marshal(map[string]any{"subject": fmt.Sprint("Bench ", i), "start_time": at.Format(time.RFC3339),
					"timezone": "Europe/Paris", "duration": 30, "video_provider": b.provider, "attendees": guests})
				req, _ := http.NewRequest("POST", b.base+"/api/v1/meetings", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+b.tokens[org])
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
				r.latencies = append(r.latencies, d)
				r.statuses[st]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.toAnswers = time.Since(start)
	b.w.untilDone(len(guests) + 1)
	r.toEnd = time.Since(start)
	r.cpu = cpuTime() - cpu0
	if b.w.postgres {
		for pid, c := range b.w.backendsCPU(serverApp) {
			r.pgCPU += c - pg0[pid]
		}
	}
	commits1, wal1 := b.w.pgStats()
	r.commits, r.wal = commits1-commits0, wal1-wal0
	return r
}

// watch reads the database to tell when the work of the bookings is done.
type watch struct {
	st        *store.DB
	accountID string
	postgres  bool
}

func openWatch(dbURL, accountID string) *watch {
	if u, err := url.Parse(dbURL); err == nil && u.Query().Get("application_name") != "" {
		// The watch's own queries are not the server's work.
		q := u.Query()
		q.Set("application_name", serverApp+"-watch")
		u.RawQuery = q.Encode()
		dbURL = u.String()
	}
	st, err := store.Open(context.Background(), dbURL, store.Options{MaxConns: 2, SkipMigrations: true})
	if err != nil {
		log.Fatal(err)
	}
	return &watch{st: st, accountID: accountID, postgres: st.Engine() == "postgres"}
}

func (w *watch) count(query string) int64 {
	var n int64
	if err := w.st.SQL().QueryRow(query, w.accountID).Scan(&n); err != nil {
		log.Fatalf("watch: %s: %v", query, err)
	}
	return n
}

// untilDone waits until no meeting is still booking, every booked meeting
// has its invitations (perMeeting mails) and its organizer's calendar
// event, and no job of the bookings is left.
func (w *watch) untilDone(perMeeting int) {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		if w.count(`SELECT count(*) FROM meetings WHERE account_id = $1 AND status = 'booking'`) == 0 {
			booked := w.count(`SELECT count(*) FROM meetings WHERE account_id = $1 AND status = 'booked'`)
			if w.count(`SELECT count(*) FROM mail_outbox WHERE account_id = $1 AND kind <> 'notice'`) >= booked*int64(perMeeting) &&
				w.count(`SELECT count(*) FROM calendar_objects WHERE account_id = $1 AND origin = 'booking'`) >= booked &&
				w.count(`SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'pending')
					AND kind IN ('video.create', 'meeting.deliver', 'mail.send') AND $1 <> ''`) == 0 {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	log.Fatal("the work of the bookings did not end within 10 minutes")
}

// pgStats returns PostgreSQL's commits in this database and WAL syncs of
// the whole server (zero on SQLite): other users of the server count too.
func (w *watch) pgStats() (commits, walSyncs int64) {
	if !w.postgres {
		return 0, 0
	}
	db := w.st.SQL()
	db.Exec(`SELECT pg_stat_clear_snapshot()`)
	db.QueryRow(`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&commits)
	db.QueryRow(`SELECT wal_sync FROM pg_stat_wal`).Scan(&walSyncs)
	return commits, walSyncs
}

// seed creates the account, verifies its domain in the database (the bench
// runs no DNS server), creates the organizers and installs Zoom. It returns
// the account and one token per organizer.
func seed(base, dbURL string, organizers int, zoom bool) (string, []string) {
	var out map[string]any
	call(base, "POST", "/api/v1/setup", "", map[string]any{"account": "Bench", "admin_email": "owner@bench.test", "admin_name": "Owner"}, &out)
	owner := out["token"].(string)
	accountID := out["account_id"].(string)
	call(base, "POST", "/api/v1/domains", owner, map[string]any{"domain": "bench.test"}, &out)
	st, err := store.Open(context.Background(), dbURL, store.Options{MaxConns: 1, SkipMigrations: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := st.MarkDomainVerified(context.Background(), accountID, "bench.test", time.Now(), store.VerifiedByDNS); err != nil {
		log.Fatal(err)
	}
	st.Close()
	var tokens []string
	for i := 0; i < organizers; i++ {
		// Organizers book in their own zone, as most do.
		call(base, "POST", "/api/v1/users", owner, map[string]any{"email": fmt.Sprintf("organizer%d@bench.test", i), "name": "Organizer",
			"timezone": "Europe/Paris"}, &out)
		tokens = append(tokens, out["token"].(string))
	}
	if zoom {
		call(base, "POST", "/api/v1/apps/zoom/pre-approve", owner, nil, &out)
		call(base, "POST", "/api/v1/apps/zoom/install", owner, map[string]any{"domains": []string{"bench.test"}}, &out)
		consent(out["authorize_url"].(string))
	}
	return accountID, tokens
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
// that uses it, and its name.
func freshSchema(base, app string) (string, string) {
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
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

func dropSchema(base, schema string) {
	st, err := store.Open(context.Background(), base, store.Options{MaxConns: 1, SkipMigrations: true})
	if err != nil {
		log.Print(err)
		return
	}
	defer st.Close()
	if _, err := st.SQL().Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
		log.Print(err)
	}
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
var txLine = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)

// pgbenchResult is what pgbench measured, and what it cost: CPU per
// transaction in milliseconds of pgbench itself and of its server
// processes.
type pgbenchResult struct {
	tps, clientCPU, serverCPU float64
}

// pgbench runs pgbench's TPC-B-like load (scale 10, 8 clients, 2 threads)
// for d in a scratch database of the server of base, and returns its TPS
// and CPU cost.
func pgbench(base string, d time.Duration) (pgbenchResult, error) {
	var res pgbenchResult
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return res, fmt.Errorf("not found: %w", err)
	}
	st, err := store.Open(context.Background(), base, store.Options{MaxConns: 1, SkipMigrations: true})
	if err != nil {
		return res, err
	}
	defer st.Close()
	name := fmt.Sprintf("convene_pgbench_%d", time.Now().UnixNano())
	if _, err := st.SQL().Exec(`CREATE DATABASE ` + name); err != nil {
		return res, err
	}
	defer st.SQL().Exec(`DROP DATABASE ` + name)
	u, err := url.Parse(base)
	if err != nil {
		return res, err
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	q.Del("application_name")
	u.RawQuery = q.Encode()
	if out, err := exec.Command(bin, "-i", "-s", "10", "-q", u.String()).CombinedOutput(); err != nil {
		return res, fmt.Errorf("pgbench -i: %v: %s", err, out)
	}
	// Its server processes are found by their application name while it
	// runs: their CPU is gone with them once it ends.
	app := name
	w := &watch{st: st, postgres: true}
	seen := map[int]time.Duration{}
	stop, polled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(polled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			for pid, c := range w.backendsCPU(app) {
				seen[pid] = max(seen[pid], c)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	cmd := exec.Command(bin, "-c", "8", "-j", "2", "-T", strconv.Itoa(int(d.Seconds())), u.String())
	cmd.Env = append(os.Environ(), "PGAPPNAME="+app)
	out, err := cmd.CombinedOutput()
	close(stop)
	<-polled
	if err != nil {
		return res, fmt.Errorf("pgbench: %v: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return res, fmt.Errorf("pgbench: no tps in %s", out)
	}
	if res.tps, err = strconv.ParseFloat(string(m[1]), 64); err != nil {
		return res, err
	}
	if m := txLine.FindSubmatch(out); m != nil {
		if n, _ := strconv.ParseFloat(string(m[1]), 64); n > 0 {
			var server time.Duration
			for _, c := range seen {
				server += c
			}
			client := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			res.clientCPU = float64(client.Microseconds()) / 1000 / n
			res.serverCPU = float64(server.Microseconds()) / 1000 / n
		}
	}
	return res, nil
}

// backendsCPU returns the CPU time so far of each PostgreSQL server process
// serving a connection named app (none on SQLite): the server's share of
// the work, apart from other users of the server.
func (w *watch) backendsCPU(app string) map[int]time.Duration {
	out := map[int]time.Duration{}
	if !w.postgres {
		return out
	}
	rows, err := w.st.SQL().Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			out[pid] = procCPU(pid)
		}
	}
	return out
}

// procCPU is the user and system CPU time of a process of this machine (0
// when /proc cannot tell).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state … utime stime: fields 14 and 15, counted after the
	// comm, which may hold spaces.
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0
	}
	f := strings.Fields(string(b[end+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * (time.Second / 100) // USER_HZ
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads a kB figure of /proc/self/status (0 where there is none).
func procStatus(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return f
		}
	}
	return 0
}

// dataSize is what the run stored: the data directory's files, and on
// PostgreSQL the bench schema's tables with their indexes and TOAST.
func dataSize(dir string, w *watch, engine, schema string) (int64, string) {
	var total int64
	var parts []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.Size() > 0 {
			total += fi.Size()
			parts = append(parts, fmt.Sprintf("%s %.1f MB", filepath.Base(p), float64(fi.Size())/1e6))
		}
		return nil
	})
	if engine == "postgres" {
		var n sql.NullInt64
		err := w.st.SQL().QueryRow(`SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
			JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			log.Print(err)
		}
		total += n.Int64
		parts = append(parts, fmt.Sprintf("tables %.1f MB", float64(n.Int64)/1e6))
	}
	sort.Strings(parts)
	return total, strings.Join(parts, ", ")
}
