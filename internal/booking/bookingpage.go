package booking

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/store"
)

// Personal booking pages (/u/{slug}): a visitor sees the free times of a
// user who switched their page on (account.SetBookingPage), asks for one
// with a name and an address, and the meeting is booked only when the
// visitor opens the link mailed to that address, so that nobody books in
// someone else's name and a robot's requests book nothing. The rules:
//   - a requested time must be free when asked for (working hours,
//     calendars, buffers, notice, the page's lengths and days), and is
//     checked again when confirmed: a time taken meanwhile books nothing
//     and the visitor is offered new ones (ErrSlotTaken);
//   - the link carries a random 256-bit secret, of which only the SHA-256
//     is stored; it works until PageLinkTTL after the request, and books
//     once (a second click shows the meeting booked by the first);
//   - at most MaxOpenPageRequests requests of one address to one page wait
//     for confirmation at a time, so the page cannot be used to flood
//     someone's mailbox (the web front end also limits requests per client
//     address);
//   - the booking itself is Create's: holds in one transaction, so a time
//     is never booked twice.

// Bounds of the requests of a booking page.
const (
	PageLinkTTL         = 24 * time.Hour
	MaxOpenPageRequests = 3
	maxVisitorNote      = 500
	// pageSlots is how many times a page shows at once.
	pageSlots = 48
)

// PageConfirmPath is the path of the link that confirms a visitor's
// request; the web pages serve it.
func PageConfirmPath(slug, token string) string { return "/u/" + slug + "/confirm/" + token }

// ErrPageLinkInvalid: the confirmation link is unknown, expired or cut.
var ErrPageLinkInvalid = errors.New("this link does not work: it expired, or was cut in the mail")

// ErrSlotTaken: the time asked for is no longer free.
var ErrSlotTaken = errors.New("this time is no longer free")

func errSlotTaken() error {
	return failure.New(failure.Conflict, "%v: choose another", ErrSlotTaken).Wrap(ErrSlotTaken)
}

// PageQuery asks for a booking page's free times.
type PageQuery struct {
	// Duration in minutes: one of the page's lengths (0: the first).
	Duration int
	// From is where to start (zero: now); times are offered up to the
	// page's days ahead.
	From time.Time
	// Location is the visitor's zone, in which the times are written.
	Location *time.Location
}

// PageSlots are a booking page's free times for a visitor.
type PageSlots struct {
	Slug      string
	OwnerName string
	Durations []int
	Duration  int
	Days      int
	Slots     []calendar.Slot
	// Later is where the next times start, zero when there are none.
	Later time.Time
}

// pageOwner returns a switched-on page and its owner.
func (s *Service) pageOwner(ctx context.Context, slug string) (*store.BookingPage, *store.User, error) {
	return s.Accounts.PublicBookingPage(ctx, slug)
}

func pageDurations(bp *store.BookingPage, owner *store.User) []int {
	if len(bp.Durations) > 0 {
		return bp.Durations
	}
	return []int{owner.DefaultDuration}
}

// granularityFor spaces a page's times: every 15 minutes for short
// meetings, every 30 for longer ones.
func granularityFor(minutes int) time.Duration {
	if minutes < 30 {
		return 15 * time.Minute
	}
	return 30 * time.Minute
}

// PageSlots returns the free times a booking page offers.
func (s *Service) PageSlots(ctx context.Context, slug string, q PageQuery) (*PageSlots, error) {
	bp, owner, err := s.pageOwner(ctx, slug)
	if err != nil {
		return nil, err
	}
	durations := pageDurations(bp, owner)
	d := q.Duration
	if d == 0 {
		d = durations[0]
	}
	if !slices.Contains(durations, d) {
		return nil, failure.Field("duration", "choose one of the lengths the page offers: %v minutes", durations)
	}
	loc := q.Location
	if loc == nil {
		loc = time.UTC
	}
	now := s.Now()
	from, to := q.From, now.Add(time.Duration(bp.Days)*24*time.Hour)
	if from.Before(now) {
		from = now
	}
	out := &PageSlots{Slug: bp.Slug, OwnerName: owner.Name, Durations: durations, Duration: d, Days: bp.Days, Slots: []calendar.Slot{}}
	if !from.Before(to) {
		return out, nil
	}
	res, err := s.Calendars.Availability(ctx, account.PrincipalOf(owner), calendar.AvailabilityRequest{
		Attendees: []string{owner.Email}, Duration: time.Duration(d) * time.Minute, From: from, To: to, Location: loc,
		Ranking: availability.Earliest, Limit: pageSlots + 1, Granularity: granularityFor(d)})
	if err != nil {
		return nil, err
	}
	out.Slots = res.Slots
	if len(out.Slots) > pageSlots {
		out.Later = out.Slots[pageSlots].Start
		out.Slots = out.Slots[:pageSlots]
	}
	return out, nil
}

