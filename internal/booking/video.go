package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// videoCreate creates a booked meeting's video meeting.
type videoCreate struct {
	AccountID string `json:"account_id"`
	MeetingID string `json:"meeting_id"`
	// Provider is set when a booked meeting changes provider
	// (ChangeProvider), so that this create is not taken for the first.
	Provider string `json:"provider,omitempty"`
}

// Kind implements jobs.Args.
func (videoCreate) Kind() string { return "video.create" }

// videoUpdate brings the provider's meeting in line with the stored one
// after a change, then sends the change.
type videoUpdate struct {
	AccountID    string `json:"account_id"`
	MeetingID    string `json:"meeting_id"`
	Sequence     int    `json:"sequence"`
	OccurrenceID string `json:"occurrence_id,omitempty"`
}

// Kind implements jobs.Args.
func (videoUpdate) Kind() string { return "video.update" }

// videoDelete deletes a provider's meeting, or one occurrence of it.
type videoDelete struct {
	AccountID    string `json:"account_id"`
	MeetingID    string `json:"meeting_id"`
	Provider     string `json:"provider"`
	VideoID      string `json:"video_id"`
	OccurrenceID string `json:"occurrence_id,omitempty"`
}

// Kind implements jobs.Args.
func (videoDelete) Kind() string { return "video.delete" }

// Register adds the booking jobs to the queue.
func (s *Service) Register(q *jobs.Queue) {
	jobs.Register(q, s.workVideoCreate)
	jobs.Register(q, s.workVideoUpdate)
	jobs.Register(q, s.workVideoDelete)
	jobs.Register(q, s.workVideoSweep)
	jobs.Register(q, s.workDeliver)
	jobs.Register(q, s.workAppEvent)
	jobs.Register(q, s.workNotice)
	jobs.Register(q, s.workSendMail)
	jobs.Register(q, s.workReconcile)
	jobs.Register(q, s.workReconcileAll)
	jobs.Register(q, s.workPurgeOutbox)
	q.Every(s.outboxPurgeInterval(), purgeOutbox{})
}

// permanentVideoError reports whether a provider error cannot be helped by
// retrying: the organizer or the admin must act.
func permanentVideoError(err error) bool {
	if _, ok := failure.As(err); ok {
		return true // not installed, needs re-authorization, domain not enabled
	}
	return video.IsPermanent(err) && !errors.Is(err, video.ErrRateLimited)
}

// describeVideoError says, for the organizer, why the video meeting could
// not be made.
func (s *Service) describeVideoError(provider string, err error) string {
	name := s.displayName(provider)
	switch {
	case errors.Is(err, video.ErrHostNotFound):
		return fmt.Sprintf("the organizer has no user in the account %s is installed for; ask an admin to add them in %s", name, name)
	case errors.Is(err, video.ErrNotConnected):
		return fmt.Sprintf("the organizer's own %s account is not connected (or must be connected again): connect it on the Calendars page", name)
	case errors.Is(err, video.ErrUnauthorized):
		return fmt.Sprintf("%s refused Convene's authorization; an admin must install it again", name)
	}
	var ve *video.ValidationError
	if errors.As(err, &ve) {
		return fmt.Sprintf("%s refused the meeting: %v", name, err)
	}
	if fe, ok := failure.As(err); ok {
		return fe.Detail
	}
	return fmt.Sprintf("%s failed: %v", name, err)
}

func (s *Service) workVideoCreate(ctx context.Context, job *jobs.Job[videoCreate]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer s.wake(m.ID)
	if m.Status != store.MeetingBooking || m.VideoID != "" {
		return nil // done already, or cancelled meanwhile
	}
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return err
	}
	return s.createVideo(ctx, &videoAttempt{m: m, organizer: organizer, attempt: job.Attempt, maxAttempts: job.MaxAttempts})
}

// postLead is how long after a booking commits its claimed attempt's
// create request may leave under the record made with the booking: a
// crash before it left makes the next attempt wait that much longer.
const postLead = time.Second

