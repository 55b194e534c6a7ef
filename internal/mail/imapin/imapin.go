// Package imapin is the second way mail reaches the assistant, for sites
// that keep their MX: it reads an existing mailbox over IMAP
// (CONVENE_IMAP_URL) and hands each new message to the inbox, as the SMTP
// listener does.
//
// It waits for mail with IDLE (RFC 2177) when the server offers it, and
// polls otherwise. It remembers how far it read with the mailbox's
// UIDVALIDITY and the last UID read (RFC 9051 §2.3.1.1), saved in the same
// transaction that stores the messages, so nothing is read twice; a message
// is flagged \Seen only after that commit (and again at the next start for
// any the process did not get to flag). When UIDVALIDITY changes, every
// unseen message is read again and the inbox's Message-ID check keeps the
// ones it had from being handled twice. A message's assistant is found
// from Delivered-To, X-Original-To, To and Cc, else the mailbox's own
// address.
//
// The client is emersion/go-imap v2.0.0-beta.9, pinned. v1.2.1 is the
// last stable release but is no longer maintained (fixes and servers'
// quirks land in v2 only); v2's "beta" is about its API, which the pin and
// this small package contain. Its parser is strict: errors are logged with
// the command, never with the password.
//
// This package is a front end: it calls the inbox through Intake and must
// never be imported by the core.
package imapin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/convene/convene/internal/inbox"
)

// Intake is what the reader needs of the inbox; *inbox.Service is one.
type Intake interface {
	Route(ctx context.Context, rcpt string) (string, error)
	Receive(ctx context.Context, d inbox.Delivery) ([]inbox.Stored, error)
	Cursor(ctx context.Context, source string) (uidValidity, uid uint32, err error)
	SaveCursor(ctx context.Context, c inbox.Cursor) error
}

// Mailbox is a parsed CONVENE_IMAP_URL. Printing it masks the password.
type Mailbox struct {
	Security Security
	Host     string // host:port
	User     string
	password string
	Name     string // the mailbox, default INBOX
}

// Security is how the connection is protected.
type Security int

// The URL schemes.
const (
	// ImplicitTLS is imaps:// (RFC 8314 §3.3), port 993 by default.
	ImplicitTLS Security = iota
	// StartTLS is imap+starttls://: a plain connection upgraded before
	// logging in (RFC 9051 §6.2.1), port 143.
	StartTLS
	// NoTLS is imap://, allowed only to a loopback server: the password
	// would cross the network in clear.
	NoTLS
)

// ParseURL reads imaps://user:pass@host[:port][/mailbox],
// imap+starttls://… or imap://… (loopback only); user and password are
// URL-encoded.
func ParseURL(raw string) (Mailbox, error) {
	var m Mailbox
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return m, errors.New("imapin: the URL does not parse") // url's error repeats the password
	}
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "imaps":
		m.Security, port = ImplicitTLS, "993"
	case "imap+starttls":
		m.Security, port = StartTLS, "143"
	case "imap":
		m.Security, port = NoTLS, "143"
	default:
		return m, fmt.Errorf("imapin: scheme %q: want imaps, imap+starttls or imap", u.Scheme)
	}
	if u.Hostname() == "" {
		return m, errors.New("imapin: the URL has no host")
	}
	if u.Port() != "" {
		port = u.Port()
	}
	m.Host = net.JoinHostPort(u.Hostname(), port)
	if u.User == nil || u.User.Username() == "" {
		return m, errors.New("imapin: the URL has no user")
	}
	m.User = u.User.Username()
	m.password, _ = u.User.Password()
	m.Name = strings.Trim(u.Path, "/")
	if m.Name == "" {
		m.Name = "INBOX"
	}
	if m.Security == NoTLS && !loopback(u.Hostname()) {
		return m, fmt.Errorf("imapin: imap:// to %s would send the password in clear; use imaps:// or imap+starttls://", u.Hostname())
	}
	return m, nil
}

// WithPassword returns m with the password set.
func (m Mailbox) WithPassword(p string) Mailbox { m.password = p; return m }

// String is the URL with the password masked.
func (m Mailbox) String() string {
	scheme := map[Security]string{ImplicitTLS: "imaps", StartTLS: "imap+starttls", NoTLS: "imap"}[m.Security]
	return (&url.URL{Scheme: scheme, User: url.User(m.User), Host: m.Host, Path: "/" + m.Name}).String()
}

