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
	"crypto/tls"
	"encoding/base64"
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
	"github.com/convene/convene/internal/assistant"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/calendar/davserver"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/googlesandbox"
	"github.com/convene/convene/internal/graphsandbox"
	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/mail/imapin"
	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/mail/smtpin"
	"github.com/convene/convene/internal/mail/smtpout"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/tlscert"
	"github.com/convene/convene/internal/video"
	"github.com/convene/convene/internal/video/google"
	"github.com/convene/convene/internal/video/jitsi"
	"github.com/convene/convene/internal/video/msgraph"
	"github.com/convene/convene/internal/video/zoom"
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
	// SignInLimit tunes the limiter of failed sign-ins (API tokens,
	// CalDAV, the pages); zero fields are authlimit's defaults, and its
	// TrustedProxies always come from the settings. Tests that count
	// failures freeze its refill (a slow machine must not earn a failure
	// back in the middle of the count).
	SignInLimit authlimit.Options
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
	var smtpLn net.Listener
	var smtpTLS *tls.Config
	if cfg.SMTPAddr != "" && cfg.SMTPTLSCert != "" {
		files, err := tlscert.Load(cfg.SMTPTLSCert, cfg.SMTPTLSKey, nil, log.With("component", "smtp"))
		if err != nil {
			return fmt.Errorf("CONVENE_SMTP_TLS_CERT and CONVENE_SMTP_TLS_KEY: %w", err)
		}
		smtpTLS = files.Config()
	}
	if cfg.SMTPAddr != "" {
		if smtpLn, err = net.Listen("tcp", cfg.SMTPAddr); err != nil {
			return fmt.Errorf("listen on %s (CONVENE_SMTP_ADDR): %w", cfg.SMTPAddr, err)
		}
		defer smtpLn.Close()
	}

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

	// The built-in sandbox's app secrets: its public defaults (DESIGN §4)
	// would let anyone who reaches this server sign Zoom webhooks (an
	// app_deauthorized deletes an install's tokens) or take
	// account_credentials tokens from the sandbox, so serve replaces them
	// with secrets derived from the data key, known to this server only.
	zoomClientSecret, zoomWebhookSecret := cfg.ZoomClientSecret, cfg.ZoomWebhookSecret
	if cfg.Sandboxed() {
		if zoomClientSecret == config.SandboxClientSecret {
			zoomClientSecret = base64.RawURLEncoding.EncodeToString(deriveKey(key, "zoom-sandbox-client-secret"))
		}
		if zoomWebhookSecret == config.SandboxWebhookSecret {
			zoomWebhookSecret = base64.RawURLEncoding.EncodeToString(deriveKey(key, "zoom-sandbox-webhook-secret"))
		}
	}

	// The same for the built-in Graph sandbox's client secret: with the
	// public default anyone reaching this server could take a tenant's
	// Graph tokens from the sandbox.
	microsoftClientSecret := cfg.MicrosoftClientSecret
	if cfg.GraphSandboxed() && microsoftClientSecret == config.SandboxMicrosoftClientSecret {
		microsoftClientSecret = base64.RawURLEncoding.EncodeToString(deriveKey(key, "graph-sandbox-client-secret"))
	}

	// The catalog of video apps: one line per provider (see
	// internal/video/README.md). With the built-in sandbox, Convene
	// reaches Zoom's API on its own listener (mounted below).
	zoomAPI, zoomOAuth := cfg.ZoomAPIURL, cfg.ZoomOAuthURL
	if cfg.Sandboxed() {
		zoomAPI, zoomOAuth = baseURL+"/zoom-sandbox/v2", baseURL+"/zoom-sandbox"
	}
	graphURL, loginURL := cfg.MicrosoftURLs(baseURL)
	googleCalendarURL, googleTokenURL := cfg.GoogleEndpoints(baseURL)
	// Per-user mode (personal Google accounts): Convene's OAuth client.
	var googlePersonal google.Personal
	if cfg.GooglePersonal() {
		authURL, issuer, revokeURL := cfg.GooglePersonalEndpoints(baseURL)
		googlePersonal = google.Personal{ClientID: cfg.GoogleClientID, ClientSecret: cfg.GoogleClientSecret,
			AuthURL: authURL, Issuer: issuer, RevokeURL: revokeURL, RedirectURL: baseURL + "/oauth/" + google.ID + "/callback"}
	}
	catalog, err := video.NewRegistry(
		zoom.App(zoom.Config{APIURL: zoomAPI, OAuthURL: zoomOAuth, ClientID: cfg.ZoomClientID, ClientSecret: zoomClientSecret,
			RedirectURL: baseURL + "/oauth/zoom/callback", WebhookSecret: zoomWebhookSecret,
			// Half a job attempt, at most 30 s: an attempt can send a
			// create, wait out its settle time and look for its meeting.
			RequestTimeout: min(30*time.Second, cfg.JobTimeout/2)}),
		jitsi.App(jitsi.Config{BaseURL: cfg.JitsiURL, Secret: deriveKey(key, "jitsi-rooms")}),
		msgraph.App(msgraph.Config{GraphURL: graphURL, LoginURL: loginURL, ClientID: cfg.MicrosoftClientID, ClientSecret: microsoftClientSecret,
			RedirectURL: baseURL + "/oauth/teams/callback", RequestTimeout: min(30*time.Second, cfg.JobTimeout/2)}),
		google.App(google.Config{CalendarURL: googleCalendarURL, TokenURL: googleTokenURL, WebhookURL: baseURL + "/webhooks/" + google.ID,
			Personal: googlePersonal}),
	)
	if err != nil {
		return err
	}

	// 3. Core services.
	accounts := account.New(db, account.NewResolver(cfg.DNSResolver), cfg.OperatorToken)
	accounts.VideoApps = catalog
	accounts.DefaultAssistant = cfg.AssistantAddress
	// Names reserved for testing verify without DNS on the sandbox only.
	accounts.SandboxReservedNames = cfg.Sandboxed()
	// Zoom's API is one host that every booking calls: keep enough idle
	// connections to it for the concurrent requests (the default keeps 2,
	// and the rest dial anew).
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	httpClient := &http.Client{Timeout: 60 * time.Second, Transport: transport}
	marketplace := &apps.Service{
		Store: db, Accounts: accounts, Box: box, HTTP: httpClient, Log: log.With("component", "apps"),
		Now: time.Now, Registry: catalog,
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		return err
	}
	queue := jobs.New(db, jobs.Options{Log: log.With("component", "jobs"), NodeID: nodeID(cfg.DataDir),
		Timeout: cfg.JobTimeout, RescueAfter: 2 * cfg.JobTimeout})
	cals := calendar.New(db, box, calendar.Options{Log: log.With("component", "calendar"), AllowPrivate: cfg.AllowPrivateCalendarURLs,
		Apps: marketplace, Registry: catalog, BaseURL: baseURL})
	// App calendars follow their installs.
	marketplace.OnInstallChange = cals.InstallChanged
	meetings := &booking.Service{
		Calendars: cals,
		Store:     db, Accounts: accounts, Apps: marketplace, Jobs: queue, Box: box,
		Composer: booking.InviteComposer{Now: time.Now}, BaseURL: baseURL, OutboxRetention: cfg.OutboxRetention,
		Log: log.With("component", "booking"), Now: time.Now,
	}
	// Outgoing mail is DKIM-signed with its domain's key as it leaves.
	// Admins rotate them (checked against CONVENE_DNS_RESOLVER, audited);
	// replaced keys are deleted once retired.
	dkimKeys := &dkimsign.Keys{Store: db, Box: box, Now: time.Now, Log: log.With("component", "dkim"),
		Resolver: account.NewResolver(cfg.DNSResolver), Audit: accounts}
	dkimKeys.Register(queue, time.Hour)
	if cfg.SMTPRelay != "" {
		relay, err := smtpout.ParseRelay(cfg.SMTPRelay)
		if err != nil {
			return fmt.Errorf("CONVENE_SMTP_RELAY: %w", err)
		}
		client, err := smtpout.New(relay, smtpout.Options{LocalName: hostOf(baseURL)})
		if err != nil {
			return fmt.Errorf("CONVENE_SMTP_RELAY: %w", err)
		}
		dkimKeys.RelayHost = relay.Host
		meetings.Mail = &dkimsign.Sender{Keys: dkimKeys, Next: client}
	}
	// Received mail: stored with its job, its sender checked, handed to
	// the assistant.
	mailIn := &inbox.Service{Store: db, Accounts: accounts, Jobs: queue, Retention: cfg.MailRetention,
		Auth: &mailauth.Checker{Resolver: account.NewResolver(cfg.DNSResolver), TrustedMTA: cfg.TrustedMTA, TrustedPeers: cfg.TrustedMTAIPs},
		Log:  log.With("component", "inbox"), Now: time.Now}
	// The assistant reads the authenticated mail and negotiates by mail;
	// its choice links are signed with a key of their own.
	helper := &assistant.Service{Store: db, Accounts: accounts, Booking: meetings, Calendars: cals, Jobs: queue, BaseURL: baseURL,
		LinkKey: deriveKey(key, "assistant-choice-links"), GuestReminder: cfg.GuestReminder,
		Log: log.With("component", "assistant"), Now: time.Now}
	helper.Register(queue)
	// Proposals made through the API or the pages are the assistant's to
	// mail to their guests (DESIGN §1).
	meetings.OnProposal = helper.Adopt
	mailIn.Processor = helper
	mailIn.Register(queue)
	var mailbox *imapin.Mailbox
	if cfg.IMAPURL != "" {
		m, err := imapin.ParseURL(cfg.IMAPURL)
		if err != nil {
			return fmt.Errorf("CONVENE_IMAP_URL: %w", err)
		}
		mailbox = &m
	}
	marketplace.Notify = meetings.NotifyAdmins
	marketplace.NotifyUser = meetings.NotifyUser
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
	signInLimit := opts.SignInLimit
	signInLimit.TrustedProxies = cfg.TrustedProxies
	// Counted in the database too, so that every node of a cluster
	// knows an address's failures at the others.
	signInLimit.Shared = sharedFailures{db}
	authLimit := authlimit.New(signInLimit)
	limitCtx, stopLimit := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLimit()
	go authLimit.Run(limitCtx)
	// CalDAV (RFC 4791) at /dav/, found from /.well-known/caldav (RFC 6764).
	dav := davserver.New(cals, accounts, "/dav", log.With("component", "caldav"))
	dav.Limit = authLimit
	mounts["dav"], mounts[".well-known/caldav"] = dav, dav.WellKnown()
	if cfg.Sandboxed() {
		// The built-in Zoom sandbox, mounted on our own listener; Convene
		// reaches it over HTTP like real Zoom.
		sb, err := zoomsandbox.New(zoomsandbox.Options{
			BaseURL: baseURL + "/zoom-sandbox", ClientID: cfg.ZoomClientID, ClientSecret: zoomClientSecret,
			WebhookSecret: zoomWebhookSecret, WebhookURL: baseURL + "/webhooks/zoom",
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
	}
	if cfg.GraphSandboxed() {
		// The built-in Microsoft Graph sandbox (identity platform and
		// Graph v1.0), reached over HTTP like Microsoft.
		gsb, err := graphsandbox.New(graphsandbox.Options{
			BaseURL: baseURL + config.GraphSandboxPath, ClientID: cfg.MicrosoftClientID, ClientSecret: microsoftClientSecret,
			DataFile: filepath.Join(cfg.DataDir, "graph-sandbox.json"),
			DomainsForConsent: func(r *http.Request) ([]string, error) {
				return marketplace.DomainsOfState(r.Context(), r.FormValue("state"))
			},
			Logger: log.With("component", "graph-sandbox"),
			// Admin consent redirects only to the app's registered reply
			// URL; the test controls are mounted only on request.
			RedirectURIs: []string{baseURL + "/oauth/teams/callback"},
			Controls:     cfg.GraphSandboxControls,
		})
		if err != nil {
			return fmt.Errorf("graph sandbox: %w", err)
		}
		if cfg.GraphSandboxControls {
			log.Warn("CONVENE_GRAPH_SANDBOX_CONTROLS=on: the Graph sandbox's test controls are served without authentication; anyone who reaches this server can read every tenant's calendars and inject faults. For tests and demos only, never on a shared host",
				"controls", baseURL+config.GraphSandboxPath+"/_sandbox/")
		}
		defer gsb.Close()
		mounts[strings.TrimPrefix(config.GraphSandboxPath, "/")] = gsb
	}
	if cfg.GoogleSandboxed() {
		// The built-in Google sandbox (Calendar v3, the service-account
		// token endpoint, Meet), mounted on our own listener; Convene
		// reaches it over HTTP like real Google, at cfg.GoogleEndpoints.
		// Its key file in the data directory is the service-account key an
		// admin installs; it is delegated every Calendar scope in every
		// domain.
		gsb, err := googlesandbox.New(googlesandbox.Options{
			BaseURL:  baseURL + config.GoogleSandboxPath,
			DataFile: filepath.Join(cfg.DataDir, "google-sandbox.json"),
			KeyFile:  filepath.Join(cfg.DataDir, "google-sandbox-key.json"),
			Logger:   log.With("component", "google-sandbox"),
			Controls: cfg.GoogleSandboxControls,
			// Push channels to Convene's own receiver, also over http.
			PushBaseURL: baseURL,
			// Convene's own OAuth client, for personal accounts.
			OAuthClients: sandboxGoogleClients(cfg, googlePersonal),
		})
		if err != nil {
			return fmt.Errorf("google sandbox: %w", err)
		}
		if cfg.GoogleSandboxControls {
			log.Warn("CONVENE_GOOGLE_SANDBOX_CONTROLS=on: the Google sandbox's test controls are served without authentication; anyone who reaches this server can mint service-account keys and change every calendar. For tests and demos only, never on a shared host",
				"controls", baseURL+config.GoogleSandboxPath+"/_sandbox/")
		}
		defer gsb.Close()
		mounts[strings.TrimPrefix(config.GoogleSandboxPath, "/")] = gsb
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
	if mailbox != nil {
		stop := startIMAP(ctx, *mailbox, mailIn, log.With("component", "imap"))
		defer stop()
	}

	// 5. SMTP: mail for the assistant.
	if smtpLn != nil {
		stop := startSMTP(smtpLn, mailIn, hostOf(baseURL), smtpTLS, log.With("component", "smtp"))
		defer stop()
	}

	// 6. HTTP.
	api := &web.Server{
		Inbox:         mailIn,
		MailDNS:       dkimKeys,
		Accounts:      accounts,
		Apps:          marketplace,
		Booking:       meetings,
		Calendars:     cals,
		MeetingEvents: meetings,
		Mounts:        mounts,
		AuthLimit:     authLimit,
		Log:           log,
		Version:       opts.Version,
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
	admin := pages.AdminOptions{Apps: marketplace, Mail: meetings, Inbox: mailIn, Calendars: cals, MailDNS: dkimKeys}
	if err := mountPages(api, cfg, opts, accounts, admin, assistantLinks(helper), authLimit, key, baseURL, log); err != nil {
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
	smtpAddr := "off"
	if smtpLn != nil {
		smtpAddr = smtpLn.Addr().String()
	}
	log.Info("serving", "http", httpURL, "base_url", baseURL, "smtp", smtpAddr, "database", db.Engine(), "zoom", zoomAPI)

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

// startSMTP serves the SMTP listener; the returned func stops it: no new
// connections, messages being stored finish (10 s at most). With tlsConfig
// it offers STARTTLS.
func startSMTP(ln net.Listener, intake *inbox.Service, domain string, tlsConfig *tls.Config, log *slog.Logger) (stop func()) {
	srv := smtpin.New(intake, smtpin.Options{Domain: domain, TLS: tlsConfig, Log: log})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil {
			log.Error("smtp listener stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Warn("smtp shutdown", "err", err)
		}
		<-done
	}
}

// startIMAP reads the mailbox until the returned func is called.
func startIMAP(ctx context.Context, box imapin.Mailbox, intake *inbox.Service, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		log.Info("reading mail from a mailbox", "mailbox", box.String())
		imapin.New(box, intake, imapin.Options{Log: log}).Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// mountPages serves the web pages beside the API.
func mountPages(api *web.Server, cfg *config.Config, opts Options, accounts *account.Service, admin pages.AdminOptions,
	guestLinks *pages.GuestLinks, limit *authlimit.Limiter, key []byte, baseURL string, log *slog.Logger) error {
	pg, err := pages.New(pages.Options{
		Accounts: accounts, BaseURL: baseURL, Key: deriveKey(key, "web-pages"), AuthLimit: limit,
		OIDC:      pages.OIDCOptions{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: cfg.OIDCClientSecret},
		Sandboxed: cfg.Sandboxed(), Version: opts.Version, Log: log.With("component", "pages"),
		Admin: admin,
		OrganizerOptions: pages.OrganizerOptions{Booking: api.Booking, Calendars: api.Calendars, GuestLinks: guestLinks,
			BookingLimit: authlimit.New(authlimit.Options{Burst: 5, Refill: 12 * time.Minute, TrustedProxies: cfg.TrustedProxies})},
	})
	if err != nil {
		return err
	}
	for _, rt := range pg.Routes() {
		api.Pages = append(api.Pages, web.Page{Pattern: rt.Pattern, Handler: rt.Handler})
	}
	api.PageNotFound = http.HandlerFunc(pg.NotFound)
	api.AppCallbackPage = pg.AppCallback
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

// sandboxGoogleClients registers Convene's OAuth client (per-user mode) at
// the built-in Google sandbox, with its callback as the redirect URI.
func sandboxGoogleClients(cfg *config.Config, p google.Personal) []googlesandbox.OAuthClient {
	if !cfg.GooglePersonal() || p.ClientID == "" {
		return nil
	}
	return []googlesandbox.OAuthClient{{ID: p.ClientID, Secret: p.ClientSecret, RedirectURIs: []string{p.RedirectURL}}}
}

// sharedFailures keeps authlimit's buckets in the store.
type sharedFailures struct{ db *store.DB }

func (f sharedFailures) RecordAuthFailure(ctx context.Context, client string, now time.Time, burst int, refill time.Duration) error {
	return f.db.RecordAuthFailure(ctx, client, now, burst, refill)
}

func (f sharedFailures) Buckets(ctx context.Context, since time.Time, limit int) ([]authlimit.Bucket, error) {
	bs, err := f.db.AuthBuckets(ctx, since, limit)
	out := make([]authlimit.Bucket, 0, len(bs))
	for _, b := range bs {
		out = append(out, authlimit.Bucket{Client: b.Client, Tokens: b.Tokens, At: b.At})
	}
	return out, err
}
