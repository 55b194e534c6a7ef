package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	_ "time/tzdata" // IANA zones even on machines without /usr/share/zoneinfo

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/server"
)

func init() {
	register(command{name: "serve", summary: "run Convene: HTTP API, SMTP listener, workers, built-in Zoom sandbox", run: runServe})
	register(command{name: "migrate", summary: "apply the database migrations and exit", run: runMigrate})
}

// loadConfig parses the settings flags and environment; on a bad setting it
// prints one line saying what to fix and returns exit status 2.
func loadConfig(name string, args []string, env environment) (*config.Config, int) {
	fs := flag.NewFlagSet("convene "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	config.Flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "convene %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, 2
	}
	cfg, err := config.Load(fs, env.lookupEnv)
	if err == nil {
		err = cfg.EnsureDataDir()
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "convene %s: %v\n", name, err)
		return nil, 2
	}
	for _, n := range cfg.Notes {
		fmt.Fprintf(env.stderr, "convene %s: warning: %s\n", name, n)
	}
	return cfg, 0
}

func newLogger(cfg *config.Config, env environment) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(env.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(env.stderr, opts))
}

func runServe(ctx context.Context, args []string, env environment) int {
	cfg, code := loadConfig("serve", args, env)
	if cfg == nil {
		return code
	}
	log := newLogger(cfg, env)
	err := server.Run(ctx, cfg, server.Options{
		Log:     log,
		Version: version,
		Ready: func(httpURL string) {
			fmt.Fprintf(env.stdout, "convene: serving %s (open it in a browser; API %s/api/v1, data in %s)\n", httpURL, httpURL, cfg.DataDir)
		},
	})
	if err != nil {
		fmt.Fprintf(env.stderr, "convene serve: %v\n", err)
		return 1
	}
	return 0
}

func runMigrate(ctx context.Context, args []string, env environment) int {
	cfg, code := loadConfig("migrate", args, env)
	if cfg == nil {
		return code
	}
	n, err := server.Migrate(ctx, cfg)
	if err != nil {
		fmt.Fprintf(env.stderr, "convene migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.stdout, "convene: %d migration(s) applied; the database is up to date\n", n)
	return 0
}
