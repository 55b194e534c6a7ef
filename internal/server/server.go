// Package server assembles Convene's parts in a fixed order and runs them
// until its context ends: bind the listeners, open and migrate storage,
// build the core services, start the workers, serve; then stop accepting,
// finish in-flight requests, drain the workers and close storage.
//
// It is the only package that knows every other one; cmd/convene calls it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/web"
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

	// 2. Storage.
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()

	// 3. Core services.
	accounts := account.New(db, account.NewResolver(cfg.DNSResolver), cfg.OperatorToken)

	// 4. HTTP.
	api := &web.Server{
		Accounts: accounts,
		Log:      log,
		Version:  opts.Version,
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
	log.Info("serving", "http", httpURL, "base_url", cfg.BaseURL, "database", db.Engine())

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
