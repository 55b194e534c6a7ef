package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// Scopes of a change to a series.
const (
	ScopeThis      = "this"
	ScopeFollowing = "following"
	ScopeAll       = "all"
)

// Change is a reschedule (PATCH /api/v1/meetings/{id}); nil fields stay.
type Change struct {
	StartTime   *string          `json:"start_time"`
	Duration    *int             `json:"duration"`
	Subject     *string          `json:"subject"`
	Description *string          `json:"description"`
	Attendees   *[]AttendeeInput `json:"attendees"`
	// Scope and Occurrence choose what of a series changes: this
	// occurrence, this and the following ones, or all (default).
	Scope      string `json:"scope"`
	Occurrence string `json:"occurrence"`
}

// loadForChange loads a meeting the principal may change, locked.
func (s *Service) loadForChange(ctx context.Context, tx *store.DB, p account.Principal, id string) (*store.Meeting, error) {
	m, err := tx.MeetingForUpdate(ctx, p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no meeting %s", id)
	}
	if err != nil {
		return nil, err
	}
	if err := tx.LockKey(ctx, "organizer/"+m.OrganizerID); err != nil {
		return nil, err
	}
	if m.OrganizerID != p.UserID && !p.IsAdmin() {
		if s.canSee(p, m) {
			return nil, failure.New(failure.Forbidden, "only the organizer (or an admin) changes meeting %s", id)
		}
		return nil, failure.New(failure.NotFound, "no meeting %s", id)
	}
	return m, nil
}

// findOccurrence finds an occurrence of a series by its id or its original
// start (RFC 3339).
func findOccurrence(occs []store.Occurrence, key string) (int, error) {
	if key == "" {
		return -1, failure.Field("occurrence", "name the occurrence: its occurrence_id or its start time")
	}
	for i, o := range occs {
		if o.ID == key {
			return i, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, key); err == nil {
		for i, o := range occs {
			if o.Original.Equal(t) || o.Start.Equal(t) {
				return i, nil
			}
		}
	}
	return -1, failure.Field("occurrence", "%q is not an occurrence of this series", key)
}

// Reschedule changes a meeting and sends the change everywhere: to the
// video provider (re-read afterwards) and, with a higher SEQUENCE, to every
// invitee. A change that changes nothing changes nothing.
func (s *Service) Reschedule(ctx context.Context, p account.Principal, id string, c Change) (*View, error) {
	var resultID = id
	err := s.Store.InTx(ctx, func(tx *store.DB) error {
		m, err := s.loadForChange(ctx, tx, p, id)
		if err != nil {
			return err
		}
		switch m.Status {
		case store.MeetingCancelled, store.MeetingFailed:
			return failure.New(failure.Conflict, "meeting %s is %s; book a new one", id, m.Status)
		case store.MeetingProposed:
			return failure.New(failure.Conflict, "meeting %s is still a proposal: choose a time with POST /api/v1/meetings/%s/choose", id, id)
		}
		scope := c.Scope
		if scope == "" {
			scope = ScopeAll
		}
		if m.RRule == "" && scope != ScopeAll {
			return failure.Field("scope", "meeting %s is not a series", id)
		}
		switch scope {
		case ScopeAll:
			return s.changeAll(ctx, tx, m, c)
		case ScopeThis:
			return s.changeOccurrence(ctx, tx, m, c)
		case ScopeFollowing:
			newID, err := s.changeFollowing(ctx, tx, m, c)
			resultID = newID
			return err
		}
		return failure.Field("scope", "%q is not this, following or all", c.Scope)
	})
	if err != nil {
		return nil, s.changeError(err)
	}
	return s.Get(ctx, p, resultID)
}

func (s *Service) changeError(err error) error {
	var oe *store.OverlapError
	if errors.As(err, &oe) {
		return failure.New(failure.Conflict, "the organizer already has meeting %s from %s to %s", oe.MeetingID,
			oe.Start.Format(time.RFC3339), oe.End.Format(time.RFC3339)).With("conflicting_meeting", oe.MeetingID)
	}
	if errors.Is(err, store.ErrOverlap) {
		return failure.New(failure.Conflict, "the organizer already has a meeting at that time")
	}
	if errors.Is(err, store.ErrInactive) {
		return inactiveOrganizer()
	}
	if _, ok := failure.As(err); ok {
		return err
	}
	return fmt.Errorf("booking: change: %w", err)
}

// applyFields applies the fields of c that a whole meeting (or series)
// takes, and reports the attendees removed. It reads through tx, the
// change's transaction.
func (s *Service) applyFields(ctx context.Context, tx *store.DB, m *store.Meeting, c Change, loc *time.Location) (changedTime bool, removed []string, err error) {
	var fs failure.Fields
	org, err := tx.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return false, nil, err
	}
	if c.StartTime != nil {
		start, err := ParseStart("start_time", *c.StartTime, loc)
		if err != nil {
			return false, nil, err
		}
		if !start.After(s.Now().Add(-5 * time.Minute)) {
			fs.Add("start_time", "%s is in the past", start.Format(time.RFC3339))
		}
		if !start.Equal(m.Start) {
			d := m.End.Sub(m.Start)
			m.Start, m.End, changedTime = start.UTC(), start.Add(d).UTC(), true
		}
	}
	if c.Duration != nil {
		if *c.Duration < MinDuration || *c.Duration > MaxDuration {
			fs.Add("duration", "%d minutes is out of bounds: use %d to %d", *c.Duration, MinDuration, MaxDuration)
		} else if *c.Duration != m.Duration {
			m.Duration, m.End, changedTime = *c.Duration, m.Start.Add(time.Duration(*c.Duration)*time.Minute), true
		}
	}
	if c.Subject != nil {
		if sub := strings.TrimSpace(*c.Subject); sub == "" || len([]rune(sub)) > MaxSubject {
			fs.Add("subject", "give a subject of 1 to %d characters", MaxSubject)
		} else {
			m.Subject = sub
		}
	}
	if c.Description != nil {
		if d := strings.TrimSpace(*c.Description); len([]rune(d)) > MaxDescription {
			fs.Add("description", "use at most %d characters", MaxDescription)
		} else {
			m.Description = d
		}
	}
	if c.Attendees != nil {
		pl, err := validateAttendees(*c.Attendees, org.Email)
		if err != nil {
			return false, nil, err
		}
		users, err := attendeeUsers(ctx, tx, m.AccountID, pl) // through tx, not beside it
		if err != nil {
			return false, nil, err
		}
		var next []store.Attendee
		for _, a := range pl {
			next = append(next, store.Attendee{Email: a.Email, Name: a.Name, UserID: users[a.Email]})
		}
		for _, old := range m.Attendees {
			if !slices.ContainsFunc(next, func(n store.Attendee) bool { return n.Email == old.Email }) {
				removed = append(removed, old.Email)
			}
		}
		m.Attendees = next
	}
	return changedTime, removed, fs.Err()
}

