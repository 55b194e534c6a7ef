// Command caldav compares the CalDAV REPORT throughput of Convene's built-in
// calendar server with Radicale's (Debian's radicale 3.1.8) on the same
// data: a 2,000-event calendar over one year (single meetings, weekly
// series with moved and cancelled instances, all-day events), queried with
// one-week time-range calendar-query REPORTs asking for getetag and
// calendar-data, as a phone or desktop client does when it opens a week
// (DESIGN.md §7: the target is at least 100× Radicale).
//
// Both servers run on this machine over real sockets: Convene in this
// process (SQLite store, the davserver handler), Radicale as its own
// process. Before measuring, every week's answer of the two servers is
// compared (the same events must come back), so the figures compare equal
// work. It is run by hand (go run ./bench/caldav), not in CI.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/calendar/davserver"
	"github.com/convene/convene/internal/calendar/radicaletest"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
)

func main() {
	events := flag.Int("events", 2000, "events in the calendar")
	seed := flag.Uint64("seed", 1, "seed of the calendar")
	duration := flag.Duration("duration", 10*time.Second, "measuring time per server")
	concurrency := flag.Int("concurrency", 4, "concurrent clients")
	radicale := flag.String("radicale", "radicale", "the radicale command")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of Convene's measurement to this file")
	flag.BoolVar(&onlyConvene, "convene-only", false, "measure Convene alone (no Radicale, no comparison)")
	flag.Parse()
	if err := run(*events, *seed, *duration, *concurrency, *radicale); err != nil {
		fmt.Fprintln(os.Stderr, "caldav bench:", err)
		os.Exit(1)
	}
}

var (
	cpuProfile  string
	onlyConvene bool
)

// target is a CalDAV calendar to query.
type target struct {
	name      string
	calURL    string
	user, pwd string
}

func run(events int, seed uint64, duration time.Duration, concurrency int, radicaleCmd string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "convene-caldav-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	objs := generate(events, seed)
	fmt.Printf("CalDAV REPORT benchmark, %s, GOMAXPROCS=%d, %d events (%d objects), %d clients, %s per server\n",
		runtime.Version(), runtime.GOMAXPROCS(0), events, len(objs), concurrency, duration)

	conv, stop, err := startConvene(ctx, filepath.Join(dir, "convene"), objs)
	if err != nil {
		return fmt.Errorf("convene: %w", err)
	}
	defer stop()

	weeks := weekRanges()
	if onlyConvene {
		cs := measure(ctx, conv, weeks, duration, concurrency)
		fmt.Printf("%-16s %10d %10.1f %10v %10v %9d\n", cs.name, cs.n, cs.rate, cs.p50.Round(10*time.Microsecond), cs.p99.Round(10*time.Microsecond), cs.errors)
		return nil
	}
	bin, err := exec.LookPath(radicaleCmd)
	if err != nil {
		return fmt.Errorf("radicale not found (apt-get install radicale): %w", err)
	}
	os.MkdirAll(filepath.Join(dir, "radicale"), 0o700)
	rad, err := radicaletest.Start(bin, filepath.Join(dir, "radicale"), "ann", "bench-password")
	if err != nil {
		return err
	}
	defer rad.Stop()
	start := time.Now()
	if err := rad.PutCalendar(ctx, "/ann/bench/", merged(objs)); err != nil {
		return err
	}
	fmt.Printf("uploaded to Radicale in %s\n", time.Since(start).Round(time.Millisecond))
	radT := target{name: "Radicale 3.1.8", calURL: rad.URL + "/ann/bench/", user: rad.User, pwd: rad.Password}

	// Same answers first.
	hits := 0
	for _, w := range weeks {
		a, err := query(ctx, conv, w)
		if err != nil {
			return err
		}
		b, err := query(ctx, radT, w)
		if err != nil {
			return err
		}
		if !slices.Equal(a, b) {
			return fmt.Errorf("week %s: Convene answers %d events %v, Radicale %d %v", w[0], len(a), diff(a, b), len(b), diff(b, a))
		}
		hits += len(a)
	}
	fmt.Printf("both servers give the same events for all %d weeks (%.1f objects per week on average)\n", len(weeks), float64(hits)/float64(len(weeks)))

	fmt.Printf("%-16s %10s %10s %10s %10s %9s\n", "server", "requests", "req/s", "p50", "p99", "errors")
	rs := measure(ctx, radT, weeks, duration, concurrency)
	cs := measure(ctx, conv, weeks, duration, concurrency)
	for _, s := range []stats{rs, cs} {
		fmt.Printf("%-16s %10d %10.1f %10v %10v %9d\n", s.name, s.n, s.rate, s.p50.Round(10*time.Microsecond), s.p99.Round(10*time.Microsecond), s.errors)
	}
	if rs.rate > 0 {
		fmt.Printf("Convene / Radicale: %.0f× the throughput, p50 %.0f× lower\n", cs.rate/rs.rate, float64(rs.p50)/float64(cs.p50))
	}
	return nil
}

