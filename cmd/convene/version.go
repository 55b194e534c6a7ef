package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func init() {
	register(command{name: "version", summary: "print the version of convene", run: runVersion})
}

func runVersion(_ context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("convene version", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(env.stdout, "convene %s (%s %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// flagExit turns a flag parsing error into an exit status: 0 for -h, else 2.
func flagExit(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
}