// videoAttempt is one attempt at a booking's video meeting: a run of its
// video.create job, or the first one, claimed by the request that booked
// the meeting and run right after its commit.
type videoAttempt struct {
	m         *store.Meeting
	organizer *store.User
	// provider and settings, when the request has them (nil: looked up,
	// decoded from m).
	provider video.Provider
	settings *video.Settings
	// attempt is the job's attempt, maxAttempts its limit.
	attempt, maxAttempts int
	// claim is the request's claim on the job: the attempt ends the job in
	// the transaction that records its outcome.
	claim *jobs.Claim
	// known is what the request read (nil in the job).
	known *known
	// posting, when set, is a create request recorded with the booking
	// (m.VideoPosted, counted in m.VideoPosts) for this attempt to send
	// before that time: the attempt's first request, sent by then, needs
	// no record of its own. Sent later, it is recorded as any other; never
	// sent, the record is withdrawn. Either way, a create request never
	// leaves without a durable record saying it may have been sent by
	// VideoPosted, which is all CreateOnce and the sweep rely on.
	posting time.Time

	// stored and video are the meeting and its video meeting as the
	// attempt stored them (nil until it did); failed is set when it
	// recorded that the booking failed.
	stored *store.Meeting
	video  *video.Meeting
	failed bool
}

