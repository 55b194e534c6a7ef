package calendar

import (
	"context"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// TestAvailabilityCountsHolds: a meeting is busy for its organizer from
// the moment it is booked (its holds), before its calendar event is
// written; another organizer's holds do not count.
func TestAvailabilityCountsHolds(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			f := newFixture(t, engine)
			f.now = mustTime("2026-03-02T06:00:00Z") // a Monday
			ann := f.user("ann@acme.test", "Europe/Paris", store.RoleMember)
			bob := f.user("bob@acme.test", "Europe/Paris", store.RoleMember)
			ctx := context.Background()
			for _, m := range []struct {
				id  string
				org *store.User
				at  string
			}{{"mtg_ann", ann, "2026-03-02T08:00:00Z"}, {"mtg_bob", bob, "2026-03-02T09:00:00Z"}} {
				start := mustTime(m.at)
				if err := f.db.CreateMeeting(ctx, &store.Meeting{ID: m.id, AccountID: m.org.AccountID, OrganizerID: m.org.ID, UID: m.id,
					Status: store.MeetingBooked, Type: "scheduled", Subject: "x", Start: start, End: start.Add(time.Hour), TimeZone: "UTC", Duration: 60,
					Created: f.now, Updated: f.now}); err != nil {
					t.Fatal(err)
				}
				if err := f.db.AddHolds(ctx, []store.Hold{{AccountID: m.org.AccountID, OrganizerID: m.org.ID, MeetingID: m.id, Start: start, End: start.Add(time.Hour)}}); err != nil {
					t.Fatal(err)
				}
			}
			res, err := f.svc.Availability(ctx, principal(ann), AvailabilityRequest{Attendees: []string{ann.Email},
				Duration: 30 * time.Minute, From: f.now, To: f.now.Add(24 * time.Hour), Location: time.UTC, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			// 09:00 Paris (08:00Z) is held by Ann's meeting until 09:00Z;
			// Bob's meeting at 09:00Z is not Ann's.
			if len(res.Slots) != 1 || !res.Slots[0].Start.Equal(mustTime("2026-03-02T09:00:00Z")) {
				t.Fatalf("first slot: %+v", res.Slots)
			}
		})
	}
}