func validateAttendees(in []AttendeeInput, organizer string) ([]AttendeeInput, error) {
	var fs failure.Fields
	out := normalizeAttendees(in, organizer, &fs)
	return out, fs.Err()
}

// sameMeeting reports whether two versions of a meeting would send the
// same invitation.
func sameMeeting(a, b *store.Meeting) bool {
	if a.Subject != b.Subject || a.Description != b.Description || !a.Start.Equal(b.Start) || !a.End.Equal(b.End) ||
		a.RRule != b.RRule || len(a.Attendees) != len(b.Attendees) {
		return false
	}
	for i := range a.Attendees {
		if a.Attendees[i].Email != b.Attendees[i].Email || a.Attendees[i].Name != b.Attendees[i].Name {
			return false
		}
	}
	return true
}

func copyMeeting(m *store.Meeting) *store.Meeting {
	c := *m
	c.Attendees = slices.Clone(m.Attendees)
	return &c
}

// changeAll changes a single meeting, or a whole series.
func (s *Service) changeAll(ctx context.Context, tx *store.DB, m *store.Meeting, c Change) error {
	loc, err := recur.IANA(m.TimeZone)
	if err != nil {
		return err
	}
	before := copyMeeting(m)
	changedTime, removed, err := s.applyFields(ctx, tx, m, c, loc)
	if err != nil {
		return err
	}
	if sameMeeting(before, m) {
		return nil // idempotent: nothing to send
	}
	if changedTime {
		pl, err := planOf(m)
		if err != nil {
			return failure.Field("start_time", "%v", err)
		}
		if err := tx.DeleteHolds(ctx, m.AccountID, m.ID, time.Time{}); err != nil {
			return err
		}
		if err := tx.AddHolds(ctx, holdsOf(m, pl.occurrences)); err != nil {
			return err
		}
		if m.RRule != "" {
			// A new time for the series: occurrences follow the rule
			// again, as at the provider.
			if err := tx.SetOccurrences(ctx, m.AccountID, m.ID, nil); err != nil {
				return err
			}
		}
	}
	return s.commitChange(ctx, tx, m, removed, "")
}

