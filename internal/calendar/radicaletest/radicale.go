// Package radicaletest runs a real Radicale server (Debian's radicale
// 3.1.8) with a temporary storage and one htpasswd user, for the tests of
// Convene's CalDAV sources and for bench/caldav, and puts calendars and
// events into it over HTTP.
//
// It is imported only by tests and benchmarks.
package radicaletest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// Server is a running Radicale.
type Server struct {
	URL      string // http://127.0.0.1:PORT
	User     string
	Password string
	Dir      string
	cmd      *exec.Cmd
	done     chan struct{}
	log      bytes.Buffer
}

// StartT starts Radicale for a test and stops it when the test ends; a
// missing radicale goes through testenv.Missing.
func StartT(t testing.TB) *Server {
	t.Helper()
	bin := testenv.Command(t, "radicale")
	s, err := Start(bin, t.TempDir(), "ann", "radicale-secret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("radicale log:\n%s", s.Log())
		}
		s.Stop()
	})
	return s
}

// Start runs bin with its storage under dir and user/password in an
// htpasswd file (plain), on a free loopback port, and waits until it
// answers.
func Start(bin, dir, user, password string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte(user+":"+password+"\n"), 0o600); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "config")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`[server]
hosts = %s
max_connections = 20

[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = %s

[logging]
level = warning
mask_passwords = True
`, addr, users, filepath.Join(dir, "collections"))), 0o600)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + addr, User: user, Password: password, Dir: dir, done: make(chan struct{})}
	s.cmd = exec.Command(bin, "--config", conf)
	s.cmd.Stdout, s.cmd.Stderr = &s.log, &s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("radicaletest: start %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("radicaletest: radicale exited: %s", s.log.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, errors.New("radicaletest: radicale did not listen within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Log returns what Radicale wrote.
func (s *Server) Log() string { return s.log.String() }

// Stop ends Radicale (its process group, started by Start).
func (s *Server) Stop() {
	if s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Do sends a request as the user and returns the status, headers and body.
func (s *Server) Do(ctx context.Context, method, path, contentType, body string, hdr ...string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.SetBasicAuth(s.User, s.Password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

// MkCalendar creates an event calendar at path (e.g. "/ann/work/").
func (s *Server) MkCalendar(ctx context.Context, path, name string) error {
	body := `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:set><D:prop><D:displayname>` + name + `</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/>` +
		`</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`
	code, _, b, err := s.Do(ctx, "MKCALENDAR", path, "application/xml", body)
	if err != nil {
		return err
	}
	if code != http.StatusCreated {
		return fmt.Errorf("radicaletest: MKCALENDAR %s: %d %s", path, code, b)
	}
	return nil
}

// Put stores an event and returns its ETag.
func (s *Server) Put(ctx context.Context, path, ics string) (string, error) {
	code, h, b, err := s.Do(ctx, http.MethodPut, path, "text/calendar; charset=utf-8", ics)
	if err != nil {
		return "", err
	}
	if code != http.StatusCreated && code != http.StatusNoContent {
		return "", fmt.Errorf("radicaletest: PUT %s: %d %s", path, code, b)
	}
	return h.Get("ETag"), nil
}

// PutCalendar creates or replaces the calendar at path (e.g. "/ann/big/")
// with every event of one iCalendar file: much faster than a PUT per event
// (Radicale splits it by UID).
func (s *Server) PutCalendar(ctx context.Context, path, ics string) error {
	code, _, b, err := s.Do(ctx, http.MethodPut, path, "text/calendar; charset=utf-8", ics)
	if err != nil {
		return err
	}
	if code != http.StatusCreated && code != http.StatusNoContent {
		return fmt.Errorf("radicaletest: PUT %s: %d %s", path, code, b)
	}
	return nil
}

// Delete removes an event.
func (s *Server) Delete(ctx context.Context, path string) error {
	code, _, b, err := s.Do(ctx, http.MethodDelete, path, "", "")
	if err != nil {
		return err
	}
	if code != http.StatusOK && code != http.StatusNoContent {
		return fmt.Errorf("radicaletest: DELETE %s: %d %s", path, code, b)
	}
	return nil
}