// slotFree reports whether the page's owner is free for d minutes from
// start, by the same search that lists the page's times.
func (s *Service) slotFree(ctx context.Context, owner *store.User, start time.Time, d int) (bool, error) {
	dur := time.Duration(d) * time.Minute
	res, err := s.Calendars.Availability(ctx, account.PrincipalOf(owner), calendar.AvailabilityRequest{
		Attendees: []string{owner.Email}, Duration: dur, From: start, To: start.Add(dur), Location: time.UTC,
		Ranking: availability.Earliest, Limit: 1, Granularity: time.Minute})
	if err != nil {
		return false, err
	}
	return len(res.Slots) == 1 && res.Slots[0].Start.Equal(start), nil
}

// PageRequest is a visitor's request on a booking page.
type PageRequest struct {
	Slug     string
	Name     string
	Email    string
	Note     string
	Start    time.Time
	Duration int
	// TimeZone and Language are the visitor's, for the mail and pages.
	TimeZone string
	Language string
}

// RequestPageBooking records a visitor's request for a free time and
// mails them the link that confirms it. Nothing is booked yet.
func (s *Service) RequestPageBooking(ctx context.Context, in PageRequest) (*store.BookingRequest, error) {
	bp, owner, err := s.pageOwner(ctx, in.Slug)
	if err != nil {
		return nil, err
	}
	var fs failure.Fields
	name := strings.TrimSpace(in.Name)
	if name == "" || len([]rune(name)) > 200 || strings.ContainsAny(name, "\r\n<>\"") {
		fs.Add("name", "give your name: one line of 1 to 200 characters")
	}
	email, err := account.NormalizeEmail(in.Email)
	if err != nil {
		fs.Add("email", "%v", err)
	}
	note := strings.TrimSpace(in.Note)
	if len([]rune(note)) > maxVisitorNote {
		fs.Add("note", "use at most %d characters", maxVisitorNote)
	}
	if !slices.Contains(pageDurations(bp, owner), in.Duration) {
		fs.Add("duration", "choose one of the lengths the page offers")
	}
	tz := in.TimeZone
	if account.CheckTimeZone(tz) != nil {
		tz = owner.TimeZone
	}
	lang := in.Language
	if !account.ValidLanguage(lang) {
		lang = "en"
	}
	now := s.Now()
	if in.Start.IsZero() {
		fs.Add("start", "choose a time")
	} else if in.Start.Before(now) || in.Start.After(now.Add(time.Duration(bp.Days)*24*time.Hour)) {
		fs.Add("start", "choose one of the times the page offers")
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	if email == owner.Email {
		return nil, failure.Field("email", "this is the page's own address")
	}
	free, err := s.slotFree(ctx, owner, in.Start, in.Duration)
	if err != nil {
		return nil, err
	}
	if !free {
		return nil, errSlotTaken()
	}
	open, err := s.Store.CountOpenBookingRequests(ctx, owner.AccountID, owner.ID, email, now)
	if err != nil {
		return nil, fmt.Errorf("booking: page request: %w", err)
	}
	if open >= MaxOpenPageRequests {
		return nil, failure.New(failure.Conflict, "%s already has %d requests waiting for confirmation on this page: open the links in those mails first, or wait until they expire", email, open)
	}
	secret, hash := newPageToken(s.Rand)
	r := &store.BookingRequest{
		ID: s.newID("bkr_"), AccountID: owner.AccountID, UserID: owner.ID, TokenHash: hash, VisitorName: name,
		VisitorEmail: email, Start: in.Start.UTC(), Duration: in.Duration, TimeZone: tz, Language: lang, Note: note,
		Created: now.UTC(), Expires: now.Add(PageLinkTTL).UTC(),
	}
	acct, err := s.Store.Account(ctx, owner.AccountID)
	if err != nil {
		return nil, fmt.Errorf("booking: page request: %w", err)
	}
	from, err := s.sender(ctx, owner.AccountID)
	if err != nil {
		return nil, fmt.Errorf("booking: page request: %w", err)
	}
	link := strings.TrimSuffix(s.BaseURL, "/") + PageConfirmPath(bp.Slug, secret)
	raw, subject, msgID, err := composePageMail(now, r, owner, acct, from, link)
	if err != nil {
		return nil, fmt.Errorf("booking: page request mail: %w", err)
	}
	stored := &store.Mail{
		ID: s.newID("msg_"), AccountID: owner.AccountID, DedupeKey: "page-request/" + r.ID, Kind: MailPageRequest, Sender: from,
		Recipients: []string{email}, Subject: subject, MessageID: msgID, Raw: raw, Status: store.MailHeld, Created: now.UTC(),
	}
	if s.Mail != nil {
		stored.Status = store.MailQueued
	}
	err = s.Store.InTx(ctx, func(tx *store.DB) error {
		// Requests never confirmed are forgotten a week after they expired.
		if _, err := tx.PruneBookingRequests(ctx, now.Add(-7*24*time.Hour)); err != nil {
			return err
		}
		if err := tx.CreateBookingRequest(ctx, r); err != nil {
			return err
		}
		added, err := tx.AddMail(ctx, stored)
		if err != nil {
			return err
		}
		if added && stored.Status == store.MailQueued {
			return s.Jobs.Enqueue(ctx, tx, sendMail{AccountID: owner.AccountID, MailID: stored.ID}, uniqueArgs)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking: page request: %w", err)
	}
	s.Log.Info("booking page request", "page", bp.Slug, "request", r.ID, "account", owner.AccountID)
	return r, nil
}

// MailPageRequest is the kind of the mail that asks a visitor to confirm.
const MailPageRequest = "page-request"

func newPageToken(r io.Reader) (secret, hash string) {
	if r == nil {
		r = rand.Reader
	}
	var b [32]byte
	io.ReadFull(r, b[:])
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, hashPageToken(secret)
}

func hashPageToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// PendingPageBooking is a visitor's request as the confirmation page
// shows it.
type PendingPageBooking struct {
	Slug         string
	OwnerName    string
	VisitorName  string
	VisitorEmail string
	Start, End   time.Time
	Duration     int
	TimeZone     string
	Language     string
	// MeetingID is set once the request booked its meeting.
	MeetingID string
}

// pageRequest finds the request of a confirmation link.
func (s *Service) pageRequest(ctx context.Context, slug, token string) (*store.BookingRequest, *store.BookingPage, *store.User, error) {
	invalid := failure.New(failure.NotFound, "%v", ErrPageLinkInvalid).Wrap(ErrPageLinkInvalid)
	if len(token) != 43 {
		return nil, nil, nil, invalid
	}
	r, err := s.Store.BookingRequestByHash(ctx, hashPageToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, invalid
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("booking: page link: %w", err)
	}
	bp, owner, err := s.pageOwner(ctx, slug)
	if err != nil {
		return nil, nil, nil, err
	}
	if bp.UserID != r.UserID || bp.AccountID != r.AccountID {
		return nil, nil, nil, invalid
	}
	if r.Confirmed.IsZero() && !s.Now().Before(r.Expires) {
		return nil, nil, nil, invalid
	}
	return r, bp, owner, nil
}

func pendingOf(r *store.BookingRequest, bp *store.BookingPage, owner *store.User) *PendingPageBooking {
	return &PendingPageBooking{Slug: bp.Slug, OwnerName: owner.Name, VisitorName: r.VisitorName, VisitorEmail: r.VisitorEmail,
		Start: r.Start, End: r.Start.Add(time.Duration(r.Duration) * time.Minute), Duration: r.Duration, TimeZone: r.TimeZone,
		Language: r.Language, MeetingID: r.MeetingID}
}

// PendingPageRequest returns the request a confirmation link names, if
// the link still works.
func (s *Service) PendingPageRequest(ctx context.Context, slug, token string) (*PendingPageBooking, error) {
	r, bp, owner, err := s.pageRequest(ctx, slug, token)
	if err != nil {
		return nil, err
	}
	return pendingOf(r, bp, owner), nil
}

// confirmLocks serializes the confirmations of one request in this
// process (two clicks at once); across nodes, the organizer's holds keep
// the time from being booked twice and confirmAfterConflict recognizes
// the other click's meeting.
var confirmLocks sync.Map // request ID → *sync.Mutex

// ConfirmPageBooking books the meeting a confirmation link asks for, as
// its page's owner with the visitor as guest. A link that already booked
// returns that booking. A time no longer free books nothing and fails
// with ErrSlotTaken (a Conflict).
func (s *Service) ConfirmPageBooking(ctx context.Context, slug, token string) (*PendingPageBooking, error) {
	r, bp, owner, err := s.pageRequest(ctx, slug, token)
	if err != nil {
		return nil, err
	}
	mu, _ := confirmLocks.LoadOrStore(r.ID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer func() {
		mu.(*sync.Mutex).Unlock()
		confirmLocks.Delete(r.ID)
	}()
	if r, err = s.Store.BookingRequestByHash(ctx, r.TokenHash); err != nil {
		return nil, fmt.Errorf("booking: page link: %w", err)
	}
	if !r.Confirmed.IsZero() {
		return pendingOf(r, bp, owner), nil
	}
	taken := errSlotTaken()
	free, err := s.slotFree(ctx, owner, r.Start, r.Duration)
	if err != nil {
		return nil, err
	}
	if !free {
		return nil, taken
	}
	subject := "Meeting with " + r.VisitorName
	if owner.Language == "fr" {
		subject = "Réunion avec " + r.VisitorName
	}
	if len([]rune(subject)) > MaxSubject {
		subject = string([]rune(subject)[:MaxSubject])
	}
	v, err := s.Create(ctx, account.PrincipalOf(owner), Request{
		Subject: subject, StartTime: r.Start.Format(time.RFC3339), TimeZone: owner.TimeZone, Duration: r.Duration,
		Description: r.Note, Attendees: []AttendeeInput{{Email: r.VisitorEmail, Name: r.VisitorName}},
	})
	if err != nil {
		if fe, ok := failure.As(err); ok && fe.Kind == failure.Conflict && fe.Extra["meeting_id"] == nil {
			// The organizer's holds refused the time: taken, unless by
			// this very request confirmed elsewhere meanwhile.
			if again, err := s.Store.BookingRequestByHash(ctx, r.TokenHash); err == nil && !again.Confirmed.IsZero() {
				return pendingOf(again, bp, owner), nil
			}
			return nil, taken
		}
		return nil, err
	}
	if err := s.Store.ConfirmBookingRequest(ctx, r.AccountID, r.ID, v.ID, s.Now().UTC()); err != nil {
		return nil, fmt.Errorf("booking: page link: %w", err)
	}
	r.MeetingID = v.ID
	s.Log.Info("booking page request confirmed", "page", bp.Slug, "request", r.ID, "meeting", v.ID)
	return pendingOf(r, bp, owner), nil
}

// pageMailTexts are the words of the confirmation mail: %[1]s the
// visitor's name, %[2]s the page's owner, %[3]s when, %[4]s how long,
// %[5]s the link (which works for PageLinkTTL).
var pageMailTexts = map[string]accountMailText{
	"en": {"Confirm your meeting with %s",
		"Hello %[1]s,\r\n\r\nYou asked for a meeting with %[2]s:\r\n\r\n  %[3]s (%[4]s)\r\n\r\n" +
			"Open this link to confirm it; nothing is booked until you do:\r\n\r\n%[5]s\r\n\r\n" +
			"The link works for 24 hours.\r\nIf you did not ask for this meeting, ignore this mail.\r\n"},
	"fr": {"Confirmez votre rendez-vous avec %s",
		"Bonjour %[1]s,\r\n\r\nVous avez demandé un rendez-vous avec %[2]s :\r\n\r\n  %[3]s (%[4]s)\r\n\r\n" +
			"Ouvrez ce lien pour le confirmer ; rien n'est réservé avant :\r\n\r\n%[5]s\r\n\r\n" +
			"Le lien fonctionne pendant 24 heures.\r\nSi vous n'avez rien demandé, ignorez ce message.\r\n"},
}

// composePageMail writes the mail that asks a visitor to confirm.
func composePageMail(now time.Time, r *store.BookingRequest, owner *store.User, acct *store.Account, from, link string) ([]byte, string, string, error) {
	t := pageMailTexts[r.Language]
	if t.subject == "" {
		t = pageMailTexts["en"]
	}
	subject := fmt.Sprintf(t.subject, owner.Name)
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{{Name: "Convene for " + acct.Name, Address: from}})
	h.SetAddressList("To", []*mail.Address{{Name: r.VisitorName, Address: r.VisitorEmail}})
	h.SetSubject(subject)
	domain := from[strings.LastIndex(from, "@")+1:]
	msgID := fmt.Sprintf("page.%s@%s", r.ID, domain)
	h.SetMessageID(msgID)
	h.Set("Auto-Submitted", "auto-generated") // RFC 3834
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, "", "", err
	}
	end := r.Start.Add(time.Duration(r.Duration) * time.Minute)
	fmt.Fprintf(w, t.body, r.VisitorName, owner.Name, invite.FormatRange(r.Start, end, r.TimeZone, r.Language),
		invite.FormatDuration(time.Duration(r.Duration)*time.Minute, r.Language), link)
	if err := w.Close(); err != nil {
		return nil, "", "", err
	}
	return buf.Bytes(), subject, "<" + msgID + ">", nil
}
