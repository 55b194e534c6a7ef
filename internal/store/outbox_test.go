package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestSentMailPurged: the purge empties the body of sent mail older than
// the cutoff only, a bounded number at a time, and keeps the rows; a held,
// queued or failed mail keeps its body whatever its age (it is what is
// shown or sent). The outbox view's listing never loads bodies.
func TestSentMailPurged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		old, recent := t0.Add(-48*time.Hour), t0.Add(-time.Hour)
		add := func(id, status string, sent time.Time) {
			t.Helper()
			m := &store.Mail{ID: id, AccountID: "a", MeetingID: "m", DedupeKey: id, Kind: "request", Sender: "x@acme.test",
				Recipients: []string{"y@acme.test"}, Subject: "S", MessageID: "<" + id + ">", Raw: []byte("Subject: S\r\n\r\nbody " + id),
				Status: status, Created: old, Sent: sent}
			if _, err := db.AddMail(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 3 {
			add(fmt.Sprint("old", i), store.MailSent, old)
		}
		add("recent", store.MailSent, recent)
		add("held", store.MailHeld, time.Time{})
		add("queued", store.MailQueued, time.Time{})
		add("failed", store.MailFailed, time.Time{})
		cutoff := t0.Add(-24 * time.Hour)
		if n, err := db.PurgeSentMail(ctx, cutoff, t0, 2); err != nil || n != 2 {
			t.Fatalf("first purge: %d %v, want 2 (its limit)", n, err)
		}
		if n, err := db.PurgeSentMail(ctx, cutoff, t0, 2); err != nil || n != 1 {
			t.Fatalf("second purge: %d %v, want the last old one", n, err)
		}
		if n, err := db.PurgeSentMail(ctx, cutoff, t0, 2); err != nil || n != 0 {
			t.Fatalf("third purge: %d %v, want none", n, err)
		}
		for _, id := range []string{"old0", "old1", "old2", "recent", "held", "queued", "failed"} {
			m, err := db.Mail(ctx, "a", id)
			if err != nil {
				t.Fatal(err)
			}
			purged := id[:3] == "old"
			if purged != (m.Raw == nil) || purged != m.Purged.Equal(t0) {
				t.Errorf("%s: body %q, purged %v", id, m.Raw, m.Purged)
			}
		}
		hs, err := db.MailHeaders(ctx, "a", "", 0)
		if err != nil || len(hs) != 7 {
			t.Fatalf("headers: %d %v", len(hs), err)
		}
		for _, h := range hs {
			if h.Raw != nil || h.MessageID != "<"+h.ID+">" || len(h.Recipients) != 1 {
				t.Errorf("header of %s: %+v", h.ID, h)
			}
		}
		if hs, _ := db.MailHeaders(ctx, "b", "", 0); len(hs) != 0 {
			t.Errorf("another account's headers: %v", hs)
		}
	})
}

// TestAddMailsOnce: several mails stored in one statement, each once per
// dedupe key: a key stored before (by an earlier attempt) is skipped, and
// reported so.
func TestAddMailsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		mail := func(id, key string) *store.Mail {
			return &store.Mail{ID: id, AccountID: "a", MeetingID: "m", DedupeKey: key, Kind: "request", Sender: "x@acme.test",
				Recipients: []string{key + "@acme.test"}, Subject: "S", MessageID: "<" + id + ">", Raw: []byte("body " + id),
				Status: store.MailHeld, Created: t0}
		}
		if added, err := db.AddMails(ctx, []*store.Mail{mail("m1", "k1")}); err != nil || !added[0] {
			t.Fatalf("first: %v %v", added, err)
		}
		added, err := db.AddMails(ctx, []*store.Mail{mail("m2", "k2"), mail("m3", "k1"), mail("m4", "k3")})
		if err != nil || len(added) != 3 || !added[0] || added[1] || !added[2] {
			t.Fatalf("added %v %v, want [true false true]", added, err)
		}
		if _, err := db.Mail(ctx, "a", "m3"); err == nil {
			t.Error("the mail of a taken key was stored")
		}
		if m, err := db.Mail(ctx, "a", "m4"); err != nil || string(m.Raw) != "body m4" || m.Recipients[0] != "k3@acme.test" {
			t.Errorf("m4: %+v %v", m, err)
		}
		if added, err := db.AddMails(ctx, nil); err != nil || len(added) != 0 {
			t.Errorf("none: %v %v", added, err)
		}
	})
}
