package zoomsandbox

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// TestRivetInterop runs Zoom's official Node SDK, @zoom/rivet 0.4.0
// (testdata/rivet, installed by scripts/test with npm ci), against a real
// `convene zoom-sandbox` process: Rivet fetches its own server-to-server
// token, creates, reads, updates, lists and deletes a meeting, reads the
// invitation, and its webhook receiver verifies the sandbox's signed
// events, url_validation included.
func TestRivetInterop(t *testing.T) {
	node := testenv.Command(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "rivet"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@zoom", "rivet", "package.json")); err != nil {
		testenv.Missing(t, "npm packages in internal/zoomsandbox/testdata/rivet (npm ci)")
	}
	bin := conveneBinary(t)

	sandboxAddr, receiverPort := freeAddr(t), freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sb := exec.CommandContext(ctx, bin, "zoom-sandbox", "--addr", sandboxAddr, "--domains", "example.com",
		"--webhook-url", "http://127.0.0.1:"+strconv.Itoa(receiverPort)+"/zoom/events")
	stdout, err := sb.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	sb.Stderr = &logs
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = sb.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- sb.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox exit: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("sandbox did not stop on SIGINT")
			_ = sb.Process.Kill()
		}
		if t.Failed() {
			t.Logf("sandbox log:\n%s", logs.String())
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("sandbox start: %v\n%s", err, logs.String())
	}
	t.Logf("sandbox: %s", strings.TrimSpace(line))
	base := "http://" + sandboxAddr
	if !strings.Contains(line, base) {
		t.Fatalf("start line %q does not name %s", line, base)
	}

	cmd := exec.CommandContext(ctx, node, "rivet.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SANDBOX_URL="+base, "RECEIVER_PORT="+strconv.Itoa(receiverPort))
	out, err := cmd.CombinedOutput()
	t.Logf("node rivet.js:\n%s", out)
	if err != nil {
		t.Fatalf("rivet.js: %v", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(freeAddr(t))
	n, _ := strconv.Atoi(p)
	return n
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