// commitChange raises the sequence, stores the meeting and queues the
// provider update and the invitations.
func (s *Service) commitChange(ctx context.Context, tx *store.DB, m *store.Meeting, removed []string, occurrenceID string) error {
	if before, err := tx.Meeting(ctx, m.AccountID, m.ID); err == nil {
		m.Previous = snapshotOf(before)
	}
	m.Sequence++
	m.Updated = s.Now().UTC()
	m.Problem = ""
	if err := tx.UpdateMeeting(ctx, m); err != nil {
		return err
	}
	if err := tx.SetAttendees(ctx, m.AccountID, m.ID, m.Attendees); err != nil {
		return err
	}
	if len(removed) > 0 {
		if err := s.Jobs.Enqueue(ctx, tx, deliver{AccountID: m.AccountID, MeetingID: m.ID, Sequence: m.Sequence, Method: deliverCancel, Only: removed}, uniqueArgs); err != nil {
			return err
		}
	}
	switch {
	case m.Status == store.MeetingBooking:
		return nil // the create job sends the invitations with the new values
	case m.VideoID != "":
		return s.Jobs.Enqueue(ctx, tx, videoUpdate{AccountID: m.AccountID, MeetingID: m.ID, Sequence: m.Sequence, OccurrenceID: occurrenceID}, uniqueArgs)
	}
	return s.enqueueDeliver(ctx, tx, m, deliverRequest, nil)
}

func holdsOf(m *store.Meeting, starts []time.Time) []store.Hold {
	d := m.End.Sub(m.Start)
	hs := make([]store.Hold, len(starts))
	for i, st := range starts {
		hs[i] = store.Hold{AccountID: m.AccountID, OrganizerID: m.OrganizerID, MeetingID: m.ID, Start: st.UTC(), End: st.Add(d).UTC()}
	}
	return hs
}

// seriesOccurrences returns a series' occurrences: the provider's when
// recorded, else the rule's.
func (s *Service) seriesOccurrences(ctx context.Context, tx *store.DB, m *store.Meeting) ([]store.Occurrence, error) {
	occs, err := tx.Occurrences(ctx, m.AccountID, m.ID)
	if err != nil || len(occs) > 0 {
		return occs, err
	}
	pl, err := planOf(m)
	if err != nil {
		return nil, err
	}
	d := m.End.Sub(m.Start)
	for _, st := range pl.occurrences {
		occs = append(occs, store.Occurrence{ID: fmt.Sprint(st.UnixMilli()), Original: st.UTC(), Start: st.UTC(), End: st.Add(d).UTC(), Status: "available"})
	}
	if err := tx.SetOccurrences(ctx, m.AccountID, m.ID, occs); err != nil {
		return nil, err
	}
	return occs, nil
}

// changeOccurrence moves one occurrence of a series (Zoom: PATCH with
// occurrence_id; iCalendar: an override with its RECURRENCE-ID).
func (s *Service) changeOccurrence(ctx context.Context, tx *store.DB, m *store.Meeting, c Change) error {
	if c.Subject != nil || c.Description != nil || c.Attendees != nil {
		return failure.Field("scope", "the subject, description and attendees are the series': change them with scope all")
	}
	loc, err := recur.IANA(m.TimeZone)
	if err != nil {
		return err
	}
	occs, err := s.seriesOccurrences(ctx, tx, m)
	if err != nil {
		return err
	}
	i, err := findOccurrence(occs, c.Occurrence)
	if err != nil {
		return err
	}
	o := occs[i]
	if o.Status == "cancelled" {
		return failure.New(failure.Conflict, "occurrence %s is cancelled", o.ID)
	}
	start, end := o.Start, o.End
	if c.StartTime != nil {
		if start, err = ParseStart("start_time", *c.StartTime, loc); err != nil {
			return err
		}
		end = start.Add(o.End.Sub(o.Start))
	}
	if c.Duration != nil {
		if *c.Duration < MinDuration || *c.Duration > MaxDuration {
			return failure.Field("duration", "use %d to %d minutes", MinDuration, MaxDuration)
		}
		end = start.Add(time.Duration(*c.Duration) * time.Minute)
	}
	if start.Equal(o.Start) && end.Equal(o.End) {
		return nil
	}
	if err := tx.DeleteHoldAt(ctx, m.AccountID, m.ID, o.Start); err != nil {
		return err
	}
	if err := tx.AddHolds(ctx, []store.Hold{{AccountID: m.AccountID, OrganizerID: m.OrganizerID, MeetingID: m.ID, Start: start.UTC(), End: end.UTC()}}); err != nil {
		return err
	}
	occs[i].Start, occs[i].End = start.UTC(), end.UTC()
	if err := tx.SetOccurrences(ctx, m.AccountID, m.ID, occs); err != nil {
		return err
	}
	return s.commitChange(ctx, tx, m, nil, o.ID)
}

