package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
	"github.com/convene/convene/internal/video/zoom"
)

// ZoomEvent applies a verified Zoom webhook about a meeting Convene booked:
// meeting.updated (the host moved or renamed it in Zoom) and
// meeting.deleted. Echoes of Convene's own changes change nothing. The
// organizer is told, and the invitees get the change.
//
// A webhook only says that something happened: what Convene does is
// decided by what Zoom answers when asked. meeting.updated re-reads the
// meeting; meeting.deleted cancels only what Zoom confirms is gone, so a
// replayed, forged or mistaken deletion cancels nothing.
func (s *Service) ZoomEvent(ctx context.Context, ev *zoom.Event) error {
	obj, err := ev.Meeting()
	if err != nil {
		return err
	}
	if ev.Event != "meeting.deleted" && ev.Event != "meeting.updated" {
		return nil // meeting.created for every booking, and the rest: nothing to do
	}
	m, err := s.Store.MeetingByVideo(ctx, "zoom", obj.ID.String())
	if errors.Is(err, store.ErrNotFound) {
		return nil // not ours
	}
	if err != nil {
		return err
	}
	// The event must come from the Zoom account the meeting's install is
	// bound to: an install of another Convene account cannot touch it.
	in, err := s.Store.Install(ctx, m.AccountID, "zoom")
	if err != nil || in.ProviderAccountID != ev.Payload.AccountID {
		s.Log.Warn("zoom event from another Zoom account ignored", "meeting", m.ID, "zoom_account", ev.Payload.AccountID)
		return nil
	}
	switch ev.Event {
	case "meeting.deleted":
		gone, err := s.confirmZoomDeleted(ctx, m, obj)
		if err != nil || gone == nil {
			return err
		}
		return s.zoomDeleted(ctx, m, gone)
	case "meeting.updated":
		return s.zoomUpdated(ctx, m, obj)
	}
	return nil
}

// confirmZoomDeleted asks Zoom what a meeting.deleted event says is gone
// and returns the part of obj Zoom confirms: the whole meeting when Zoom
// answers 3001 (the meeting does not exist), or the occurrences Zoom lists
// as deleted or no longer lists. It returns nil when there is nothing to
// cancel: Convene already cancelled it, or Zoom still has it.
func (s *Service) confirmZoomDeleted(ctx context.Context, m *store.Meeting, obj *zoom.EventMeeting) (*zoom.EventMeeting, error) {
	if m.Status == store.MeetingCancelled {
		return nil, nil // the echo of Convene's own cancellation
	}
	occurrences := len(obj.Occurrences) > 0 && m.RRule != ""
	pending := map[string]bool{} // the event's occurrences Convene still holds
	if occurrences {
		occs, err := s.Store.Occurrences(ctx, m.AccountID, m.ID)
		if err != nil {
			return nil, err
		}
		for _, zo := range obj.Occurrences {
			for _, o := range occs {
				if o.ID == zo.OccurrenceID && o.Status != "cancelled" {
					pending[o.ID] = true
				}
			}
		}
		if len(pending) == 0 {
			return nil, nil
		}
	}
	p, err := s.zoomProvider(ctx, m)
	if err != nil {
		return nil, err
	}
	vm, err := p.Get(ctx, m.VideoID, "")
	if errors.Is(err, video.ErrNotFound) {
		// Zoom 3001: the meeting is gone, and every occurrence with it.
		return obj, nil
	}
	if err != nil {
		return nil, fmt.Errorf("booking: confirm the deletion of %s with Zoom: %w", m.VideoID, err)
	}
	if !occurrences {
		s.Log.Warn("zoom meeting.deleted not applied: the meeting still exists in Zoom", "meeting", m.ID)
		return nil, nil
	}
	// With show_previous_occurrences, Zoom lists every occurrence of the
	// series; a deleted one is marked deleted or left out.
	inZoom := map[string]string{}
	for _, o := range vm.Occurrences {
		inZoom[o.ID] = o.Status
	}
	gone := *obj
	gone.Occurrences = nil
	for _, zo := range obj.Occurrences {
		st, listed := inZoom[zo.OccurrenceID]
		if pending[zo.OccurrenceID] && (st == video.OccurrenceDeleted || (!listed && len(vm.Occurrences) > 0)) {
			gone.Occurrences = append(gone.Occurrences, zo)
		}
	}
	if len(gone.Occurrences) < len(pending) {
		s.Log.Warn("zoom meeting.deleted not applied to occurrences that still exist in Zoom", "meeting", m.ID,
			"occurrences", len(pending)-len(gone.Occurrences))
	}
	if len(gone.Occurrences) == 0 {
		return nil, nil
	}
	return &gone, nil
}

