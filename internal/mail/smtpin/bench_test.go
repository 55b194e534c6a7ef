package smtpin_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/inbox/inboxtest"
	"github.com/convene/convene/internal/mail/smtpin"
)

// BenchmarkDataToCommittedRow measures messages per second from the SMTP
// transaction to the 250 that follows the commit of the message and its
// job (SQLite with the WAL synced at commit), over a real socket; the
// processing jobs run meanwhile, as they would.
func BenchmarkDataToCommittedRow(b *testing.B) {
	for _, clients := range []int{1, 4} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			e := inboxtest.New(b, "sqlite", inboxtest.Options{Log: discard{}})
			e.Tenant("Acme", "acme.test")
			addr, _ := start(b, e.Inbox, smtpin.Options{MaxConns: 64})
			var n atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, clients)
			b.ResetTimer()
			begin := time.Now()
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func(c int) {
					defer wg.Done()
					errs <- sendMany(addr, c, &n, int64(b.N))
				}(c)
			}
			wg.Wait()
			elapsed := time.Since(begin)
			close(errs)
			for err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}

// sendMany sends messages on one connection until n reaches total.
func sendMany(addr string, c int, n *atomic.Int64, total int64) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	reply := func() (string, error) {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return "", err
			}
			if len(line) < 4 || line[3] != '-' {
				return line, nil
			}
		}
	}
	step := func(cmd, want string) error {
		if cmd != "" {
			if _, err := fmt.Fprint(conn, cmd+"\r\n"); err != nil {
				return err
			}
		}
		got, err := reply()
		if err == nil && !strings.HasPrefix(got, want) {
			err = fmt.Errorf("%q: %q", cmd, got)
		}
		return err
	}
	if err := step("", "220"); err != nil {
		return err
	}
	if err := step("EHLO bench.test", "250"); err != nil {
		return err
	}
	for {
		i := n.Add(1)
		if i > total {
			return nil
		}
		msg := string(inboxtest.Letter("owner@acme.test", "acme.test", fmt.Sprintf("bench-%d-%d@acme.test", c, i), "Bench"))
		for _, s := range []struct{ cmd, want string }{
			{"MAIL FROM:<owner@acme.test>", "250"}, {"RCPT TO:<assistant@acme.test>", "250"}, {"DATA", "354"}, {msg + ".", "250"},
		} {
			if err := step(s.cmd, s.want); err != nil {
				return err
			}
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
