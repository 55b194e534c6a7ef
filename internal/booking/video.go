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
	jobs.Register(q, s.workNotice)
	jobs.Register(q, s.workSendMail)
	jobs.Register(q, s.workReconcile)
	jobs.Register(q, s.workReconcileAll)
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
	var p video.Provider
	var spec video.Spec
	fail := func(err error) error {
		return s.failBooking(ctx, m, s.describeVideoError(m.VideoProvider, err), func(tx *store.DB, cur *store.Meeting) error {
			// A create already sent may still make a meeting nobody will
			// use: look for it once it can no longer appear.
			return s.sweepLater(ctx, tx, cur, p, spec, 1)
		})
	}
	p, err = s.Apps.Provider(ctx, m.AccountID, organizer.Email, m.VideoProvider)
	if err != nil {
		return fail(err)
	}
	var settings video.Settings
	if len(m.Settings) > 2 {
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
	ref := video.CreateRef{Key: "meeting/" + m.ID, Exclude: s.belongsElsewhere(ctx, m),
		// Each create request is recorded before it leaves: if this
		// process dies before the answer, the next attempt knows that a
		// meeting may still appear, and until when. Those Zoom refused
		// made nothing and are no longer waited for.
		Posting: func(ctx context.Context, at time.Time) error {
			return s.Store.RecordVideoPost(ctx, m.AccountID, m.ID, at)
		},
		Refused: func(ctx context.Context) error {
			return s.Store.RecordVideoRefused(ctx, m.AccountID, m.ID)
		},
	}
	if m.VideoPosts > 0 {
		ref.Posted = m.VideoPosted
	}
	if job.Attempt > 1 || m.VideoPosts > 0 {
		// An earlier attempt may have created it and lost the answer.
		ref.Since = m.Created
	}
	vm, err := p.CreateOnce(ctx, organizer.Email, spec, ref)
	if err != nil {
		if permanentVideoError(err) {
			return fail(err)
		}
		if at, ok := video.RetryAt(err); ok {
			// A rate limit, or an earlier create that may still complete:
			// not an attempt of its own.
			return jobs.Snooze(at.Sub(s.Now()))
		}
		if job.Attempt >= job.MaxAttempts {
			return fail(err)
		}
		return err
	}
	return s.storeVideo(ctx, m.AccountID, m.ID, p, vm, func(tx *store.DB, cur *store.Meeting) error {
		// More than one create was sent: any one of them may still make a
		// meeting besides the one stored now.
		if err := s.sweepLater(ctx, tx, cur, p, spec, 2); err != nil {
			return err
		}
		if cur.Status == store.MeetingCancelled {
			// Cancelled while Zoom was making it: undo.
			return s.Jobs.Enqueue(ctx, tx, videoDelete{AccountID: cur.AccountID, MeetingID: cur.ID, Provider: cur.VideoProvider, VideoID: vm.ID}, uniqueArgs)
		}
		cur.Status = store.MeetingBooked
		return s.enqueueDeliver(ctx, tx, cur, deliverRequest, nil)
	})
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
	if full, err := p.Get(ctx, vm.ID, ""); err == nil {
		vm = full
	} else if !errors.Is(err, video.ErrNotSupported) {
		return fmt.Errorf("booking: re-read video meeting %s: %w", vm.ID, err)
	}
	if inv, err := p.Invitation(ctx, vm.ID); err == nil {
		vm.Invitation, vm.SIPLinks = inv.Text, inv.SIPLinks
	} else if !errors.Is(err, video.ErrNotSupported) {
		return fmt.Errorf("booking: invitation of %s: %w", vm.ID, err)
	}
	startURL := vm.StartURL
	vm.StartURL = ""
	blob, err := json.Marshal(vm)
	if err != nil {
		return err
	}
	sealed, err := s.Box.Seal(startURL, "meeting/"+meetingID+"/start_url")
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.DB) error {
		cur, err := tx.MeetingForUpdate(ctx, accountID, meetingID)
		if err != nil {
			return err
		}
		cur.Video, cur.VideoID, cur.StartURL, cur.Updated = blob, vm.ID, sealed, s.Now().UTC()
		if cur.RRule != "" && len(vm.Occurrences) > 0 {
			if err := s.recordOccurrences(ctx, tx, cur, vm.Occurrences); err != nil {
				return err
			}
		}
		if err := next(tx, cur); err != nil {
			return err
		}
		return tx.UpdateMeeting(ctx, cur)
	})
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