// zoomProvider is the Zoom provider of the meeting's organizer.
func (s *Service) zoomProvider(ctx context.Context, m *store.Meeting) (video.Provider, error) {
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return nil, err
	}
	return s.Apps.Provider(ctx, m.AccountID, organizer.Email, "zoom")
}

// zoomDeleted cancels in Convene what Zoom confirmed deleted: the
// occurrences obj names, or the whole meeting.
func (s *Service) zoomDeleted(ctx context.Context, m *store.Meeting, obj *zoom.EventMeeting) error {
	return s.Store.InTx(ctx, func(tx *store.DB) error {
		cur, err := tx.MeetingForUpdate(ctx, m.AccountID, m.ID)
		if err != nil || cur.Status == store.MeetingCancelled || cur.VideoID != obj.ID.String() {
			return err
		}
		if len(obj.Occurrences) > 0 && cur.RRule != "" {
			// Occurrences deleted in Zoom.
			occs, err := tx.Occurrences(ctx, cur.AccountID, cur.ID)
			if err != nil {
				return err
			}
			changed := false
			for _, zo := range obj.Occurrences {
				for i := range occs {
					if occs[i].ID == zo.OccurrenceID && occs[i].Status != "cancelled" {
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
			return s.enqueueNotice(ctx, tx, cur, noticeChanged, "An occurrence of this meeting was deleted in Zoom; Convene cancelled it for every invitee.")
		}
		cur.Status, cur.Updated = store.MeetingCancelled, s.Now().UTC()
		cur.Problem = "deleted in Zoom"
		cur.Sequence++
		if err := tx.DeleteHolds(ctx, cur.AccountID, cur.ID, time.Time{}); err != nil {
			return err
		}
		if err := tx.UpdateMeeting(ctx, cur); err != nil {
			return err
		}
		if err := s.enqueueNotice(ctx, tx, cur, noticeChanged, "This meeting was deleted in Zoom; Convene cancelled it for every invitee."); err != nil {
			return err
		}
		return s.enqueueDeliver(ctx, tx, cur, deliverCancel, nil)
	})
}

// zoomUpdated re-reads the meeting from Zoom and applies a new time,
// duration or topic.
func (s *Service) zoomUpdated(ctx context.Context, m *store.Meeting, obj *zoom.EventMeeting) error {
	if m.Status != store.MeetingBooked {
		return nil
	}
	p, err := s.zoomProvider(ctx, m)
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
			// Zoom is where the host moved it: the new time stands even if
			// it overlaps; the organizer is told.
			hs := holdsOf(cur, []time.Time{cur.Start})
			if err := tx.AddHolds(ctx, hs); err != nil {
				var oe *store.OverlapError
				if !errors.As(err, &oe) {
					return err
				}
				cur.Problem = fmt.Sprintf("moved in Zoom onto meeting %s", oe.MeetingID)
			}
			changed = true
		}
		if !changed {
			return nil // an echo of Convene's own change
		}
		cur.Sequence++
		if err := s.enqueueNotice(ctx, tx, cur, noticeChanged, "This meeting was changed in Zoom; Convene sent the change to every invitee."); err != nil {
			return err
		}
		return s.enqueueDeliver(ctx, tx, cur, deliverRequest, nil)
	})
}

// eventMeeting is a meeting.deleted object for a whole meeting.
func eventMeeting(videoID string) *zoom.EventMeeting {
	return &zoom.EventMeeting{ID: json.Number(videoID)}
}