// generate makes the calendar: one VCALENDAR per UID, in UTC (Radicale
// and Convene then read floating and all-day times alike).
func generate(n int, seed uint64) []string {
	rng := mrand.New(mrand.NewPCG(seed, seed+1))
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	var out []string
	wrap := func(body string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Convene bench//EN\r\n" + body + "END:VCALENDAR\r\n"
	}
	ev := func(uid string, lines ...string) string {
		return "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" + strings.Join(lines, "\r\n") + "\r\nEND:VEVENT\r\n"
	}
	f := func(t time.Time) string { return t.Format("20060102T150405Z") }
	for i := range n {
		day := start.AddDate(0, 0, rng.IntN(360))
		at := time.Date(day.Year(), day.Month(), day.Day(), 7+rng.IntN(10), 15*rng.IntN(4), 0, 0, time.UTC)
		dur := time.Duration(30*(1+rng.IntN(3))) * time.Minute
		uid := fmt.Sprintf("bench-%05d@convene", i)
		desc := "DESCRIPTION:Agenda: " + strings.Repeat("item, ", 5+rng.IntN(20))
		switch {
		case i%20 == 0:
			body := ev(uid, "DTSTART:"+f(at), "DURATION:PT"+fmt.Sprint(int(dur.Minutes()))+"M", "RRULE:FREQ=WEEKLY;COUNT=20", "SUMMARY:Weekly "+uid, desc)
			if i%60 == 0 {
				moved := at.AddDate(0, 0, 14)
				body += ev(uid, "RECURRENCE-ID:"+f(moved), "DTSTART:"+f(moved.Add(3*time.Hour)), "DURATION:PT30M", "SUMMARY:Moved")
				body += ev(uid, "RECURRENCE-ID:"+f(at.AddDate(0, 0, 21)), "DTSTART:"+f(at.AddDate(0, 0, 21)), "DURATION:PT30M", "STATUS:CANCELLED")
			}
			out = append(out, wrap(body))
		case i%40 == 1:
			out = append(out, wrap(ev(uid, "DTSTART;VALUE=DATE:"+day.Format("20060102"), "DTEND;VALUE=DATE:"+day.AddDate(0, 0, 1).Format("20060102"), "SUMMARY:Day off")))
		default:
			out = append(out, wrap(ev(uid, "DTSTART:"+f(at), "DTEND:"+f(at.Add(dur)), "SUMMARY:Meeting "+uid, "LOCATION:Room "+fmt.Sprint(rng.IntN(30)), desc)))
		}
	}
	return out
}

