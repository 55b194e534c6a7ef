// Command assistant measures the e-mail assistant from SMTP to reply: it
// starts a whole Convene in this process (storage, jobs, the SMTP listener,
// HTTP), sets up an account with organizers, then sends N meeting requests
// over SMTP from concurrent clients (each organizer writing to an external
// guest with the assistant in Cc) and waits until every request's reply
// (the guest's options) is in the outbox. It prints messages per second
// and the latency from the start of a request's SMTP transaction to its
// reply's row in the outbox.
//
//	go run ./bench/assistant -db sqlite -n 500 -c 8
//	go run ./bench/assistant -db 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// The senders are proven the way a site behind its own MTA proves them:
// CONVENE_TRUSTED_MTA names the MTA whose Authentication-Results header is
// believed, from 127.0.0.1 (no DNS server runs). Run by hand; the figures
// go in the issue notes.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/server"
	"github.com/convene/convene/internal/store"
)

func main() {
	db := flag.String("db", "sqlite", "sqlite, or a postgres:// URL (its schema is replaced)")
	n := flag.Int("n", 500, "requests")
	conc := flag.Int("c", 8, "concurrent SMTP clients")
	organizers := flag.Int("organizers", 20, "organizers the requests are spread over")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()

	dir, err := os.MkdirTemp("", "convene-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	httpAddr, smtpAddr := freePort(), freePort()
	dbURL := "sqlite:" + dir + "/convene.db"
	if *db != "sqlite" {
		dbURL = freshSchema(*db)
	}
	env := map[string]string{"CONVENE_DATA_DIR": dir, "CONVENE_HTTP_ADDR": httpAddr, "CONVENE_SMTP_ADDR": smtpAddr, "CONVENE_DATABASE_URL": dbURL,
		"CONVENE_TRUSTED_MTA": "mx.bench.test", "CONVENE_TRUSTED_MTA_IPS": "127.0.0.1"}
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
	st := seed(base, dbURL, *organizers)
	defer st.Close()

	var (
		next  atomic.Int64
		mu    sync.Mutex
		sent  = map[string]time.Time{}
		fails atomic.Int64
		wg    sync.WaitGroup
	)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	begin := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				org := fmt.Sprintf("organizer%d@bench.test", i%*organizers)
				id := fmt.Sprintf("bench-%d@bench.test", i)
				raw := fmt.Sprintf("Authentication-Results: mx.bench.test; dmarc=pass header.from=bench.test; dkim=pass header.d=bench.test\r\n"+
					"From: Organizer <%s>\r\nTo: Guest %d <guest%d@partner.example>\r\nCc: assistant@bench.test\r\nSubject: Bench %d\r\n"+
					"Message-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
					"Hello, can we meet for 30 minutes next week?\r\n", org, i, i, i, id, time.Now().Format(time.RFC1123Z))
				t0 := time.Now()
				if err := send(smtpAddr, org, raw); err != nil {
					fails.Add(1)
					log.Printf("send %d: %v", i, err)
					continue
				}
				mu.Lock()
				sent["<"+id+">"] = t0
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	accepted := time.Since(begin)
	// Wait for the replies: one options mail per request.
	var replies int
	deadline := time.Now().Add(10 * time.Minute)
	for {
		st.SQL().QueryRow(`SELECT count(*) FROM mail_outbox WHERE kind = 'assistant.options'`).Scan(&replies)
		if replies >= len(sent) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(begin)
	// Latency: from a request's SMTP start to its reply's row.
	rows, err := st.SQL().Query(`SELECT raw, created_ms FROM mail_outbox WHERE kind = 'assistant.options'`)
	if err != nil {
		log.Fatal(err)
	}
	var lat []time.Duration
	for rows.Next() {
		var raw []byte
		var created int64
		rows.Scan(&raw, &created)
		h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			continue
		}
		if t0, ok := sent[h.Get("In-Reply-To")]; ok {
			lat = append(lat, time.UnixMilli(created).Sub(t0))
		}
	}
	rows.Close()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(float64(len(lat)-1)*p)].Round(time.Millisecond)
	}
	engine := "sqlite"
	if *db != "sqlite" {
		engine = "postgres"
	}
	fmt.Printf("engine=%s requests=%d concurrency=%d organizers=%d GOMAXPROCS=%d\n", engine, *n, *conc, *organizers, runtime.GOMAXPROCS(0))
	fmt.Printf("accepted over SMTP: %d in %v (%.0f messages/s), %d refused\n", len(sent), accepted.Round(time.Millisecond),
		float64(len(sent))/accepted.Seconds(), fails.Load())
	fmt.Printf("replied: %d in %v: %.1f messages/s from SMTP to reply; latency p50=%v p90=%v p99=%v max=%v\n", replies,
		elapsed.Round(time.Millisecond), float64(replies)/elapsed.Seconds(), pct(0.5), pct(0.9), pct(0.99), pct(1))
	stop()
	time.Sleep(200 * time.Millisecond)
}

// send delivers one message over a plain SMTP connection (the listener is
// on loopback; no STARTTLS).
func send(addr, from, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, []string{"assistant@bench.test"}, strings.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

func freePort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// seed creates the account, verifies its domain in the database (no DNS
// server runs), and its organizers; it returns a store for the counts.
func seed(base, dbURL string, organizers int) *store.DB {
	var out map[string]any
	call(base, "POST", "/api/v1/setup", "", map[string]any{"account": "Bench", "admin_email": "owner@bench.test", "admin_name": "Owner"}, &out)
	owner := out["token"].(string)
	accountID := out["account_id"].(string)
	call(base, "POST", "/api/v1/domains", owner, map[string]any{"domain": "bench.test"}, &out)
	st, err := store.Open(context.Background(), dbURL, store.Options{MaxConns: 2})
	if err != nil {
		log.Fatal(err)
	}
	if err := st.MarkDomainVerified(context.Background(), accountID, "bench.test", time.Now(), store.VerifiedByDNS); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < organizers; i++ {
		call(base, "POST", "/api/v1/users", owner, map[string]any{"email": fmt.Sprintf("organizer%d@bench.test", i), "name": "Organizer", "timezone": "Europe/Paris"}, &out)
	}
	return st
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