// Source names the mailbox for the inbox's cursor.
func (m Mailbox) Source() string { return m.String() }

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Options tune the reader; zero fields take the defaults.
type Options struct {
	// PollInterval is the wait between checks without IDLE (1 min).
	PollInterval time.Duration
	// IdleTimeout ends an IDLE that heard nothing, to check anyway
	// (25 min: RFC 2177 asks to re-issue IDLE within 29).
	IdleTimeout time.Duration
	// MaxMessageBytes skips larger messages (10 MiB, as SMTP).
	MaxMessageBytes int64
	// MaxBackoff caps the wait before reconnecting after an error (1 min).
	MaxBackoff time.Duration
	TLSConfig  *tls.Config
	Log        *slog.Logger
}

// Reader reads one mailbox into the inbox.
type Reader struct {
	box    Mailbox
	intake Intake
	opts   Options
}

// New returns a reader of box; Run it.
func New(box Mailbox, intake Intake, opts Options) *Reader {
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Minute
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 25 * time.Minute
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 10 << 20
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Reader{box: box, intake: intake, opts: opts}
}

// Run reads the mailbox until ctx ends, reconnecting after errors with a
// growing wait. It returns nil when ctx ends.
func (r *Reader) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		start := time.Now()
		err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.opts.Log.Warn("imap: session ended; reconnecting", "mailbox", r.box.String(), "err", err, "in", backoff)
		if time.Since(start) > r.opts.MaxBackoff {
			backoff = time.Second // it had worked for a while
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, r.opts.MaxBackoff)
	}
}

// session is one connection: log in, select, read what is new, wait for
// more, until an error or ctx's end.
func (r *Reader) session(ctx context.Context) error {
	newMail := make(chan struct{}, 1)
	c, err := r.dial(newMail)
	if err != nil {
		return err
	}
	defer c.Close()
	// Closing the connection unblocks whatever command is waiting.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(r.box.User, r.box.password).Wait(); err != nil {
		return fmt.Errorf("imapin: login as %s: %w", r.box.User, err)
	}
	sel, err := c.Select(r.box.Name, nil).Wait()
	if err != nil {
		return fmt.Errorf("imapin: select %s: %w", r.box.Name, err)
	}
	if err := r.flagCommitted(ctx, c, sel.UIDValidity); err != nil {
		return err
	}
	for {
		if err := r.readNew(ctx, c, sel.UIDValidity); err != nil {
			return err
		}
		if err := r.wait(ctx, c, newMail); err != nil {
			return err
		}
	}
}

func (r *Reader) dial(newMail chan struct{}) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		TLSConfig: r.opts.TLSConfig,
		// TCP keep-alives find a dead server even during IDLE.
		Dialer: &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 15 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var (
		c   *imapclient.Client
		err error
	)
	switch r.box.Security {
	case ImplicitTLS:
		c, err = imapclient.DialTLS(r.box.Host, opts)
	case StartTLS:
		c, err = imapclient.DialStartTLS(r.box.Host, opts)
	default:
		c, err = imapclient.DialInsecure(r.box.Host, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("imapin: connect to %s: %w", r.box.Host, err)
	}
	return c, nil
}

// flagCommitted flags \Seen the messages up to the cursor that are not:
// stored by a run that stopped before flagging them.
func (r *Reader) flagCommitted(ctx context.Context, c *imapclient.Client, validity uint32) error {
	v, last, err := r.intake.Cursor(ctx, r.box.Source())
	if err != nil || v != validity || last == 0 {
		return err
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{{Start: 1, Stop: imap.UID(last)}}},
		NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("imapin: search unflagged: %w", err)
	}
	if uids := data.AllUIDs(); len(uids) > 0 {
		return r.flagSeen(c, uids...)
	}
	return nil
}