// startConvene runs the CalDAV server of Convene on a loopback socket over
// a fresh SQLite store holding the calendar.
func startConvene(ctx context.Context, dir string, objs []string) (target, func(), error) {
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "convene.db"), store.Options{})
	if err != nil {
		return target{}, nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	box, _ := seal.New(key)
	now := time.Now().UTC()
	u := &store.User{ID: "usr_bench", AccountID: "acc_bench", Email: "ann@bench.test", Name: "Ann", Role: store.RoleOwner,
		TimeZone: "UTC", WorkingHours: account.DefaultWorkingHours, DefaultDuration: 30, Created: now}
	secret := "cvn_benchmarktoken0123456789"
	err = errors.Join(
		db.CreateAccount(ctx, &store.Account{ID: "acc_bench", Name: "Bench", Language: "en", Created: now}),
		db.CreateUser(ctx, u),
		db.CreateToken(ctx, &store.Token{ID: "tok_bench", AccountID: u.AccountID, UserID: u.ID, Hash: account.HashToken(secret), Created: now}))
	if err != nil {
		db.Close()
		return target{}, nil, err
	}
	cals := calendar.New(db, box, calendar.Options{})
	start := time.Now()
	res, err := cals.Import(ctx, account.Principal{AccountID: u.AccountID, UserID: u.ID, Email: u.Email, Role: u.Role}, u.Email,
		strings.NewReader(strings.Join(objs, "")))
	if err != nil {
		db.Close()
		return target{}, nil, err
	}
	if len(res.Skipped) > 0 {
		db.Close()
		return target{}, nil, fmt.Errorf("import skipped %v", res.Skipped)
	}
	fmt.Printf("imported into Convene in %s\n", time.Since(start).Round(time.Millisecond))
	h := davserver.New(cals, account.New(db, nil, ""), "/dav", nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return target{}, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	stop := func() {
		srv.Close()
		db.Close()
	}
	return target{name: "Convene", calURL: "http://" + ln.Addr().String() + "/dav/ann@bench.test/calendars/default/",
		user: u.Email, pwd: secret}, stop, nil
}

// merged returns the objects as one calendar file.
func merged(objs []string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Convene bench//EN\r\n")
	for _, o := range objs {
		body := strings.TrimPrefix(o, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Convene bench//EN\r\n")
		b.WriteString(strings.TrimSuffix(body, "END:VCALENDAR\r\n"))
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

// weekRanges are the 52 weeks of 2026 from Monday 5 January.
func weekRanges() [][2]time.Time {
	var out [][2]time.Time
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range 52 {
		s := start.AddDate(0, 0, 7*i)
		out = append(out, [2]time.Time{s, s.AddDate(0, 0, 7)})
	}
	return out
}

const reportBody = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="%s" end="%s"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}

// report sends one week's REPORT and returns the answer.
func report(ctx context.Context, t target, w [2]time.Time) ([]byte, error) {
	body := fmt.Sprintf(reportBody, w[0].Format("20060102T150405Z"), w[1].Format("20060102T150405Z"))
	req, err := http.NewRequestWithContext(ctx, "REPORT", t.calURL, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(t.user, t.pwd)
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	req.Header.Set("Depth", "1")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusMultiStatus {
		return nil, fmt.Errorf("%s: REPORT answered %d: %.200s", t.name, resp.StatusCode, b)
	}
	return b, nil
}

var uidLine = regexp.MustCompile(`UID:(bench-\d+@convene)`)

// query returns the sorted UIDs of the events a week's REPORT returns.
func query(ctx context.Context, t target, w [2]time.Time) ([]string, error) {
	b, err := report(ctx, t, w)
	if err != nil {
		return nil, err
	}
	var uids []string
	for _, m := range uidLine.FindAllStringSubmatch(string(b), -1) {
		uids = append(uids, m[1])
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

type stats struct {
	name          string
	n, errors     int
	rate          float64
	p50, p99      time.Duration
	totalDuration time.Duration
}

// measure runs concurrency clients sending week REPORTs, round robin over
// the year, for d.
func measure(ctx context.Context, t target, weeks [][2]time.Time, d time.Duration, concurrency int) stats {
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	var next atomic.Int64
	if cpuProfile != "" && t.name == "Convene" {
		if f, err := os.Create(cpuProfile); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	deadline := time.Now().Add(d)
	begin := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				w := weeks[int(next.Add(1))%len(weeks)]
				s := time.Now()
				if _, err := report(ctx, t, w); err != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(s))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)
	slices.Sort(lat)
	st := stats{name: t.name, n: len(lat), errors: int(errs.Load()), totalDuration: elapsed}
	if len(lat) > 0 {
		st.rate = float64(len(lat)) / elapsed.Seconds()
		st.p50, st.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return st
}