// changeFollowing splits a series: the original ends before the chosen
// occurrence, and a new series (new UID, new video meeting) continues from
// it with the change applied. Calendar clients handle RANGE=THISANDFUTURE
// unevenly, so this is what Google Calendar does too.
func (s *Service) changeFollowing(ctx context.Context, tx *store.DB, m *store.Meeting, c Change) (string, error) {
	occs, err := s.seriesOccurrences(ctx, tx, m)
	if err != nil {
		return "", err
	}
	i, err := findOccurrence(occs, c.Occurrence)
	if err != nil {
		return "", err
	}
	if i == 0 {
		return m.ID, s.changeAll(ctx, tx, m, c)
	}
	pivot := occs[i]
	rule, err := recur.ParseRule(m.RRule)
	if err != nil {
		return "", err
	}
	// The rest: a new series from the pivot, with what is left of COUNT.
	rest := rule
	if rule.Count > 0 {
		rest.Count = rule.Count - i
	}
	next := copyMeeting(m)
	next.ID = s.newID("mtg_")
	next.UID = next.ID + "@convene"
	next.SeriesOf = m.ID
	next.Start, next.End = pivot.Original, pivot.Original.Add(m.End.Sub(m.Start))
	next.RRule = rest.String()
	next.Video, next.VideoID, next.StartURL, next.Sequence, next.Problem = nil, "", "", 0, ""
	next.VideoPosted, next.VideoPosts = time.Time{}, 0 // no create sent for it yet
	next.Created, next.Updated = s.Now().UTC(), s.Now().UTC()
	loc, err := recur.IANA(m.TimeZone)
	if err != nil {
		return "", err
	}
	if _, _, err := s.applyFields(ctx, tx, next, c, loc); err != nil {
		return "", err
	}
	pl, err := planOf(next)
	if err != nil {
		return "", failure.Field("start_time", "%v", err)
	}
	// The original ends just before the pivot.
	ended := rule
	ended.Count, ended.Until, ended.UntilKind = 0, pivot.Original.Add(-time.Second).UTC(), recur.UntilUTC
	if rule.Count > 0 {
		ended.Count, ended.Until = i, time.Time{}
	}
	m.RRule = ended.String()
	if err := tx.DeleteHolds(ctx, m.AccountID, m.ID, pivot.Start); err != nil {
		return "", err
	}
	if err := tx.SetOccurrences(ctx, m.AccountID, m.ID, occs[:i]); err != nil {
		return "", err
	}
	if err := s.commitChange(ctx, tx, m, nil, ""); err != nil {
		return "", err
	}
	next.Status = store.MeetingBooked
	if next.VideoProvider != "" {
		next.Status = store.MeetingBooking
	}
	if err := tx.CreateMeeting(ctx, next); err != nil {
		return "", err
	}
	if err := tx.AddHolds(ctx, holdsOf(next, pl.occurrences)); err != nil {
		return "", err
	}
	if next.Status == store.MeetingBooking {
		return next.ID, s.Jobs.Enqueue(ctx, tx, videoCreate{AccountID: next.AccountID, MeetingID: next.ID}, uniqueArgs)
	}
	return next.ID, s.enqueueDeliver(ctx, tx, next, deliverRequest, nil)
}

