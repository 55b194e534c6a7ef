// Package testbin builds the convene binary once per test binary and runs
// it as a real process: the end-to-end, crash and interop tests drive
// Convene exactly as an operator would.
//
// It is imported only by tests.
package testbin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Build returns the path of a convene binary built from this tree (with the
// race detector when the tests run with it).
func Build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "convene-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "convene")
		args := []string{"build", "-o", buildPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/convene")
		cmd := exec.Command("go", args...)
		cmd.Dir = testenv.RepoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// Run runs convene with args and env to completion and returns its exit
// status, standard output and standard error.
func Run(t testing.TB, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(Build(t), args...)
	cmd.Env = append(baseEnv(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// baseEnv is the environment of the processes: the test's own without any
// CONVENE_ setting, so the developer's settings do not leak in.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONVENE_") {
			env = append(env, kv)
		}
	}
	return env
}

// Process is a running convene serve (or zoom-sandbox).
type Process struct {
	Cmd *exec.Cmd
	// URL is the HTTP address it printed when ready.
	URL string
	// Started is how long it took from exec to the ready line.
	Started time.Duration

	mu     sync.Mutex
	stderr bytes.Buffer
	stdout bytes.Buffer
	done   chan struct{}
	err    error
}

var readyLine = regexp.MustCompile(`serving\b.*?(http://[0-9.:\[\]a-z]+)`)

// Start starts convene with args and env, waits for the line saying what it
// serves, and stops it (SIGKILL if needed) when the test ends.
func Start(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{Cmd: exec.Command(Build(t), args...), done: make(chan struct{})}
	p.Cmd.Env = append(baseEnv(), env...)
	stdout, err := p.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.Cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	begin := time.Now()
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stdout.WriteString(line + "\n")
			p.mu.Unlock()
			if m := readyLine.FindStringSubmatch(line); m != nil {
				select {
				case ready <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("convene %s stderr:\n%s", strings.Join(args, " "), p.Stderr())
		}
	})
	select {
	case p.URL = <-ready:
		p.Started = time.Since(begin)
	case <-p.done:
		t.Fatalf("convene %s exited before serving: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), p.err, p.Stdout(), p.Stderr())
	case <-time.After(60 * time.Second):
		t.Fatalf("convene %s did not say it serves within 60 s\nstderr:\n%s", strings.Join(args, " "), p.Stderr())
	}
	return p
}

// Stderr returns what the process wrote on standard error so far.
func (p *Process) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Stdout returns what the process wrote on standard output so far.
func (p *Process) Stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// Signal sends sig to the process.
func (p *Process) Signal(sig syscall.Signal) error { return p.Cmd.Process.Signal(sig) }

// Wait waits for the process to exit and returns its exit status.
func (p *Process) Wait(ctx context.Context) (int, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return -1, ctx.Err()
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, p.err
}

// RSS returns the resident set size of the process in bytes, read from
// /proc.
func (p *Process) RSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d kB", &kb)
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.Cmd.Process.Pid)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
