package assistant

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/store"
)

// A choice link lets a guest answer with one click. Each mail of options
// carries one link per option and one to all of them; every link lands on
// the guests' proposal page of internal/web/pages (served at
// /choose/{token}), which shows the round's times in the guest's zone,
// the link's own time first with a button to confirm it, and lets the
// guest pick another or say none works. GET never answers (mail scanners
// fetch links); a POST of the page's form does, through GuestAnswers, as
// the guest's event in the conversation. The link carries a token, signed
// with a key derived from the data key, that binds it to one account,
// thread, meeting, guest, round of options and option (or all of them),
// and expires (at the latest when its option starts). A token answers
// once: the step "link:ID" records it with the answer's effects; a new
// round of options makes the old links void.
//
// Token layout, before base64url (RFC 4648 §5, no padding):
//
//	version  1 byte (1)
//	expires  8 bytes: Unix seconds, big endian
//	round    2 bytes
//	option   1 byte (0xFF: every option of the round)
//	nonce    8 bytes (random: two links are never alike)
//	account, thread, meeting, guest: each one length byte and its bytes
//	mac      16 bytes: HMAC-SHA256(key, everything before)[:16]
//
// The MAC is checked, in constant time, before any other field is read.
// This is written by hand because it is a few lines over crypto/hmac; a
// JWT library would bring algorithm negotiation we do not want.

const (
	linkVersion = 1
	linkMACLen  = 16
	linkHeader  = 1 + 8 + 2 + 1 + 8
	// MaxLinkToken is the longest token accepted, in characters.
	MaxLinkToken = 1024
)

// linkClaims is what a token binds.
type linkClaims struct {
	Expires   time.Time
	Round     int
	Option    int
	AccountID string
	ThreadID  string
	MeetingID string
	Guest     string // the guest's address, lower case
}

// Errors of parseLink.
var (
	// ErrLinkInvalid: not a token of ours (malformed, or its signature
	// does not match: tampered, or signed with another key).
	ErrLinkInvalid = errors.New("assistant: invalid link")
	// ErrLinkExpired: a genuine token past its expiry.
	ErrLinkExpired = errors.New("assistant: expired link")
)