// Cancel cancels a meeting (or, for a series, one occurrence or it and
// the following ones): deleted at the provider, time released, CANCEL to
// every invitee. Cancelling a cancelled meeting does nothing.
func (s *Service) Cancel(ctx context.Context, p account.Principal, id, scope, occurrence string) (*View, error) {
	if scope == "" {
		scope = ScopeAll
	}
	err := s.Store.InTx(ctx, func(tx *store.DB) error {
		m, err := s.loadForChange(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if m.Status == store.MeetingCancelled || m.Status == store.MeetingFailed {
			return nil
		}
		if m.RRule == "" && scope != ScopeAll {
			return failure.Field("scope", "meeting %s is not a series", id)
		}
		switch scope {
		case ScopeAll:
			return s.cancelAll(ctx, tx, m)
		case ScopeThis:
			return s.cancelOccurrence(ctx, tx, m, occurrence)
		case ScopeFollowing:
			return s.cancelFollowing(ctx, tx, m, occurrence)
		}
		return failure.Field("scope", "%q is not this, following or all", scope)
	})
	if err != nil {
		return nil, s.changeError(err)
	}
	return s.Get(ctx, p, id)
}

func (s *Service) cancelAll(ctx context.Context, tx *store.DB, m *store.Meeting) error {
	wasProposed := m.Status == store.MeetingProposed
	m.Status, m.Updated = store.MeetingCancelled, s.Now().UTC()
	m.Sequence++
	if err := tx.DeleteHolds(ctx, m.AccountID, m.ID, time.Time{}); err != nil {
		return err
	}
	if err := tx.UpdateMeeting(ctx, m); err != nil {
		return err
	}
	if m.VideoID != "" {
		if err := s.Jobs.Enqueue(ctx, tx, videoDelete{AccountID: m.AccountID, MeetingID: m.ID, Provider: m.VideoProvider, VideoID: m.VideoID}, uniqueArgs); err != nil {
			return err
		}
	}
	if wasProposed {
		return nil
	}
	return s.enqueueDeliver(ctx, tx, m, deliverCancel, nil)
}

func (s *Service) cancelOccurrence(ctx context.Context, tx *store.DB, m *store.Meeting, key string) error {
	occs, err := s.seriesOccurrences(ctx, tx, m)
	if err != nil {
		return err
	}
	i, err := findOccurrence(occs, key)
	if err != nil {
		return err
	}
	if occs[i].Status == "cancelled" {
		return nil
	}
	if err := tx.DeleteHoldAt(ctx, m.AccountID, m.ID, occs[i].Start); err != nil {
		return err
	}
	occs[i].Status = "cancelled"
	if err := tx.SetOccurrences(ctx, m.AccountID, m.ID, occs); err != nil {
		return err
	}
	m.Sequence++
	m.Updated = s.Now().UTC()
	if err := tx.UpdateMeeting(ctx, m); err != nil {
		return err
	}
	if m.VideoID != "" {
		if err := s.Jobs.Enqueue(ctx, tx, videoDelete{AccountID: m.AccountID, MeetingID: m.ID, Provider: m.VideoProvider, VideoID: m.VideoID, OccurrenceID: occs[i].ID}, uniqueArgs); err != nil {
			return err
		}
	}
	return s.Jobs.Enqueue(ctx, tx, deliver{AccountID: m.AccountID, MeetingID: m.ID, Sequence: m.Sequence, Method: deliverCancel, OccurrenceID: occs[i].ID}, uniqueArgs)
}

// cancelFollowing ends a series before an occurrence: the provider's
// recurrence ends there and every invitee gets the shortened series.
func (s *Service) cancelFollowing(ctx context.Context, tx *store.DB, m *store.Meeting, key string) error {
	occs, err := s.seriesOccurrences(ctx, tx, m)
	if err != nil {
		return err
	}
	i, err := findOccurrence(occs, key)
	if err != nil {
		return err
	}
	if i == 0 {
		return s.cancelAll(ctx, tx, m)
	}
	rule, err := recur.ParseRule(m.RRule)
	if err != nil {
		return err
	}
	ended := rule
	if rule.Count > 0 {
		ended.Count = i
	} else {
		ended.Until, ended.UntilKind = occs[i].Original.Add(-time.Second).UTC(), recur.UntilUTC
	}
	m.RRule = ended.String()
	if err := tx.DeleteHolds(ctx, m.AccountID, m.ID, occs[i].Start); err != nil {
		return err
	}
	if err := tx.SetOccurrences(ctx, m.AccountID, m.ID, occs[:i]); err != nil {
		return err
	}
	return s.commitChange(ctx, tx, m, nil, "")
}
