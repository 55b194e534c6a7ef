// Package dovecottest runs a real IMAP server, Debian's Dovecot, for
// tests: a minimal configuration in a temporary directory, one user in a
// passwd-file and a Maildir, on a free loopback port, as a child process
// stopped when the test ends.
//
// It is imported only by tests.
package dovecottest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// Server is a running Dovecot.
type Server struct {
	Addr     string // host:port of its IMAP listener (no TLS)
	User     string
	Password string
	maildir  string
	uid, gid int
	n        atomic.Int64
}

// Start starts Dovecot with one user, user, whose password is password;
// extra lines are appended to its configuration.
func Start(t testing.TB, user, password string, extra ...string) *Server {
	t.Helper()
	bin := testenv.Command(t, "dovecot")
	dir, err := os.MkdirTemp("", "dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Dovecot's auth process runs as its own user: it must reach the
	// passwd-file (a test password, nothing secret).
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	s := &Server{User: user, Password: password, maildir: filepath.Join(dir, "mail", user)}
	for _, sub := range []string{"run", "state", "home", "mail/" + user + "/new", "mail/" + user + "/cur", "mail/" + user + "/tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(user+":{PLAIN}"+password+"::::::\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	_, port, _ := net.SplitHostPort(s.Addr)
	ln.Close()
	// Dovecot refuses to run mail processes as root: as root, the mail
	// belongs to nobody.
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		u, err := osuser.Lookup("nobody")
		if err != nil {
			t.Fatalf("dovecottest: running as root needs the user nobody: %v", err)
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		for _, sub := range []string{"home", "mail", "mail/" + user, "mail/" + user + "/new", "mail/" + user + "/cur", "mail/" + user + "/tmp"} {
			if err := os.Chown(filepath.Join(dir, sub), uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.uid, s.gid = uid, gid
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[1]s/mail/%%u
first_valid_uid = %[3]d
first_valid_gid = %[4]d
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = static
  args = uid=%[3]d gid=%[4]d home=%[1]s/home/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]s
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
`, dir, port, uid, gid) + strings.Join(extra, "\n") + "\n"
	cf := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", cf)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("dovecot log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			greeting, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if strings.HasPrefix(greeting, "* OK") {
				return s
			}
		}
		select {
		case <-done:
			t.Fatalf("dovecot exited:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot does not answer at %s:\n%s", s.Addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Deliver drops a message into the user's Maildir, as a local delivery
// agent would (write in tmp/, rename into new/).
func (s *Server) Deliver(t testing.TB, raw []byte) {
	t.Helper()
	name := fmt.Sprintf("%d.M%dP%d.convene-test", time.Now().Unix(), s.n.Add(1), os.Getpid())
	tmp := filepath.Join(s.maildir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(tmp, s.uid, s.gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.maildir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// Seen reports how many of the Maildir's messages have the \Seen flag and
// how many do not.
func (s *Server) Seen(t testing.TB) (seen, unseen int) {
	t.Helper()
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(s.maildir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			// Maildir info: "name:2,FLAGS", S for \Seen.
			if _, flags, ok := strings.Cut(e.Name(), ":2,"); ok && strings.Contains(flags, "S") {
				seen++
			} else {
				unseen++
			}
		}
	}
	return seen, unseen
}

// Unsee clears the \Seen flag of every message, behind the server's back
// as a user's other client would.
func (s *Server) Unsee(t testing.TB) {
	t.Helper()
	dir := filepath.Join(s.maildir, "cur")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if base, flags, ok := strings.Cut(e.Name(), ":2,"); ok {
			if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(dir, base+":2,"+strings.ReplaceAll(flags, "S", ""))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// NoIdle is a configuration line that takes IDLE out of the capabilities
// Dovecot announces after login, to test polling.
const NoIdle = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT MULTIAPPEND UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 ESEARCH SEARCHRES LIST-STATUS BINARY MOVE"

// URL is the mailbox's imap:// URL for CONVENE_IMAP_URL.
func (s *Server) URL() string {
	return "imap://" + strings.ReplaceAll(s.User, "@", "%40") + ":" + s.Password + "@" + s.Addr + "/INBOX"
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