// signLink makes the token of c with key; rnd gives the nonce (nil:
// crypto/rand).
func signLink(key []byte, c linkClaims, rnd io.Reader) (string, error) {
	if len(key) < 16 {
		return "", errors.New("assistant: no link key")
	}
	if c.Round < 0 || c.Round > 0xFFFF || c.Option < 0 || c.Option > 0xFF {
		return "", fmt.Errorf("assistant: link round %d option %d out of range", c.Round, c.Option)
	}
	b := make([]byte, 0, 128)
	b = append(b, linkVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Expires.Unix()))
	b = binary.BigEndian.AppendUint16(b, uint16(c.Round))
	b = append(b, byte(c.Option))
	var nonce [8]byte
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, nonce[:]); err != nil {
		return "", fmt.Errorf("assistant: link nonce: %w", err)
	}
	b = append(b, nonce[:]...)
	for _, f := range []string{c.AccountID, c.ThreadID, c.MeetingID, c.Guest} {
		if len(f) > 0xFF {
			return "", fmt.Errorf("assistant: link field of %d bytes", len(f))
		}
		b = append(b, byte(len(f)))
		b = append(b, f...)
	}
	b = append(b, linkMAC(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func linkMAC(key, payload []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)[:linkMACLen]
}

// parseLink checks a token's signature, then its fields, then its expiry
// at now. id identifies the token for single use.
func parseLink(key []byte, tok string, now time.Time) (c linkClaims, id string, err error) {
	if len(key) < 16 || len(tok) == 0 || len(tok) > MaxLinkToken {
		return c, "", ErrLinkInvalid
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < linkHeader+4+linkMACLen {
		return c, "", ErrLinkInvalid
	}
	payload, mac := b[:len(b)-linkMACLen], b[len(b)-linkMACLen:]
	if !hmac.Equal(mac, linkMAC(key, payload)) {
		return c, "", ErrLinkInvalid
	}
	if payload[0] != linkVersion {
		return c, "", ErrLinkInvalid
	}
	c.Expires = time.Unix(int64(binary.BigEndian.Uint64(payload[1:9])), 0).UTC()
	c.Round = int(binary.BigEndian.Uint16(payload[9:11]))
	c.Option = int(payload[11])
	rest := payload[linkHeader:]
	var fields [4]string
	for i := range fields {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return linkClaims{}, "", ErrLinkInvalid
		}
		n := int(rest[0])
		fields[i], rest = string(rest[1:1+n]), rest[1+n:]
	}
	if len(rest) != 0 {
		return linkClaims{}, "", ErrLinkInvalid
	}
	c.AccountID, c.ThreadID, c.MeetingID, c.Guest = fields[0], fields[1], fields[2], fields[3]
	sum := sha256.Sum256(payload)
	id = hex.EncodeToString(sum[:12])
	if !now.Before(c.Expires) {
		return c, id, ErrLinkExpired
	}
	return c, id, nil
}

// Link states, for the page.
const (
	LinkConfirm  = "confirm"      // answerable: the time (or times) to choose from
	LinkBooked   = choiceBooked   // booked at the time chosen
	LinkAccepted = choiceAccepted // recorded; waiting for the other guests
	LinkTaken    = choiceTaken    // taken meanwhile: new times are on their way
	LinkFailed   = choiceFailed   // could not book; the organizer is told
	LinkRefused  = "refused"      // see Problem
	linkUsedStep = "link:"        // step id prefix
	linkBusyWait = 150 * time.Millisecond
)

// linkAll is the option byte of a guest's link to every option of a round
// (the mail's "all the times" link), which no option index reaches
// (booking.Proposals is at most 5).
const linkAll = 0xFF

// Problems of a refused link.
const (
	ProblemInvalid  = "invalid"  // not a link of ours, or no longer one
	ProblemExpired  = "expired"  // too old
	ProblemUsed     = "used"     // already used
	ProblemReplaced = "replaced" // newer times were sent
	ProblemClosed   = "closed"   // the meeting is booked or cancelled, or the guest no longer takes part
	ProblemBusy     = "busy"     // try again in a moment
)

// LinkView is what the guest's page needs of a link; nothing in it is
// about anyone but the guest and the meeting.
type LinkView struct {
	// Lang is the guest's language ("en", "fr"; "" when unknown).
	Lang      string
	Account   string
	Subject   string
	Organizer string
	Guest     string
	// When is the option (or, for a closed link, the meeting) in the
	// guest's zone and language; "" for a link to every option.
	When     string
	Duration string
	State    string
	Problem  string
	// AccountID, MeetingID and Email are the meeting and the guest's
	// address the link is bound to, and TimeZone the guest's zone as the
	// assistant knows it: set for every genuine link of a guest of the
	// thread, refused or not.
	AccountID, MeetingID, Email, TimeZone string
	// MeetingStatus is the meeting's (store.Meeting*): a closed link's
	// page says whether it is booked or cancelled.
	MeetingStatus string
	// Option is the index of the option the link was mailed for, -1 for a
	// link to every option; Selected is that option's start.
	Option   int
	Selected time.Time
}

// Describe reads a choice link for the page that shows it. It changes
// nothing.
func (s *Service) Describe(ctx context.Context, token string) (*LinkView, error) {
	v, _, err := s.check(ctx, token)
	return v, err
}

// linkTarget is what a genuine link names.
type linkTarget struct {
	c   linkClaims
	id  string
	th  *store.Thread
	d   *threadData
	gi  int
	org *store.User
	acc *store.Account
	m   *store.Meeting // nil when the meeting is gone
}

// settledState is the state a thread is in once its meeting changed
// outside the conversation (the API's or the pages' choose or cancel): a
// proposal booked meanwhile is booked, a cancelled meeting cancels the
// thread; "" when the two agree.
func settledState(state string, d *threadData, m *store.Meeting) string {
	switch {
	case m == nil || state == stateCancelled || state == stateAsking:
		return ""
	case m.Status == store.MeetingCancelled:
		return stateCancelled
	case state == stateProposed && !d.Moving && (m.Status == store.MeetingBooked || m.Status == store.MeetingBooking):
		return stateBooked
	}
	return ""
}

// check validates a token against the thread as it stands. The view says
// whether the link may answer (LinkConfirm) or why not; the target is set
// for every genuine link of a guest of the thread, refused or not.
func (s *Service) check(ctx context.Context, token string) (*LinkView, *linkTarget, error) {
	v := &LinkView{Option: -1, State: LinkRefused, Problem: ProblemInvalid}
	c, id, err := parseLink(s.LinkKey, token, s.now())
	if errors.Is(err, ErrLinkInvalid) {
		return v, nil, nil
	}
	th, terr := s.Store.Thread(ctx, c.AccountID, c.ThreadID)
	if errors.Is(terr, store.ErrNotFound) {
		return v, nil, nil
	}
	if terr != nil {
		return nil, nil, terr
	}
	d, derr := decodeData(th)
	if derr != nil {
		return nil, nil, derr
	}
	gi := d.guestIndex(c.Guest)
	if gi < 0 || th.MeetingID == "" || th.MeetingID != c.MeetingID {
		return v, nil, nil
	}
	acct, aerr := s.Store.Account(ctx, th.AccountID)
	if aerr != nil {
		return nil, nil, aerr
	}
	org, uerr := s.Store.User(ctx, th.AccountID, th.OrganizerID)
	if uerr != nil {
		return nil, nil, uerr
	}
	m, merr := s.Store.Meeting(ctx, th.AccountID, th.MeetingID)
	if errors.Is(merr, store.ErrNotFound) {
		m = nil
	} else if merr != nil {
		return nil, nil, merr
	}
	g := d.Guests[gi]
	if m != nil {
		v.MeetingStatus = m.Status
	}
	tg := &linkTarget{c: c, id: id, th: th, d: d, gi: gi, org: org, acc: acct, m: m}
	v.Lang, v.Account, v.Subject, v.Guest = g.Language, brandingOf(acct).Name, d.Subject, g.label()
	v.AccountID, v.MeetingID, v.Email, v.TimeZone = th.AccountID, th.MeetingID, strings.ToLower(g.Email), g.TimeZone
	v.Organizer = org.Name
	if v.Organizer == "" {
		v.Organizer = org.Email
	}
	if d.Duration > 0 {
		v.Duration = invite.FormatDuration(time.Duration(d.Duration)*time.Minute, g.Language)
	}
	refused := func(p string) (*LinkView, *linkTarget, error) {
		v.Problem = p
		return v, tg, nil
	}
	if errors.Is(err, ErrLinkExpired) {
		return refused(ProblemExpired)
	}
	if st, err := s.Store.Step(ctx, th.AccountID, linkUsedStep+id); err == nil && st.Status == store.StepDone {
		return refused(ProblemUsed)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	state := th.State
	if st := settledState(state, d, m); st != "" {
		state = st
	}
	switch {
	case m == nil || state == stateCancelled:
		return refused(ProblemClosed)
	case state == stateBooked && !d.Moving:
		v.When = invite.FormatRange(m.Start, m.End, g.TimeZone, g.Language)
		return refused(ProblemClosed)
	case !negotiating(state, d) || !g.active():
		return refused(ProblemClosed)
	case c.Round != d.Round:
		return refused(ProblemReplaced)
	case c.Option != linkAll && c.Option >= len(d.Options):
		return refused(ProblemInvalid)
	}
	if c.Option != linkAll {
		o := d.Options[c.Option]
		v.Option, v.Selected = c.Option, o.Start
		v.When = invite.FormatRange(o.Start, o.End, g.TimeZone, g.Language)
	}
	v.State, v.Problem = LinkConfirm, ""
	return v, tg, nil
}

// Choose books (or records) the option a choice link was mailed for, as
// the guest's answer: the one-click confirmation of the guest's page.
// It is meant for POST only; see answer for the rules.
func (s *Service) Choose(ctx context.Context, token string) (*LinkView, error) {
	return s.answer(ctx, token, func(ctx context.Context, t *turn, tg *linkTarget) (string, error) {
		if tg.c.Option == linkAll {
			return "", failure.Field("start_time", "this link is for every time offered: say which one")
		}
		t.say("guest %s chose option %d with a link", tg.c.Guest, tg.c.Option+1)
		return s.accept(ctx, t, tg.gi, tg.c.Option, true)
	})
}

// answer runs a guest's answer given through a link (a time picked, none
// works), as one step of the conversation that records the link used:
// through the same path as a reply in words, so the same rules hold
// (every guest must agree; a time taken meanwhile gets new options), and
// exactly once. act runs under the thread's lease, after the link is
// checked again there (another guest or the organizer may have moved the
// thread on); it returns the outcome, which the view's State carries. A
// refused link, or a thread busy for too long, books nothing and says why
// in the view.
func (s *Service) answer(ctx context.Context, token string, act func(context.Context, *turn, *linkTarget) (string, error)) (*LinkView, error) {
	v, tg, err := s.check(ctx, token)
	if err != nil || v.State != LinkConfirm {
		return v, err
	}
	owner := linkUsedStep + tg.id
	var th *store.Thread
	for try := 0; ; try++ {
		th, err = s.lease(ctx, tg.th.AccountID, tg.th.ID, owner)
		if err == nil {
			break
		}
		if !errors.Is(err, errBusy) {
			return nil, err
		}
		if try == 3 {
			v.State, v.Problem = LinkRefused, ProblemBusy
			return v, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(linkBusyWait):
		}
	}
	t, err := s.newTurn(ctx, owner, tg.acc, tg.org, th, nil)
	if err != nil {
		s.Store.ReleaseThread(context.WithoutCancel(ctx), th.AccountID, th.ID, owner)
		return nil, err
	}
	defer t.release(ctx)
	v2, tg2, err := s.check(ctx, token)
	if err != nil || v2.State != LinkConfirm {
		return v2, err
	}
	out, err := act(ctx, t, tg2)
	if err != nil {
		return nil, err
	}
	v2.State = out
	return v2, nil
}
