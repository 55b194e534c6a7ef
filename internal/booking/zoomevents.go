package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video/zoom"
)

// ZoomEvent applies a verified Zoom webhook about a meeting Convene booked:
// meeting.updated (the host moved or renamed it in Zoom) and
// meeting.deleted. Echoes of Convene's own changes change nothing. The
// organizer is told, and the invitees get the change.
func (s *Service) ZoomEvent(ctx context.Context, ev *zoom.Event) error {
	obj, err := ev.Meeting()
	if err != nil {
		return err
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
		return s.zoomDeleted(ctx, m, obj)
	case "meeting.updated":
		return s.zoomUpdated(ctx, m, obj)
	}
	return nil
}

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
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return err
	}
	p, err := s.Apps.Provider(ctx, m.AccountID, organizer.Email, "zoom")
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