// readNew reads the messages after the cursor (every unseen one when the
// mailbox's UIDVALIDITY changed) in UID order, each stored before it is
// flagged.
func (r *Reader) readNew(ctx context.Context, c *imapclient.Client, validity uint32) error {
	v, last, err := r.intake.Cursor(ctx, r.box.Source())
	if err != nil {
		return err
	}
	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(last) + 1, Stop: 0}}}} // last+1:*
	if v != validity {
		// RFC 9051 §2.3.1.1: the UIDs we knew mean nothing now.
		if v != 0 {
			r.opts.Log.Warn("imap: UIDVALIDITY changed; reading every unseen message again", "mailbox", r.box.String(), "was", v, "now", validity)
		}
		last = 0
		criteria = &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}
	}
	data, err := c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return fmt.Errorf("imapin: search: %w", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	for _, uid := range uids {
		if uint32(uid) <= last {
			continue // "last+1:*" names the last message when nothing is newer
		}
		if err := r.readOne(ctx, c, validity, uid); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reader) readOne(ctx context.Context, c *imapclient.Client, validity uint32, uid imap.UID) error {
	cursor := inbox.Cursor{Source: r.box.Source(), UIDValidity: validity, UID: uint32(uid)}
	raw, size, err := r.fetch(c, uid)
	if err != nil {
		return err
	}
	if raw == nil {
		r.opts.Log.Warn("imap: message too large, skipped", "mailbox", r.box.String(), "uid", uid, "size", size, "max", r.opts.MaxMessageBytes)
		if err := r.intake.SaveCursor(ctx, cursor); err != nil {
			return err
		}
		return r.flagSeen(c, uid)
	}
	rcpts, err := r.recipients(ctx, raw)
	if err != nil {
		return err
	}
	if len(rcpts) == 0 {
		r.opts.Log.Warn("imap: no assistant among the message's recipients, skipped", "mailbox", r.box.String(), "uid", uid)
		if err := r.intake.SaveCursor(ctx, cursor); err != nil {
			return err
		}
		return r.flagSeen(c, uid)
	}
	if _, err := r.intake.Receive(ctx, inbox.Delivery{
		Envelope: inbox.Envelope{Source: inbox.SourceIMAP, Recipients: rcpts},
		Raw:      raw,
		Cursor:   &cursor,
	}); err != nil {
		return err
	}
	return r.flagSeen(c, uid)
}

// fetch reads one message without setting \Seen (BODY.PEEK[]); nil when
// it is larger than the limit.
func (r *Reader) fetch(c *imapclient.Client, uid imap.UID) ([]byte, int64, error) {
	cmd := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, RFC822Size: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	defer cmd.Close()
	var raw []byte
	var size int64
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataRFC822Size:
				size = it.Size
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				if it.Literal.Size() > r.opts.MaxMessageBytes {
					size = it.Literal.Size()
					io.Copy(io.Discard, it.Literal)
					continue
				}
				b, err := io.ReadAll(io.LimitReader(it.Literal, r.opts.MaxMessageBytes+1))
				if err != nil {
					return nil, 0, fmt.Errorf("imapin: fetch %d: %w", uid, err)
				}
				raw = b
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, 0, fmt.Errorf("imapin: fetch %d: %w", uid, err)
	}
	if int64(len(raw)) > r.opts.MaxMessageBytes || size > r.opts.MaxMessageBytes {
		return nil, size, nil
	}
	if raw == nil {
		return nil, 0, fmt.Errorf("imapin: fetch %d: the server sent no message", uid)
	}
	return raw, size, nil
}

func (r *Reader) flagSeen(c *imapclient.Client, uids ...imap.UID) error {
	err := c.Store(imap.UIDSetNum(uids...), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
	if err != nil {
		return fmt.Errorf("imapin: flag \\Seen: %w", err)
	}
	return nil
}

// recipientFields are where a stored message says whom it was for: the
// delivering MTA's Delivered-To and X-Original-To first, then the
// author's To and Cc.
var recipientFields = []string{"Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc"}

// maxCandidates bounds the addresses looked up per message.
const maxCandidates = 50

// recipients finds the assistants a message is for.
func (r *Reader) recipients(ctx context.Context, raw []byte) ([]inbox.Recipient, error) {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	var candidates []string
	for _, f := range recipientFields {
		for _, v := range h.Values(f) {
			list, err := mail.ParseAddressList(v)
			if err != nil {
				if a := strings.Trim(strings.TrimSpace(v), "<>"); strings.Count(a, "@") == 1 {
					candidates = append(candidates, a) // Delivered-To is a bare address
				}
				continue
			}
			for _, a := range list {
				candidates = append(candidates, a.Address)
			}
		}
	}
	if strings.Contains(r.box.User, "@") {
		candidates = append(candidates, r.box.User)
	}
	var out []inbox.Recipient
	seen := map[string]bool{}
	for i, a := range candidates {
		if i >= maxCandidates {
			break
		}
		key := strings.ToLower(a)
		if seen[key] {
			continue
		}
		seen[key] = true
		id, err := r.intake.Route(ctx, a)
		if errors.Is(err, inbox.ErrUnknownRecipient) {
			continue
		}
		if err != nil {
			return nil, err
		}
		dup := false
		for _, o := range out {
			dup = dup || o.AccountID == id
		}
		if !dup {
			out = append(out, inbox.Recipient{Address: key, AccountID: id})
		}
	}
	return out, nil
}

// wait returns when the mailbox may have new mail: told by IDLE, or after
// the poll interval.
func (r *Reader) wait(ctx context.Context, c *imapclient.Client, newMail chan struct{}) error {
	if !c.Caps().Has(imap.CapIdle) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-newMail:
		case <-time.After(r.opts.PollInterval):
		}
		// NOOP lets a server without IDLE report new messages.
		return c.Noop().Wait()
	}
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("imapin: idle: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-newMail:
	case <-time.After(r.opts.IdleTimeout):
	case <-c.Closed():
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("imapin: idle: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("imapin: idle: %w", err)
	}
	return ctx.Err()
}
