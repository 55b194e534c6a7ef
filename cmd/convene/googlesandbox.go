package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/convene/convene/internal/googlesandbox"
)

func init() {
	register(command{name: "google-sandbox", summary: "serve the Google-compatible sandbox (service-account tokens, Calendar v3, Meet, push)", run: runGoogleSandbox})
}

// runGoogleSandbox parses its flags and serves internal/googlesandbox until
// ctx is cancelled (SIGINT, SIGTERM).
func runGoogleSandbox(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("convene google-sandbox", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	addr := fs.String("addr", "127.0.0.1:9091", "listen `address`")
	baseURL := fs.String("base-url", "", "external `URL` of the sandbox (default http://ADDR)")
	domains := fs.String("domains", "", "comma-separated Workspace `domains` whose users are created on first use (none: every domain)")
	keyFile := fs.String("key-file", "", "JSON key `file` of a service account delegated every Calendar scope in every domain; written if missing (none: mint keys with the controls)")
	dataFile := fs.String("data", "", "JSON `file` that keeps the state (none: memory only)")
	pageSize := fs.Int("page-size", 25, "default maxResults of events lists")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: convene google-sandbox [flags]")
		fmt.Fprintln(fs.Output(), "\nServes a Google-compatible server: /token, /calendar/v3/… and the test controls /_sandbox/….")
		fmt.Fprintln(fs.Output(), "The test controls have no authentication: listen on a loopback address only.")
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "convene google-sandbox: unexpected arguments %q\n", fs.Args())
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.stderr, "convene google-sandbox: %v\n", err)
		return 1
	}
	if *baseURL == "" {
		*baseURL = "http://" + ln.Addr().String()
	}
	var ds []string
	for _, d := range strings.Split(*domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			ds = append(ds, d)
		}
	}
	srv, err := googlesandbox.New(googlesandbox.Options{
		BaseURL: *baseURL, Domains: ds, KeyFile: *keyFile, DataFile: *dataFile, PageSize: *pageSize,
		Logger: slog.New(slog.NewTextHandler(env.stderr, nil)),
		// Standalone, the sandbox is a test tool: its controls are always on.
		Controls: true,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(env.stderr, "convene google-sandbox: %v\n", err)
		return 2
	}
	return serveSandbox(ctx, env, "google-sandbox", ln, srv, fmt.Sprintf("serving Google's token endpoint at %s/token, Calendar API at %s, test controls at %s/_sandbox",
		*baseURL, srv.CalendarURL(), *baseURL))
}
