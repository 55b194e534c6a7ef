package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// RecordVideoPost keeps the time of the last create request and counts
// them, RecordVideoRefused uncounts refused ones; UpdateMeeting never
// overwrites them; another account cannot touch them.
func TestRecordVideoPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedAccount(t, db, "b")
		seedUser(t, db, "a", "org", "org@example.com")
		if err := db.InTx(ctx, func(tx *store.DB) error { return holdMeeting(ctx, tx, "m1", t0) }); err != nil {
			t.Fatal(err)
		}
		m, err := db.Meeting(ctx, "a", "m1")
		if err != nil || !m.VideoPosted.IsZero() || m.VideoPosts != 0 {
			t.Fatalf("new meeting: %v %v %d", err, m.VideoPosted, m.VideoPosts)
		}
		first, second := t0.Add(1500*time.Millisecond), t0.Add(40*time.Second)
		for _, at := range []time.Time{first, second} {
			if err := db.RecordVideoPost(ctx, "a", "m1", at); err != nil {
				t.Fatal(err)
			}
		}
		m, _ = db.MeetingForUpdate(ctx, "a", "m1")
		m.Subject = "changed"
		if err := db.UpdateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		m, _ = db.Meeting(ctx, "a", "m1")
		if !m.VideoPosted.Equal(second) || m.VideoPosts != 2 || m.Subject != "changed" {
			t.Errorf("after two posts: %v %d %q", m.VideoPosted, m.VideoPosts, m.Subject)
		}
		if err := db.RecordVideoPost(ctx, "b", "m1", second); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another account's meeting: %v", err)
		}
		// A refused request made nothing: one fewer that may have made a
		// meeting; the time of the last one stays; never below zero.
		for range 3 {
			db.RecordVideoRefused(ctx, "a", "m1")
		}
		m, _ = db.Meeting(ctx, "a", "m1")
		if !m.VideoPosted.Equal(second) || m.VideoPosts != 0 {
			t.Errorf("after refusals: %v %d", m.VideoPosted, m.VideoPosts)
		}
		if err := db.RecordVideoRefused(ctx, "b", "m1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another account's meeting: %v", err)
		}
		// The request recorded with the booking leaves late: its record
		// moves, and counts once.
		third := t0.Add(time.Minute)
		db.RecordVideoPost(ctx, "a", "m1", second)
		if err := db.MoveVideoPost(ctx, "a", "m1", third); err != nil {
			t.Fatal(err)
		}
		m, _ = db.Meeting(ctx, "a", "m1")
		if !m.VideoPosted.Equal(third) || m.VideoPosts != 1 {
			t.Errorf("after a move: %v %d, want %v and 1", m.VideoPosted, m.VideoPosts, third)
		}
		// With no record left to move (withdrawn meanwhile), the move
		// is a record of its own: a request leaves, so one counts.
		db.RecordVideoRefused(ctx, "a", "m1")
		if err := db.MoveVideoPost(ctx, "a", "m1", third); err != nil {
			t.Fatal(err)
		}
		if m, _ = db.Meeting(ctx, "a", "m1"); m.VideoPosts != 1 {
			t.Errorf("a move with no record: %d requests counted, want 1", m.VideoPosts)
		}
		if err := db.MoveVideoPost(ctx, "b", "m1", third); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another account's meeting: %v", err)
		}
	})
}
