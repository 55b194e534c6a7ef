package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

func TestAssistantThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2031, 3, 3, 8, 0, 0, 0, time.UTC)
		for _, id := range []string{"acc_1", "acc_2"} {
			if err := db.CreateAccount(ctx, &store.Account{ID: id, Name: id, Language: "en", Created: now}); err != nil {
				t.Fatal(err)
			}
		}
		th := &store.Thread{ID: "thr_1", AccountID: "acc_1", OrganizerID: "usr_1", State: store.ThreadProposed, Data: []byte(`{"subject":"x"}`),
			Due: now.Add(time.Hour), Created: now, Updated: now}
		if err := db.CreateThread(ctx, th); err != nil {
			t.Fatal(err)
		}
		if err := db.AddThreadKeys(ctx, "acc_1", "thr_1", []string{"a@x", "b@x", "a@x", ""}); err != nil {
			t.Fatal(err)
		}
		// Found by any key, in its account only.
		if got, err := db.ThreadsByKeys(ctx, "acc_1", []string{"zz@x", "b@x"}, 10); err != nil || len(got) != 1 || got[0].ID != "thr_1" {
			t.Errorf("by keys: %v %v", got, err)
		}
		if got, _ := db.ThreadsByKeys(ctx, "acc_2", []string{"a@x"}, 10); len(got) != 0 {
			t.Errorf("another account's thread found: %v", got)
		}
		if got, _ := db.ThreadsByKeys(ctx, "acc_1", nil, 10); len(got) != 0 {
			t.Errorf("no keys: %v", got)
		}
		// Due.
		if got, _ := db.DueThreads(ctx, now, 10); len(got) != 0 {
			t.Errorf("due early: %v", got)
		}
		if got, _ := db.DueThreads(ctx, now.Add(time.Hour), 10); len(got) != 1 {
			t.Errorf("not due: %v", got)
		}
		// The lease: one owner at a time, free again when it runs out.
		if ok, err := db.LeaseThread(ctx, "acc_1", "thr_1", "w1", now, now.Add(time.Minute)); !ok || err != nil {
			t.Fatalf("lease: %v %v", ok, err)
		}
		if ok, _ := db.LeaseThread(ctx, "acc_1", "thr_1", "w2", now.Add(30*time.Second), now.Add(2*time.Minute)); ok {
			t.Error("two owners")
		}
		if ok, _ := db.LeaseThread(ctx, "acc_1", "thr_1", "w1", now.Add(30*time.Second), now.Add(2*time.Minute)); !ok {
			t.Error("the owner cannot renew")
		}
		if ok, _ := db.LeaseThread(ctx, "acc_2", "thr_1", "w9", now.Add(time.Hour), now.Add(2*time.Hour)); ok {
			t.Error("leased through another account")
		}
		if ok, _ := db.LeaseThread(ctx, "acc_1", "thr_1", "w2", now.Add(3*time.Minute), now.Add(4*time.Minute)); !ok {
			t.Error("a lease that ran out is not free")
		}
		// Update: only from the version read; it releases the lease.
		cur, err := db.Thread(ctx, "acc_1", "thr_1")
		if err != nil || cur.LeaseOwner != "w2" {
			t.Fatalf("%+v %v", cur, err)
		}
		stale := *cur
		cur.State, cur.MeetingID, cur.Updated = store.ThreadBooked, "mtg_1", now.Add(time.Hour)
		if err := db.UpdateThread(ctx, cur); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateThread(ctx, &stale); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a stale update: %v", err)
		}
		got, _ := db.Thread(ctx, "acc_1", "thr_1")
		if got.State != store.ThreadBooked || got.Version != 1 || got.LeaseOwner != "" {
			t.Errorf("after update: %+v", got)
		}
		if m, err := db.ThreadOfMeeting(ctx, "acc_1", "mtg_1"); err != nil || m.ID != "thr_1" {
			t.Errorf("of meeting: %v %v", m, err)
		}
		if _, err := db.ThreadOfMeeting(ctx, "acc_2", "mtg_1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("of another account's meeting: %v", err)
		}
	})
}

func TestAssistantSteps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2031, 3, 3, 8, 0, 0, 0, time.UTC)
		if err := db.CreateAccount(ctx, &store.Account{ID: "acc_1", Name: "a", Language: "en", Created: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Step(ctx, "acc_1", "in_1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no step yet: %v", err)
		}
		planned := &store.Step{AccountID: "acc_1", ID: "in_1", Status: store.StepPlanned, Plan: []byte(`{"action":"move"}`), Created: now}
		if err := db.PutStep(ctx, planned); err != nil {
			t.Fatal(err)
		}
		if err := db.PutStep(ctx, planned); err != nil {
			t.Fatalf("a planned step is replaced: %v", err)
		}
		done := &store.Step{AccountID: "acc_1", ID: "in_1", ThreadID: "thr_1", Status: store.StepDone, Outcome: "processed", Detail: "moved", Created: now, Done: now}
		if err := db.PutStep(ctx, done); err != nil {
			t.Fatal(err)
		}
		// Done is final: a second "done" (a retry that slipped through)
		// fails, and the transaction that carries it rolls back.
		if err := db.PutStep(ctx, done); !errors.Is(err, store.ErrConflict) {
			t.Errorf("done twice: %v", err)
		}
		got, err := db.Step(ctx, "acc_1", "in_1")
		if err != nil || got.Status != store.StepDone || got.Detail != "moved" || string(got.Plan) != `{}` && string(got.Plan) != "" {
			t.Errorf("%+v %v", got, err)
		}
	})
}
