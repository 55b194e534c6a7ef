package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/convene/convene/internal/zoomsandbox"
)

func init() {
	register(command{name: "zoom-sandbox", summary: "serve the Zoom-compatible sandbox (OAuth, Meetings API, webhooks)", run: runZoomSandbox})
}

// runZoomSandbox parses the flags of DESIGN §4 "Zoom sandbox" and serves
// internal/zoomsandbox until ctx is cancelled (SIGINT, SIGTERM).
func runZoomSandbox(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("convene zoom-sandbox", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	addr := fs.String("addr", "127.0.0.1:9090", "listen `address`")
	baseURL := fs.String("base-url", "", "external `URL` of the sandbox (default http://ADDR)")
	clientID := fs.String("client-id", zoomsandbox.DefaultClientID, "OAuth client `id`")
	clientSecret := fs.String("client-secret", zoomsandbox.DefaultClientSecret, "OAuth client `secret`")
	accountID := fs.String("account-id", zoomsandbox.DefaultAccountID, "account `id` of account_credentials tokens")
	webhookSecret := fs.String("webhook-secret", zoomsandbox.DefaultWebhookSecret, "webhook secret `token` that signs events")
	webhookURL := fs.String("webhook-url", "", "`URL` that receives the app's events (none: no events)")
	domains := fs.String("domains", "", "comma-separated e-mail `domains` whose addresses are users (none: every address)")
	dataFile := fs.String("data", "", "JSON `file` that keeps the state (none: memory only)")
	var redirectURIs []string
	fs.Func("redirect-uri", "OAuth redirect `URI` registered for the client; repeat for several (none: loopback URIs only)", func(v string) error {
		redirectURIs = append(redirectURIs, v)
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: convene zoom-sandbox [flags]")
		fmt.Fprintln(fs.Output(), "\nServes a Zoom-compatible server: /oauth/…, /v2/… and the test controls /_sandbox/….")
		fmt.Fprintln(fs.Output(), "The test controls have no authentication: listen on a loopback address only.")
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "convene zoom-sandbox: unexpected arguments %q\n", fs.Args())
		return 2
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(env.stderr, "convene zoom-sandbox: %v\n", err)
		return 1
	}
	if *baseURL == "" {
		*baseURL = "http://" + ln.Addr().String()
	}
	srv, err := zoomsandbox.New(zoomsandbox.Options{
		BaseURL: *baseURL, ClientID: *clientID, ClientSecret: *clientSecret, AccountID: *accountID,
		WebhookSecret: *webhookSecret, WebhookURL: *webhookURL, Domains: strings.Split(*domains, ","),
		DataFile: *dataFile, Logger: slog.New(slog.NewTextHandler(env.stderr, nil)),
		// Standalone, the sandbox is a test tool: its controls are always on.
		Controls: true, RedirectURIs: redirectURIs,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintf(env.stderr, "convene zoom-sandbox: %v\n", err)
		return 2
	}
	redirects := "loopback URIs only"
	if len(redirectURIs) > 0 {
		redirects = strings.Join(redirectURIs, ", ")
	}
	return serveSandbox(ctx, env, "zoom-sandbox", ln, srv, fmt.Sprintf("serving Zoom's OAuth and Meetings API at %s (API %s/v2, test controls %s/_sandbox; OAuth redirects to %s)",
		*baseURL, *baseURL, *baseURL, redirects))
}