// createVideo makes a's meeting's video meeting (exactly once: see
// CreateOnce and sweep.go), stores it and sends the invitations.
func (s *Service) createVideo(ctx context.Context, a *videoAttempt) error {
	m := a.m
	p := a.provider
	var spec video.Spec
	finish := func(tx *store.DB) error {
		if a.claim != nil {
			return a.claim.Done(ctx, tx)
		}
		return nil
	}
	fail := func(err error) error {
		err = s.failBooking(ctx, m, s.describeVideoError(m.VideoProvider, err), func(tx *store.DB, cur *store.Meeting) error {
			// A create already sent may still make a meeting nobody will
			// use: look for it once it can no longer appear.
			if err := s.sweepLater(ctx, tx, cur, p, spec, 1); err != nil {
				return err
			}
			return finish(tx)
		})
		a.failed = err == nil
		return err
	}
	if p == nil {
		var err error
		if p, err = s.Apps.Provider(ctx, m.AccountID, a.organizer.Email, m.VideoProvider); err != nil {
			return fail(err)
		}
	}
	var settings video.Settings
	if a.settings != nil {
		settings = *a.settings
	} else if len(m.Settings) > 2 {
		if err := json.Unmarshal(m.Settings, &settings); err != nil {
			return fail(err)
		}
	}
	spec = s.videoSpec(m, settings)
	if m.RRule != "" {
		if err := s.seriesSpec(m, &spec); err != nil {
			return fail(err)
		}
	}
	sent := false
	ref := video.CreateRef{Key: "meeting/" + m.ID, Exclude: s.belongsElsewhere(ctx, m),
		// Each create request is recorded before it leaves: if this
		// process dies before the answer, the next attempt knows that a
		// meeting may still appear, and until when. Those Zoom refused
		// made nothing and are no longer waited for.
		Posting: func(ctx context.Context, at time.Time) error {
			first := !sent
			sent = true
			if first && !a.posting.IsZero() {
				if !at.After(a.posting) {
					return nil // recorded with the booking
				}
				// Later than the booking's record says: that record
				// is this request's, moved to when it leaves. Counted
				// again, it would stand for a request never sent, and
				// a sweep would be scheduled for nothing.
				return s.Store.MoveVideoPost(ctx, m.AccountID, m.ID, at)
			}
			return s.Store.RecordVideoPost(ctx, m.AccountID, m.ID, at)
		},
		Refused: func(ctx context.Context) error {
			return s.Store.RecordVideoRefused(ctx, m.AccountID, m.ID)
		},
	}
	// The requests sent before this attempt (the one recorded for it with
	// the booking is not: it is this attempt's own).
	earlier := m.VideoPosts
	if !a.posting.IsZero() {
		earlier--
	}
	if earlier > 0 {
		ref.Posted = m.VideoPosted
	}
	if a.attempt > 1 || earlier > 0 {
		// An earlier attempt may have created it and lost the answer.
		ref.Since = m.Created
	}
	vm, err := p.CreateOnce(ctx, a.organizer.Email, spec, ref)
	if !sent && !a.posting.IsZero() {
		// The request recorded with the booking never left: no later
		// attempt need wait for it. Should this fail, one waits longer
		// than it must.
		if rerr := s.Store.RecordVideoRefused(context.WithoutCancel(ctx), m.AccountID, m.ID); rerr != nil {
			s.Log.Warn("a create request recorded but never sent still counts", "meeting", m.ID, "err", rerr)
		}
	}
	if err != nil {
		if permanentVideoError(err) {
			return fail(err)
		}
		if at, ok := video.RetryAt(err); ok {
			// A rate limit, or an earlier create that may still complete:
			// not an attempt of its own.
			return jobs.Snooze(at.Sub(s.Now()))
		}
		if a.attempt >= a.maxAttempts {
			return fail(err)
		}
		return err
	}
	// The answer to a create is the meeting in full when it names its
	// uuid and host (Zoom's does; zoom-api.md §1.6): no need to read it
	// again.
	if vm, err = s.readVideo(ctx, p, vm, vm.UUID != "" && vm.HostID != ""); err != nil {
		return err
	}
	// The invitations are written before the transaction that stores the
	// video meeting, and stored in it if the meeting is still as they say.
	var d *delivery
	if a.known != nil && m.RRule == "" {
		d = s.prepareBooked(ctx, m, a.organizer, a.known, vm)
	}
	row, err := s.videoRow(m.ID, vm)
	if err != nil {
		return err
	}
	var stored *store.Meeting
	next := func(tx *store.DB, cur *store.Meeting) error {
		// More than one create was sent: any one of them may still make a
		// meeting besides the one stored now.
		if err := s.sweepLater(ctx, tx, cur, p, spec, 2); err != nil {
			return err
		}
		if cur.Status == store.MeetingCancelled {
			// Cancelled while Zoom was making it: undo.
			if err := s.Jobs.Enqueue(ctx, tx, videoDelete{AccountID: cur.AccountID, MeetingID: cur.ID, Provider: cur.VideoProvider, VideoID: vm.ID}, uniqueArgs); err != nil {
				return err
			}
			return finish(tx)
		}
		cur.Status = store.MeetingBooked
		if d != nil && sameInvitation(d.m, cur) {
			d.fresh = false // changed meanwhile: look before writing
			if err := s.applyDelivery(ctx, tx, d); err != nil {
				return err
			}
		} else if err := s.enqueueDeliver(ctx, tx, cur, deliverRequest, nil); err != nil {
			return err
		}
		if err := finish(tx); err != nil {
			return err
		}
		stored = cur
		return nil
	}
	err = s.Store.InTx(ctx, func(tx *store.DB) error {
		stored = nil
		if d != nil {
			// Nothing changed the meeting since this request booked it
			// (the common case): one statement stores the video meeting,
			// and the invitations written for it go with it.
			booked := *m
			booked.Status, booked.Video, booked.VideoID, booked.StartURL, booked.Updated =
				store.MeetingBooked, row.blob, vm.ID, row.sealed, storedTime(s.Now())
			done, err := tx.UpdateMeetingUnchanged(ctx, &booked, m)
			if err != nil {
				return err
			}
			if done {
				// Still booking as this request booked it: nothing wrote
				// its event yet.
				d.fresh = true
				if err := s.applyDelivery(ctx, tx, d); err != nil {
					return err
				}
				stored = &booked
				return finish(tx)
			}
		}
		return s.saveVideoIn(ctx, tx, m.AccountID, m.ID, vm, row, next)
	})
	if err != nil {
		return err
	}
	// Committed: the request answers with what was stored.
	a.stored, a.video = stored, vm
	return nil
}

// prepareBooked writes the invitations of m, just booked by this request,
// once vm is stored; nil when they cannot be written now (the delivery job
// then writes them, and says why).
func (s *Service) prepareBooked(ctx context.Context, m *store.Meeting, organizer *store.User, k *known, vm *video.Meeting) *delivery {
	booked := *m
	booked.Status = store.MeetingBooked
	if vm != nil {
		booked.VideoID = vm.ID
	}
	d, err := s.prepareDelivery(ctx, &booked, organizer, deliver{AccountID: m.AccountID, MeetingID: m.ID, Sequence: m.Sequence, Method: deliverRequest}, k, vm)
	if err != nil {
		s.Log.Info("invitations left to the delivery job", "meeting", m.ID, "err", err)
		return nil
	}
	return d
}

