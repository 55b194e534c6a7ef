// Command convene is the Convene meeting-scheduling assistant: one binary
// whose subcommands run the server, the Zoom sandbox and the offline tools.
//
// This file only dispatches; each subcommand lives in a file of its own and
// calls into internal/.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of convene.
type command struct {
	name    string
	summary string
	// run executes the subcommand with the arguments after its name and
	// returns the process exit status (0 ok, 1 failure, 2 usage or settings).
	run func(ctx context.Context, args []string, env environment) int
}

// environment is what a subcommand may touch of the outside world.
type environment struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	lookupEnv func(string) (string, bool)
}

// commands is the table of subcommands, filled by the init functions of the
// files beside this one.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	env := environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv}
	code := dispatch(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, env environment) int {
	if len(args) == 0 {
		usage(env.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		usage(env.stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "convene: unknown command %q; run convene --help\n", args[0])
		return 2
	}
	return c.run(ctx, args[1:], env)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Convene: a self-hosted meeting-scheduling assistant.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: convene <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run convene <command> --help for the flags of a command.")
}
