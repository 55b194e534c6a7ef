package booking

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// VideoEvent applies a provider's verified event about a meeting Convene
// booked, as the provider's webhook decoded it (video.Event):
// EventUpdated (the host moved or renamed it at the provider) and
// EventDeleted. Echoes of Convene's own changes change nothing. The
// organizer is told, and the invitees get the change. Other kinds are not
// booking's (the marketplace applies EventDeauthorized).
//
// An event only says that something happened: what Convene does is
// decided by what the provider answers when asked. An update re-reads the
// meeting; a deletion cancels only what the provider confirms is gone, so
// a replayed, forged or mistaken deletion cancels nothing.
func (s *Service) VideoEvent(ctx context.Context, ev video.Event) error {
	if ev.Kind != video.EventUpdated && ev.Kind != video.EventDeleted {
		return nil
	}
	m, err := s.Store.MeetingByVideo(ctx, ev.App, ev.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // not ours
	}
	if err != nil {
		return err
	}
	// The event must come from the provider account the meeting's install
	// is bound to: an install of another Convene account cannot touch it.
	in, err := s.Store.Install(ctx, m.AccountID, ev.App)
	if err != nil || in.ProviderAccountID != ev.Account {
		s.Log.Warn("video event from another provider account ignored", "app", ev.App, "event", ev.Name, "meeting", m.ID, "provider_account", ev.Account)
		return nil
	}
	switch ev.Kind {
	case video.EventDeleted:
		apply, gone, err := s.confirmDeleted(ctx, m, ev.Occurrences)
		if err != nil || !apply {
			return err
		}
		return s.videoDeleted(ctx, m, ev.MeetingID, gone)
	case video.EventUpdated:
		return s.videoUpdated(ctx, m)
	}
	return nil
}

// confirmDeleted asks the provider what a deletion event says is gone
// (the meeting, or the occurrences it names) and returns what the
// provider confirms: the event's occurrences as they are when the provider
// answers that the meeting does not exist (Zoom 3001), or those it lists
// as deleted or no longer lists. apply is false when there is nothing to
// cancel: Convene already cancelled it, or the provider still has it.
func (s *Service) confirmDeleted(ctx context.Context, m *store.Meeting, named []string) (apply bool, gone []string, err error) {
	if m.Status == store.MeetingCancelled {
		return false, nil, nil // the echo of Convene's own cancellation
	}
	occurrences := len(named) > 0 && m.RRule != ""
	pending := map[string]bool{} // the event's occurrences Convene still holds
	if occurrences {
		occs, err := s.Store.Occurrences(ctx, m.AccountID, m.ID)
		if err != nil {
			return false, nil, err
		}
		for _, id := range named {
			for _, o := range occs {
				if o.ID == id && o.Status != "cancelled" {
					pending[o.ID] = true
				}
			}
		}
		if len(pending) == 0 {
			return false, nil, nil
		}
	}
	p, err := s.meetingProvider(ctx, m)
	if err != nil {
		return false, nil, err
	}
	name := s.displayName(m.VideoProvider)
	vm, err := p.Get(ctx, m.VideoID, "")
	if errors.Is(err, video.ErrNotFound) {
		// Zoom 3001: the meeting is gone, and every occurrence with it.
		return true, named, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("booking: confirm the deletion of %s with %s: %w", m.VideoID, name, err)
	}
	if !occurrences {
		s.Log.Warn("video deletion not applied: the meeting still exists at the provider", "app", m.VideoProvider, "meeting", m.ID)
		return false, nil, nil
	}
	// With show_previous_occurrences, Zoom lists every occurrence of the
	// series; a deleted one is marked deleted or left out.
	there := map[string]string{}
	for _, o := range vm.Occurrences {
		there[o.ID] = o.Status
	}
	for _, id := range named {
		st, listed := there[id]
		if pending[id] && (st == video.OccurrenceDeleted || (!listed && len(vm.Occurrences) > 0)) {
			gone = append(gone, id)
		}
	}
	if len(gone) < len(pending) {
		s.Log.Warn("video deletion not applied to occurrences that still exist at the provider", "app", m.VideoProvider, "meeting", m.ID,
			"occurrences", len(pending)-len(gone))
	}
	if len(gone) == 0 {
		return false, nil, nil
	}
	return true, gone, nil
}

// meetingProvider is the provider of the meeting, for its organizer.
func (s *Service) meetingProvider(ctx context.Context, m *store.Meeting) (video.Provider, error) {
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return nil, err
	}
	return s.Apps.Provider(ctx, m.AccountID, organizer.Email, m.VideoProvider)
}

