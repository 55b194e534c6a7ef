package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// sandboxServer is a built-in sandbox (Zoom, Microsoft Graph, Google):
// an HTTP handler whose state Close saves.
type sandboxServer interface {
	http.Handler
	io.Closer
}

// serveSandbox serves srv, the sandbox of command name, on ln until ctx is
// cancelled (SIGINT, SIGTERM) or serving fails, after printing banner;
// then it stops the server and closes srv. It returns the exit code.
func serveSandbox(ctx context.Context, env environment, name string, ln net.Listener, srv sandboxServer, banner string) int {
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	fmt.Fprintf(env.stdout, "convene %s: %s\n", name, banner)

	code := 0
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintf(env.stderr, "convene %s: %v\n", name, err)
		code = 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(env.stderr, "convene %s: shutdown: %v\n", name, err)
		code = 1
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintf(env.stderr, "convene %s: %v\n", name, err)
		code = 1
	}
	return code
}