// sameInvitation reports whether the invitation written for a says what
// one written for b would: nothing it shows changed meanwhile.
func sameInvitation(a, b *store.Meeting) bool {
	if a.Sequence != b.Sequence || a.Subject != b.Subject || a.Description != b.Description || !a.Start.Equal(b.Start) ||
		!a.End.Equal(b.End) || a.TimeZone != b.TimeZone || a.RRule != b.RRule || a.Problem != b.Problem ||
		len(a.Attendees) != len(b.Attendees) || len(b.Previous) > 0 {
		return false
	}
	for i := range a.Attendees {
		if a.Attendees[i] != b.Attendees[i] {
			return false
		}
	}
	return true
}

// belongsElsewhere tells CreateOnce which provider meetings are other
// bookings', so it never adopts one of them.
func (s *Service) belongsElsewhere(ctx context.Context, m *store.Meeting) func(id string) bool {
	return func(id string) bool {
		other, err := s.Store.MeetingByVideo(ctx, m.VideoProvider, id)
		return err == nil && other.ID != m.ID
	}
}

// seriesSpec makes spec a recurring meeting of m's rule, in the provider's
// form of it (its Rules.Recurrence; none for a provider that keeps no
// series).
func (s *Service) seriesSpec(m *store.Meeting, spec *video.Spec) error {
	pl, err := planOf(m)
	if err != nil {
		return err
	}
	spec.Type = video.RecurringFixedTime
	if rec := s.videoApp(m.VideoProvider).Rules.Recurrence; rec != nil && pl.rule != nil {
		if spec.Recurrence, err = rec(*pl.rule, pl.start); err != nil {
			return err
		}
	}
	return nil
}

// storeVideo reads the provider's meeting in full (with its invitation
// text), then stores it with the meeting row locked; then, in the same
// transaction, runs next.
func (s *Service) storeVideo(ctx context.Context, accountID, meetingID string, p video.Provider, vm *video.Meeting, next func(tx *store.DB, cur *store.Meeting) error) error {
	vm, err := s.readVideo(ctx, p, vm, false)
	if err != nil {
		return err
	}
	return s.saveVideo(ctx, accountID, meetingID, vm, next)
}

// readVideo reads the provider's meeting in full unless it is, and its
// invitation text.
func (s *Service) readVideo(ctx context.Context, p video.Provider, vm *video.Meeting, full bool) (*video.Meeting, error) {
	if !full {
		if got, err := p.Get(ctx, vm.ID, ""); err == nil {
			vm = got
		} else if !errors.Is(err, video.ErrNotSupported) {
			return nil, fmt.Errorf("booking: re-read video meeting %s: %w", vm.ID, err)
		}
	}
	if inv, err := p.Invitation(ctx, vm.ID); err == nil {
		vm.Invitation, vm.SIPLinks = inv.Text, inv.SIPLinks
	} else if !errors.Is(err, video.ErrNotSupported) {
		return nil, fmt.Errorf("booking: invitation of %s: %w", vm.ID, err)
	}
	return vm, nil
}

// saveVideo stores vm with the meeting row locked; then, in the same
// transaction, runs next.
func (s *Service) saveVideo(ctx context.Context, accountID, meetingID string, vm *video.Meeting, next func(tx *store.DB, cur *store.Meeting) error) error {
	row, err := s.videoRow(meetingID, vm)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.DB) error { return s.saveVideoIn(ctx, tx, accountID, meetingID, vm, row, next) })
}

// videoColumns are a video meeting as the meeting row keeps it: the
// meeting without its start URL, and the start URL sealed.
type videoColumns struct {
	blob   []byte
	sealed string
}