// videoDeleted cancels in Convene what the provider confirmed deleted of
// its meeting videoID: the occurrences named, or the whole meeting.
func (s *Service) videoDeleted(ctx context.Context, m *store.Meeting, videoID string, occurrences []string) error {
	name := s.displayName(m.VideoProvider)
	return s.Store.InTx(ctx, func(tx *store.DB) error {
		cur, err := tx.MeetingForUpdate(ctx, m.AccountID, m.ID)
		if err != nil || cur.Status == store.MeetingCancelled || cur.VideoID != videoID {
			return err
		}
		if len(occurrences) > 0 && cur.RRule != "" {
			// Occurrences deleted at the provider.
			occs, err := tx.Occurrences(ctx, cur.AccountID, cur.ID)
			if err != nil {
				return err
			}
			changed := false
			for _, id := range occurrences {
				for i := range occs {
					if occs[i].ID == id && occs[i].Status != "cancelled" {
						occs[i].Status = "cancelled"
						changed = true
						if err := tx.DeleteHoldAt(ctx, cur.AccountID, cur.ID, occs[i].Start); err != nil {
							return err
						}
						if err := s.Jobs.Enqueue(ctx, tx, deliver{AccountID: cur.AccountID, MeetingID: cur.ID, Sequence: cur.Sequence + 1, Method: deliverCancel, OccurrenceID: occs[i].ID}, uniqueArgs); err != nil {
							return err
						}
					}
				}
			}
			if !changed {
				return nil
			}
			if err := tx.SetOccurrences(ctx, cur.AccountID, cur.ID, occs); err != nil {
				return err
			}
			cur.Sequence++
			cur.Updated = s.Now().UTC()
			if err := tx.UpdateMeeting(ctx, cur); err != nil {
				return err
			}
			return s.enqueueNotice(ctx, tx, cur, noticeChanged, fmt.Sprintf("An occurrence of this meeting was deleted in %s; Convene cancelled it for every invitee.", name))
		}
		cur.Status, cur.Updated = store.MeetingCancelled, s.Now().UTC()
		cur.Problem = "deleted in " + name
		cur.Sequence++
		if err := tx.DeleteHolds(ctx, cur.AccountID, cur.ID, time.Time{}); err != nil {
			return err
		}
		if err := tx.UpdateMeeting(ctx, cur); err != nil {
			return err
		}
		if err := s.enqueueNotice(ctx, tx, cur, noticeChanged, fmt.Sprintf("This meeting was deleted in %s; Convene cancelled it for every invitee.", name)); err != nil {
			return err
		}
		return s.enqueueDeliver(ctx, tx, cur, deliverCancel, nil)
	})
}

// videoUpdated re-reads the meeting from its provider and applies a new
// time, duration or topic.
func (s *Service) videoUpdated(ctx context.Context, m *store.Meeting) error {
	if m.Status != store.MeetingBooked {
		return nil
	}
	name := s.displayName(m.VideoProvider)
	p, err := s.meetingProvider(ctx, m)
	if err != nil {
		return err
	}
	vm, err := p.Get(ctx, m.VideoID, "")
	if err != nil {
		return fmt.Errorf("booking: re-read %s: %w", m.VideoID, err)
	}
	return s.storeVideo(ctx, m.AccountID, m.ID, p, vm, func(tx *store.DB, cur *store.Meeting) error {
		changed := false
		if vm.Topic != "" && vm.Topic != cur.Subject {
			cur.Subject, changed = vm.Topic, true
		}
		if cur.RRule == "" && !vm.StartTime.IsZero() && (!vm.StartTime.Equal(cur.Start) || (vm.Duration > 0 && vm.Duration != cur.Duration)) {
			d := cur.Duration
			if vm.Duration > 0 {
				d = vm.Duration
			}
			cur.Start, cur.Duration, cur.End = vm.StartTime.UTC(), d, vm.StartTime.Add(time.Duration(d)*time.Minute).UTC()
			if err := tx.DeleteHolds(ctx, cur.AccountID, cur.ID, time.Time{}); err != nil {
				return err
			}
			// The provider is where the host moved it: the new time stands
			// even if it overlaps; the organizer is told.
			hs := holdsOf(cur, []time.Time{cur.Start})
			if err := tx.AddHolds(ctx, hs); err != nil {
				var oe *store.OverlapError
				if !errors.As(err, &oe) {
					return err
				}
				cur.Problem = fmt.Sprintf("moved in %s onto meeting %s", name, oe.MeetingID)
			}
			changed = true
		}
		if !changed {
			return nil // an echo of Convene's own change
		}
		cur.Sequence++
		if err := s.enqueueNotice(ctx, tx, cur, noticeChanged, fmt.Sprintf("This meeting was changed in %s; Convene sent the change to every invitee.", name)); err != nil {
			return err
		}
		return s.enqueueDeliver(ctx, tx, cur, deliverRequest, nil)
	})
}
