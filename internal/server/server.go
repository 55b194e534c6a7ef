// Package server assembles Convene's parts in a fixed order and runs them
// until its context ends: bind the listeners, open and migrate storage,
// build the core services, start the workers, serve; then stop accepting,
// finish in-flight requests, drain the workers and close storage.
//
// It is the only package that knows every other one; cmd/convene calls it.
package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/calendar/davserver"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/smtpout"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/web"
	"github.com/convene/convene/internal/web/pages"
	"github.com/convene/convene/internal/zoomsandbox"
)

// Options are what Run needs besides the settings.
type Options struct {
	Log     *slog.Logger
	Version string
	// Ready is told the address served once every listener accepts.
	Ready func(httpURL string)
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// (default 30 s).
	ShutdownTimeout time.Duration
}

// Run starts Convene with cfg and serves until ctx is done.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 30 * time.Second
	}
	// 1. Bind, so that a taken port fails before anything else starts.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s (CONVENE_HTTP_ADDR): %w", cfg.HTTPAddr, err)
	}
	defer ln.Close()

	baseURL := cfg.BaseURL
	if baseURL == "http://"+cfg.HTTPAddr {
		// The default base URL follows the port actually bound (":0" in tests).
		baseURL = "http://" + ln.Addr().String()
	}

	// 2. Storage and the data key.
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	key, err := seal.LoadKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return err
	}
	box, err := seal.New(key)
	if err != nil {
		return err
	}

	// 3. Core services.
	accounts := account.New(db, account.NewResolver(cfg.DNSResolver), cfg.OperatorToken)
	// Names reserved for testing verify without DNS on the sandbox only.
	accounts.SandboxReservedNames = cfg.Sandboxed()
	httpClient := &http.Client{Timeout: 60 * time.Second}
	marketplace := &apps.Service{
		Store: db, Accounts: accounts, Box: box, HTTP: httpClient, Log: log.With("component", "apps"),
		Now: time.Now, JitsiURL: cfg.JitsiURL, JitsiSecret: deriveKey(key, "jitsi-rooms"),
		Zoom: apps.ZoomConfig{APIURL: cfg.ZoomAPIURL, OAuthURL: cfg.ZoomOAuthURL, ClientID: cfg.ZoomClientID,
			ClientSecret: cfg.ZoomClientSecret, RedirectURL: baseURL + "/oauth/zoom/callback"},
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		return err
	}
	queue := jobs.New(db, jobs.Options{Log: log.With("component", "jobs"), NodeID: nodeID(cfg.DataDir),
		Timeout: cfg.JobTimeout, RescueAfter: 2 * cfg.JobTimeout})
	cals := calendar.New(db, box, calendar.Options{Log: log.With("component", "calendar"), AllowPrivate: cfg.AllowPrivateCalendarURLs})
	meetings := &booking.Service{
		Calendars: cals,
		Store:     db, Accounts: accounts, Apps: marketplace, Jobs: queue, Box: box,
		Composer: booking.InviteComposer{Now: time.Now}, AssistantAddress: cfg.AssistantAddress, BaseURL: baseURL,
		Log: log.With("component", "booking"), Now: time.Now,
	}
	if cfg.SMTPRelay != "" {
		relay, err := smtpout.ParseRelay(cfg.SMTPRelay)
		if err != nil {
			return fmt.Errorf("CONVENE_SMTP_RELAY: %w", err)
		}
		client, err := smtpout.New(relay, smtpout.Options{LocalName: hostOf(baseURL)})
		if err != nil {
			return fmt.Errorf("CONVENE_SMTP_RELAY: %w", err)
		}
		meetings.Mail = client
	}
	marketplace.Notify = meetings.NotifyAdmins
	// Web sign-in: reset links are signed with a key of their own and
	// mailed through the outbox.
	accounts.Web = account.WebOptions{ResetKey: deriveKey(key, "password-reset"), Mailer: meetings,
		ResetURL: func(tok string) string { return baseURL + "/reset/" + tok }}
	accounts.Departures = meetings // a removed user's meetings are cancelled
	meetings.Register(queue)
	meetings.ReconcileEvery(queue, 15*time.Minute)
	mounts := map[string]http.Handler{}
	// One count of failed sign-ins per client address for the API, the
	// operator token and CalDAV.
	authLimit := authlimit.New(authlimit.Options{TrustedProxies: cfg.TrustedProxies})
	// CalDAV (RFC 4791) at /dav/, found from /.well-known/caldav (RFC 6764).
	dav := davserver.New(cals, accounts, "/dav", log.With("component", "caldav"))
	dav.Limit = authLimit
	mounts["dav"], mounts[".well-known/caldav"] = dav, dav.WellKnown()
	if cfg.Sandboxed() {
		// The built-in Zoom sandbox, mounted on our own listener; Convene
		// reaches it over HTTP like real Zoom.
		sb, err := zoomsandbox.New(zoomsandbox.Options{
			BaseURL: baseURL + "/zoom-sandbox", ClientID: cfg.ZoomClientID, ClientSecret: cfg.ZoomClientSecret,
			WebhookSecret: cfg.ZoomWebhookSecret, WebhookURL: baseURL + "/webhooks/zoom",
			DataFile: filepath.Join(cfg.DataDir, "zoom-sandbox.json"),
			DomainsForAuthorization: func(r *http.Request) ([]string, error) {
				return marketplace.DomainsOfState(r.Context(), r.FormValue("state"))
			},
			Logger: log.With("component", "zoom-sandbox"),
			// Like Zoom, the sandbox redirects only to the app's registered
			// callback, and its unauthenticated test controls are mounted
			// only on request.
			RedirectURIs: []string{baseURL + "/oauth/zoom/callback"},
			Controls:     cfg.ZoomSandboxControls,
		})
		if err != nil {
			return fmt.Errorf("zoom sandbox: %w", err)
		}
		if cfg.ZoomSandboxControls {
			log.Warn("CONVENE_ZOOM_SANDBOX_CONTROLS=on: the Zoom sandbox's test controls are served without authentication; anyone who reaches this server can read every token and meeting password and inject faults. For tests and demos only, never on a shared host",
				"controls", baseURL+"/zoom-sandbox/_sandbox/")
		}
		defer sb.Close()
		mounts["zoom-sandbox"] = sb
		marketplace.Zoom.APIURL = baseURL + "/zoom-sandbox/v2"
		marketplace.Zoom.OAuthURL = baseURL + "/zoom-sandbox"
	}

	// 4. Workers.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		queue.Stop(sctx)
	}()
	stopCalendarSync := cals.StartWorker(context.WithoutCancel(ctx), time.Minute)
	defer stopCalendarSync()

	// 5. HTTP.
	api := &web.Server{
		Accounts:          accounts,
		Apps:              marketplace,
		Booking:           meetings,
		Calendars:         cals,
		ZoomMeetings:      meetings,
		ZoomWebhookSecret: cfg.ZoomWebhookSecret,
		Mounts:            mounts,
		AuthLimit:         authLimit,
		Log:               log,
		Version:           opts.Version,
		Health: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := db.Account(ctx, "")
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		},
	}
	if err := mountPages(api, cfg, opts, accounts, authLimit, key, baseURL, log); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	httpURL := "http://" + ln.Addr().String()
	if opts.Ready != nil {
		opts.Ready(httpURL)
	}
	log.Info("serving", "http", httpURL, "base_url", baseURL, "database", db.Engine(), "zoom", marketplace.Zoom.APIURL)

	select {
	case err := <-serveErr:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// Migrate applies the pending migrations of the configured database and
// returns how many it applied.
func Migrate(ctx context.Context, cfg *config.Config) (int, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{MaxConns: 2, SkipMigrations: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return db.MigrateReport(ctx)
}

// mountPages serves the web pages beside the API.
func mountPages(api *web.Server, cfg *config.Config, opts Options, accounts *account.Service, limit *authlimit.Limiter,
	key []byte, baseURL string, log *slog.Logger) error {
	pg, err := pages.New(pages.Options{
		Accounts: accounts, BaseURL: baseURL, Key: deriveKey(key, "web-pages"), AuthLimit: limit,
		OIDC:      pages.OIDCOptions{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret},
		Sandboxed: cfg.Sandboxed(), Version: opts.Version, Log: log.With("component", "pages"),
	})
	if err != nil {
		return err
	}
	for _, rt := range pg.Routes() {
		api.Pages = append(api.Pages, web.Page{Pattern: rt.Pattern, Handler: rt.Handler})
	}
	api.PageNotFound = http.HandlerFunc(pg.NotFound)
	return nil
}

// deriveKey derives a key for one purpose from the data key (HMAC-SHA256),
// so that no two uses share key material.
func deriveKey(key []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// hostOf returns the host name of a URL, for the EHLO greeting.
func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return "localhost"
	}
	return u.Hostname()
}

// nodeID names this node stably across restarts: its host and data
// directory.
func nodeID(dataDir string) string {
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(dataDir))
	return fmt.Sprintf("convene_%s_%x", strings.NewReplacer(".", "_", "-", "_").Replace(host), sum[:4])
}