func (s *Service) videoRow(meetingID string, vm *video.Meeting) (videoColumns, error) {
	stored := *vm
	stored.StartURL = ""
	blob, err := json.Marshal(&stored)
	if err != nil {
		return videoColumns{}, err
	}
	sealed, err := s.Box.Seal(vm.StartURL, "meeting/"+meetingID+"/start_url")
	if err != nil {
		return videoColumns{}, err
	}
	return videoColumns{blob: blob, sealed: sealed}, nil
}

// saveVideoIn is saveVideo in tx.
func (s *Service) saveVideoIn(ctx context.Context, tx *store.DB, accountID, meetingID string, vm *video.Meeting, row videoColumns, next func(tx *store.DB, cur *store.Meeting) error) error {
	cur, err := tx.MeetingForUpdate(ctx, accountID, meetingID)
	if err != nil {
		return err
	}
	cur.Video, cur.VideoID, cur.StartURL, cur.Updated = row.blob, vm.ID, row.sealed, storedTime(s.Now())
	if cur.RRule != "" && len(vm.Occurrences) > 0 {
		if err := s.recordOccurrences(ctx, tx, cur, vm.Occurrences); err != nil {
			return err
		}
	}
	if err := next(tx, cur); err != nil {
		return err
	}
	return tx.UpdateMeeting(ctx, cur)
}

// recordOccurrences stores the provider's occurrences of a series. They
// must be the ones Convene expanded and holds time for: a difference is a
// bug worth a loud log line, and the provider's list wins.
func (s *Service) recordOccurrences(ctx context.Context, tx *store.DB, m *store.Meeting, vo []video.Occurrence) error {
	old, err := tx.Occurrences(ctx, m.AccountID, m.ID)
	if err != nil {
		return err
	}
	// Zoom's occurrence_id is the original start in milliseconds and stays
	// when an occurrence moves; the start does not.
	byID := map[string]store.Occurrence{}
	byStart := map[int64]store.Occurrence{}
	for _, o := range old {
		byID[o.ID] = o
		byStart[o.Original.UnixMilli()] = o
	}
	var out []store.Occurrence
	var mismatch []string
	for _, o := range vo {
		st := store.Occurrence{ID: o.ID, Original: o.StartTime.UTC(), Start: o.StartTime.UTC(),
			End: o.StartTime.Add(time.Duration(o.Duration) * time.Minute).UTC(), Status: "available"}
		if o.Duration == 0 {
			st.End = st.Start.Add(time.Duration(m.Duration) * time.Minute)
		}
		if o.Status == video.OccurrenceDeleted {
			st.Status = "cancelled"
		}
		if prev, ok := byID[o.ID]; ok {
			st.Original = prev.Original
		} else if prev, ok := byStart[st.Original.UnixMilli()]; ok {
			st.Original = prev.Original
		} else if len(old) > 0 {
			mismatch = append(mismatch, st.Start.Format(time.RFC3339))
		}
		out = append(out, st)
	}
	if len(old) > 0 && (len(mismatch) > 0 || len(old) != len(out)) {
		s.Log.Error("provider's occurrences differ from Convene's", "meeting", m.ID, "convene", len(old), "provider", len(out), "unknown", mismatch)
	}
	return tx.SetOccurrences(ctx, m.AccountID, m.ID, out)
}

// failBooking marks a meeting failed, releases its time and tells the
// organizer why: never a silent fallback to another provider; and
// then, in the same transaction, runs next (if not nil).
func (s *Service) failBooking(ctx context.Context, m *store.Meeting, problem string, next func(tx *store.DB, cur *store.Meeting) error) error {
	s.Log.Warn("booking failed", "meeting", m.ID, "problem", problem)
	err := s.Store.InTx(ctx, func(tx *store.DB) error {
		cur, err := tx.MeetingForUpdate(ctx, m.AccountID, m.ID)
		if err != nil {
			return err
		}
		if cur.Status != store.MeetingBooking {
			return nil
		}
		if next != nil {
			if err := next(tx, cur); err != nil {
				return err
			}
		}
		cur.Status, cur.Problem, cur.Updated = store.MeetingFailed, problem, s.Now().UTC()
		if err := tx.DeleteHolds(ctx, cur.AccountID, cur.ID, time.Time{}); err != nil {
			return err
		}
		if err := tx.UpdateMeeting(ctx, cur); err != nil {
			return err
		}
		return s.enqueueNotice(ctx, tx, cur, noticeFailed, problem)
	})
	if err != nil {
		return err
	}
	return nil
}

