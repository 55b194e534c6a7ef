package chrometest

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/server"
)

// Convene is a Convene server running in the test's process: the real
// assembly of internal/server on a fresh data directory (SQLite, the
// built-in Zoom sandbox, no SMTP listener).
type Convene struct {
	// URL is where it serves, e.g. http://127.0.0.1:41234.
	URL string
	// DataDir is its data directory.
	DataDir string
}

// FreeAddr returns a loopback address whose port is free now, for a server
// whose URL must be known before it starts (an OpenID provider's redirect
// URI).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Serve starts Convene with the settings env (CONVENE_* variables; the
// data directory, HTTP address and SMTP listener have test defaults) and
// stops it when the test ends; each of with changes the server's options
// first (a test's guest links).
func Serve(t testing.TB, env map[string]string, with ...func(*server.Options)) *Convene {
	t.Helper()
	c := &Convene{DataDir: t.TempDir()}
	settings := map[string]string{
		"CONVENE_DATA_DIR":  c.DataDir,
		"CONVENE_HTTP_ADDR": "127.0.0.1:0",
		"CONVENE_SMTP_ADDR": "",
		"CONVENE_LOG_LEVEL": "debug",
	}
	for k, v := range env {
		settings[k] = v
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config.Flags(fs)
	cfg, err := config.Load(fs, func(k string) (string, bool) { v, ok := settings[k]; return v, ok })
	if err == nil {
		err = cfg.EnsureDataDir()
	}
	if err != nil {
		t.Fatalf("chrometest: settings: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	w := &testWriter{t: t}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	so := server.Options{Log: log, Version: "test", ShutdownTimeout: 5 * time.Second, Ready: func(u string) { ready <- u }}
	for _, f := range with {
		f(&so)
	}
	go func() { done <- server.Run(ctx, cfg, so) }()
	select {
	case u := <-ready:
		c.URL = u
	case err := <-done:
		cancel()
		t.Fatalf("chrometest: Convene stopped before serving: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("chrometest: Convene did not serve within 60 s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("chrometest: Convene stopped with %v", err)
		}
		w.closed.Store(true) // a late line of a background worker is dropped
	})
	return c
}

// testWriter writes the server's log lines to the test's log until the
// server has stopped.
type testWriter struct {
	t      testing.TB
	closed atomic.Bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	if !w.closed.Load() {
		w.t.Log(strings.TrimSpace(string(b)))
	}
	return len(b), nil
}
