package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/convene/convene/internal/graphsandbox"
)

func init() {
	register(command{name: "graph-sandbox", summary: "serve the Microsoft Graph sandbox (admin consent, tokens, calendars, Teams meetings, subscriptions)", run: runGraphSandbox})
}

// runGraphSandbox serves internal/graphsandbox until ctx is cancelled
// (SIGINT, SIGTERM), like `convene zoom-sandbox`.
func runGraphSandbox(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("convene graph-sandbox", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	addr := fs.String("addr", "127.0.0.1:9091", "listen `address`")
	baseURL := fs.String("base-url", "", "external `URL` of the sandbox (default http://ADDR)")
	clientID := fs.String("client-id", graphsandbox.DefaultClientID, "app registration's client `id`")
	clientSecret := fs.String("client-secret", graphsandbox.DefaultClientSecret, "app registration's client `secret`")
	tenantID := fs.String("tenant-id", graphsandbox.DefaultTenantID, "`id` of the tenant that exists (and has consented) from the start")
	domains := fs.String("domains", "example.com", "comma-separated `domains` of that tenant, whose addresses are its users")
	dataFile := fs.String("data", "", "JSON `file` that keeps the state (none: memory only)")
	pageSize := fs.Int("page-size", graphsandbox.DefaultPageSize, "`items` per page of calendarView, delta and users without Prefer: odata.maxpagesize")
	var redirectURIs []string
	fs.Func("redirect-uri", "reply `URL` registered for the app; repeat for several (none: loopback URLs only)", func(v string) error {
		redirectURIs = append(redirectURIs, v)
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: convene graph-sandbox [flags]")
		fmt.Fprintln(fs.Output(), "\nServes a Microsoft Graph–compatible server: /{tenant}/v2.0/adminconsent, /{tenant}/oauth2/v2.0/token,")
		fmt.Fprintln(fs.Output(), "/v1.0/… and the test controls /_sandbox/…. The test controls have no authentication:")
		fmt.Fprintln(fs.Output(), "listen on a loopback address only.")
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "convene graph-sandbox: unexpected arguments %q\n", fs.Args())
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.stderr, "convene graph-sandbox: %v\n", err)
		return 1
	}
	if *baseURL == "" {
		*baseURL = "http://" + ln.Addr().String()
	}
	srv, err := graphsandbox.New(graphsandbox.Options{
		BaseURL: *baseURL, ClientID: *clientID, ClientSecret: *clientSecret, TenantID: *tenantID,
		Domains: strings.Split(*domains, ","), DataFile: *dataFile, PageSize: *pageSize,
		Logger: slog.New(slog.NewTextHandler(env.stderr, nil)),
		// Standalone, the sandbox is a test tool: its controls are always on.
		Controls: true, RedirectURIs: redirectURIs,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(env.stderr, "convene graph-sandbox: %v\n", err)
		return 2
	}
	redirects := "loopback URLs only"
	if len(redirectURIs) > 0 {
		redirects = strings.Join(redirectURIs, ", ")
	}
	return serveSandbox(ctx, env, "graph-sandbox", ln, srv, fmt.Sprintf("serving Microsoft's identity platform at %s and Graph at %s/v1.0 (tenant %s, test controls %s/_sandbox; consent redirects to %s)",
		*baseURL, *baseURL, *tenantID, *baseURL, redirects))
}