func (s *Service) workVideoDelete(ctx context.Context, job *jobs.Job[videoDelete]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if err != nil {
		return err
	}
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return err
	}
	p, err := s.Apps.Provider(ctx, m.AccountID, organizer.Email, a.Provider)
	if err != nil {
		// The app is gone or needs the admin: the meeting cannot be
		// deleted there now; the reconciler tries again later.
		s.Log.Warn("video meeting not deleted", "meeting", m.ID, "video", a.VideoID, "err", err)
		return jobs.Permanent(err)
	}
	err = p.Delete(ctx, a.VideoID, a.OccurrenceID)
	if err == nil || errors.Is(err, video.ErrNotFound) {
		return nil // deleted, now or before
	}
	if at, ok := video.RetryAt(err); ok {
		return jobs.Snooze(time.Until(at))
	}
	if permanentVideoError(err) {
		return jobs.Permanent(err)
	}
	return err
}

func (s *Service) workVideoUpdate(ctx context.Context, job *jobs.Job[videoUpdate]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if err != nil {
		return err
	}
	if m.Sequence != a.Sequence || m.Status != store.MeetingBooked {
		return nil // a later change carries its own update
	}
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return err
	}
	p, err := s.Apps.Provider(ctx, m.AccountID, organizer.Email, m.VideoProvider)
	if err != nil {
		return s.changeFailed(ctx, m, s.describeVideoError(m.VideoProvider, err))
	}
	spec := s.videoSpec(m, video.Settings{})
	if a.OccurrenceID != "" {
		occs, err := s.Store.Occurrences(ctx, m.AccountID, m.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(occs, func(o store.Occurrence) bool { return o.ID == a.OccurrenceID })
		if i < 0 {
			return jobs.Permanent(fmt.Errorf("booking: occurrence %s of %s vanished", a.OccurrenceID, m.ID))
		}
		spec = video.Spec{StartTime: occs[i].Start, Duration: int(occs[i].End.Sub(occs[i].Start) / time.Minute), Timezone: m.TimeZone}
	} else if m.RRule != "" {
		if err := s.seriesSpec(m, &spec); err != nil {
			return s.changeFailed(ctx, m, s.describeVideoError(m.VideoProvider, err))
		}
	}
	vm, err := p.Update(ctx, m.VideoID, a.OccurrenceID, spec)
	if err != nil {
		if errors.Is(err, video.ErrNotFound) {
			return s.changeFailed(ctx, m, fmt.Sprintf("the %s meeting %s no longer exists there", providerName(m.VideoProvider), m.VideoID))
		}
		if at, ok := video.RetryAt(err); ok {
			return jobs.Snooze(time.Until(at))
		}
		if permanentVideoError(err) || job.Attempt >= job.MaxAttempts {
			return s.changeFailed(ctx, m, s.describeVideoError(m.VideoProvider, err))
		}
		return err
	}
	// Re-read after every update (LESSONS "Lost links").
	return s.storeVideo(ctx, m.AccountID, m.ID, p, vm, func(tx *store.DB, cur *store.Meeting) error {
		if cur.Sequence != a.Sequence {
			return nil
		}
		return s.enqueueDeliver(ctx, tx, cur, deliverRequest, nil)
	})
}

// changeFailed records that a change could not reach the provider and tells
// the organizer; the invitations still go out, with the link as it was.
func (s *Service) changeFailed(ctx context.Context, m *store.Meeting, problem string) error {
	return s.Store.InTx(ctx, func(tx *store.DB) error {
		cur, err := tx.MeetingForUpdate(ctx, m.AccountID, m.ID)
		if err != nil {
			return err
		}
		cur.Problem, cur.Updated = problem, s.Now().UTC()
		if err := tx.UpdateMeeting(ctx, cur); err != nil {
			return err
		}
		if err := s.enqueueNotice(ctx, tx, cur, noticeFailed, problem); err != nil {
			return err
		}
		return s.enqueueDeliver(ctx, tx, cur, deliverRequest, nil)
	})
}
