package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar/davserver"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// davStatus sends a CalDAV PROPFIND with Basic credentials to a CalDAV
// handler over the harness's store and returns the status.
func (h *harness) davStatus(email, token string) int {
	h.t.Helper()
	dav := davserver.New(h.api.Calendars, h.api.Accounts, "/dav", nil)
	req := httptest.NewRequest("PROPFIND", "/dav/"+email+"/calendars/default/", strings.NewReader(""))
	req.Header.Set("Depth", "0")
	req.SetBasicAuth(email, token)
	rec := httptest.NewRecorder()
	dav.ServeHTTP(rec, req)
	return rec.Code
}

// addUser creates a user of the tenant and returns its token and ID.
func (h *harness) addUser(tn tenant, local, role string) (token, id string) {
	h.t.Helper()
	u := h.expect("POST", "/api/v1/users", tn.owner, map[string]any{"email": local + "@" + tn.domain, "name": local, "role": role}, 201)
	return u["token"].(string), u["user"].(map[string]any)["id"].(string)
}

// TestDisableUser: a disabled user's tokens and CalDAV credentials stop
// working at once, they cannot organize a meeting (even through a request
// authenticated just before), their meetings stay, and re-enabling gives
// everything back.
func TestDisableUser(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.checkAnswers(t)
			a := h.setupTenant("Acme", "acme.test", true)
			ctx := context.Background()
			mtg := h.expect("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "Before", "start_time": "2031-01-06T10:00",
				"timezone": "Europe/Paris", "duration": 30, "video_provider": "none"}, 201)
			if s := h.davStatus(a.memberEmail, a.member); s != http.StatusMultiStatus {
				t.Fatalf("CalDAV before: %d", s)
			}
			// A principal authenticated before the change.
			stale := account.Principal{AccountID: a.accountID, UserID: a.memberID, Email: a.memberEmail, Role: store.RoleMember}

			u := h.expect("PATCH", "/api/v1/users/"+a.memberEmail, a.owner, map[string]any{"disabled": true}, 200)
			if u["disabled"] != true || u["disabled_at"] == nil {
				t.Fatalf("patched user = %v", u)
			}
			p := h.expect("GET", "/api/v1/users/me", a.member, nil, 401)
			if !strings.Contains(p["detail"].(string), "disabled") {
				t.Errorf("401 detail = %v", p["detail"])
			}
			if s := h.davStatus(a.memberEmail, a.member); s != http.StatusUnauthorized {
				t.Errorf("CalDAV of a disabled user: %d, want 401", s)
			}
			_, err := h.booking.Create(ctx, stale, booking.Request{Subject: "After", StartTime: "2031-01-07T10:00", TimeZone: "Europe/Paris",
				Duration: 30, VideoProvider: "none"})
			if failure.KindOf(err) != failure.Forbidden {
				t.Errorf("booking by a disabled organizer: %v, want forbidden", err)
			}
			// Their meeting stays.
			if got := h.expect("GET", "/api/v1/meetings/"+mtg["id"].(string), a.owner, nil, 200); got["status"] != "booked" {
				t.Errorf("meeting of a disabled user = %v", got["status"])
			}
			list := h.expect("GET", "/api/v1/users", a.owner, nil, 200)
			if !strings.Contains(fmt.Sprint(list["users"]), "disabled:true") {
				t.Errorf("list does not show the disabled user: %v", list)
			}

			// Re-enabled: everything works again.
			h.expect("PATCH", "/api/v1/users/"+a.memberEmail, a.owner, map[string]any{"disabled": false}, 200)
			h.expect("GET", "/api/v1/users/me", a.member, nil, 200)
			if s := h.davStatus(a.memberEmail, a.member); s != http.StatusMultiStatus {
				t.Errorf("CalDAV re-enabled: %d", s)
			}
			h.expect("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "Back", "start_time": "2031-01-07T10:00",
				"timezone": "Europe/Paris", "duration": 30, "video_provider": "none"}, 201)
		})
	}
}

// TestUserAccessRules: who may change whom, and the account always keeps an
// active owner, even when two owners demote each other at once.
func TestUserAccessRules(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			a := h.setupTenant("Acme", "acme.test", true)
			admin, _ := h.addUser(a, "ada", "admin")
			ownerEmail := "owner@" + a.domain

			// The last owner.
			h.expect("PATCH", "/api/v1/users/"+ownerEmail, a.owner, map[string]any{"role": "member"}, 409)
			h.expect("PATCH", "/api/v1/users/"+ownerEmail, a.owner, map[string]any{"disabled": true}, 409)
			h.expect("DELETE", "/api/v1/users/"+ownerEmail, a.owner, nil, 409)
			// An admin does not touch owners nor make one.
			h.expect("PATCH", "/api/v1/users/"+ownerEmail, admin, map[string]any{"disabled": true}, 403)
			h.expect("DELETE", "/api/v1/users/"+ownerEmail, admin, nil, 403)
			h.expect("DELETE", "/api/v1/users/"+ownerEmail+"/tokens", admin, nil, 403)
			h.expect("PATCH", "/api/v1/users/"+a.memberEmail, admin, map[string]any{"role": "owner"}, 403)
			// Members manage nobody.
			h.expect("PATCH", "/api/v1/users/ada@"+a.domain, a.member, map[string]any{"disabled": true}, 403)
			// Nobody disables or removes themselves.
			h.expect("PATCH", "/api/v1/users/ada@"+a.domain, admin, map[string]any{"disabled": true}, 409)
			h.expect("DELETE", "/api/v1/users/ada@"+a.domain, admin, nil, 409)
			// Bad input, unknown users.
			h.expect("PATCH", "/api/v1/users/"+a.memberEmail, a.owner, map[string]any{"role": "king"}, 422)
			h.expect("PATCH", "/api/v1/users/"+a.memberEmail, a.owner, map[string]any{"colour": "red"}, 400)
			h.expect("PATCH", "/api/v1/users/nobody@"+a.domain, a.owner, map[string]any{"disabled": true}, 404)
			h.expect("PATCH", "/api/v1/users/not-an-address", a.owner, map[string]any{"disabled": true}, 404)
			// An admin manages members and admins.
			if u := h.expect("PATCH", "/api/v1/users/"+a.memberEmail, admin, map[string]any{"role": "admin"}, 200); u["role"] != "admin" {
				t.Errorf("promoted = %v", u)
			}
			h.expect("PATCH", "/api/v1/users/"+a.memberEmail, admin, map[string]any{"role": "member"}, 200)

			// Two owners demote each other at once, many times: each
			// time at most one succeeds and an owner remains.
			second, _ := h.addUser(a, "sam", "member")
			samEmail := "sam@" + a.domain
			for round := 0; round < 8; round++ {
				h.expect("PATCH", "/api/v1/users/"+samEmail, a.owner, map[string]any{"role": "owner"}, 200)
				var wg sync.WaitGroup
				statuses := make([]int, 2)
				for i, c := range []struct{ tok, target string }{{a.owner, samEmail}, {second, ownerEmail}} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						statuses[i], _, _ = h.doRaw("PATCH", "/api/v1/users/"+c.target, c.tok, map[string]any{"role": "member"})
					}()
				}
				wg.Wait()
				owners, err := h.db.CountActiveOwners(context.Background(), a.accountID)
				if err != nil {
					t.Fatal(err)
				}
				if owners != 1 || !((statuses[0] == 200) != (statuses[1] == 200)) {
					t.Fatalf("round %d: statuses %v, %d active owners; want one 200 and one owner", round, statuses, owners)
				}
				if statuses[1] == 200 {
					// Sam is the owner now: give it back.
					h.expect("PATCH", "/api/v1/users/"+ownerEmail, second, map[string]any{"role": "owner"}, 200)
				}
				h.expect("PATCH", "/api/v1/users/"+samEmail, a.owner, map[string]any{"role": "member"}, 200)
			}
		})
	}
}

// TestAdminRevokesTokens: an admin lists a user's tokens and revokes one or
// all of them; a revoked token stops working at once.
func TestAdminRevokesTokens(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.checkAnswers(t)
			a := h.setupTenant("Acme", "acme.test", true)
			second := h.expect("POST", "/api/v1/tokens", a.member, map[string]any{"name": "laptop"}, 201)["secret"].(string)
			path := "/api/v1/users/" + a.memberEmail + "/tokens"
			list := h.expect("GET", path, a.owner, nil, 200)["tokens"].([]any)
			if len(list) != 2 {
				t.Fatalf("tokens = %v", list)
			}
			_, raw, _ := h.doRaw("GET", path, a.owner, nil)
			if strings.Contains(string(raw), a.member) || strings.Contains(string(raw), account.HashToken(a.member)) {
				t.Error("the token list shows a secret or its hash")
			}
			var laptop string
			for _, tk := range list {
				if tk.(map[string]any)["name"] == "laptop" {
					laptop = tk.(map[string]any)["id"].(string)
				}
			}
			h.expect("DELETE", path+"/"+laptop, a.owner, nil, 204)
			h.expect("DELETE", path+"/"+laptop, a.owner, nil, 404)
			h.expect("GET", "/api/v1/users/me", second, nil, 401)
			h.expect("GET", "/api/v1/users/me", a.member, nil, 200)
			// A member revokes nobody's tokens, not even through this route.
			h.expect("DELETE", "/api/v1/users/owner@"+a.domain+"/tokens", a.member, nil, 403)
			h.expect("GET", path, a.member, nil, 403)
			if out := h.expect("DELETE", path, a.owner, nil, 200); out["revoked"] != float64(1) {
				t.Errorf("revoke all = %v", out)
			}
			h.expect("GET", "/api/v1/users/me", a.member, nil, 401)
			if s := h.davStatus(a.memberEmail, a.member); s != http.StatusUnauthorized {
				t.Errorf("CalDAV with a revoked token: %d", s)
			}
			if out := h.expect("GET", path, a.owner, nil, 200); len(out["tokens"].([]any)) != 0 {
				t.Errorf("tokens left: %v", out)
			}
		})
	}
}

// TestRemoveUser: removing a user cancels what they organize that has not
// started (Zoom meeting deleted, CANCEL to the invitees; a series under way
// ends before its next occurrence), keeps what has started for the record
// with the organizer shown as removed, deletes their tokens and calendars
// for good, leaves them invited by address elsewhere, and frees their
// address.
func TestRemoveUser(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.checkAnswers(t)
			a := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(a)
			ctx := context.Background()
			ownerEmail := "owner@" + a.domain
			book := func(tok string, body map[string]any) string {
				t.Helper()
				return h.expect("POST", "/api/v1/meetings", tok, body, 201)["id"].(string)
			}
			attend := []map[string]string{{"email": ownerEmail}}
			// Removal happens at 2030-08-06T12:00Z (the account
			// service's clock), between these:
			past := book(a.member, map[string]any{"subject": "Past", "start_time": "2030-08-04T10:00:00Z", "timezone": "UTC", "duration": 30, "attendees": attend})
			series := book(a.member, map[string]any{"subject": "Daily", "type": "recurring", "start_time": "2030-08-05T07:00:00Z", "timezone": "UTC",
				"duration": 15, "recurrence": map[string]string{"rrule": "FREQ=DAILY;COUNT=4"}, "attendees": attend})
			future := book(a.member, map[string]any{"subject": "Future", "start_time": "2030-08-10T10:00:00Z", "timezone": "UTC", "duration": 30, "attendees": attend})
			theirs := book(a.owner, map[string]any{"subject": "Owner's", "start_time": "2030-08-12T10:00:00Z", "timezone": "UTC", "duration": 30,
				"attendees": []map[string]string{{"email": a.memberEmail}}})
			for _, id := range []string{past, series, future, theirs} {
				h.mailsOf(a.accountID, id, 2) // the first invitations went out
			}
			futureZoom := h.expect("GET", "/api/v1/meetings/"+future, a.member, nil, 200)["video"].(map[string]any)["id"]
			// Their calendars: an import into the built-in one (the
			// validator cannot read text/calendar bodies).
			validate := h.validate
			h.validate = nil
			if s, out := h.putICS("/api/v1/users/"+a.memberEmail+"/calendar", a.member, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"+
				"BEGIN:VEVENT\r\nUID:gone-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20300901T100000Z\r\nDTEND:20300901T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"); s != 200 {
				t.Fatalf("import: %d %v", s, out)
			}
			h.validate = validate
			h.api.Accounts.Now = func() time.Time { return time.Date(2030, 8, 6, 12, 0, 0, 0, time.UTC) }
			defer func() { h.api.Accounts.Now = time.Now }()

			out := h.expect("DELETE", "/api/v1/users/"+a.memberEmail, a.owner, nil, 200)
			if out["meetings_cancelled"] != float64(2) || out["tokens_revoked"] != float64(1) || out["email"] != a.memberEmail {
				t.Fatalf("removal = %v", out)
			}
			h.expect("DELETE", "/api/v1/users/"+a.memberEmail, a.owner, nil, 404)
			h.expect("GET", "/api/v1/users/me", a.member, nil, 401)
			if s := h.davStatus(a.memberEmail, a.member); s != http.StatusUnauthorized {
				t.Errorf("CalDAV of a removed user: %d", s)
			}

			// The future meeting: cancelled, deleted in Zoom, CANCEL sent.
			if m := h.expect("GET", "/api/v1/meetings/"+future, a.owner, nil, 200); m["status"] != "cancelled" {
				t.Errorf("future meeting = %v", m["status"])
			}
			waitFor(t, func() bool {
				for _, z := range h.sandboxMeetings() {
					if fmt.Sprint(z["id"]) == fmt.Sprint(futureZoom) {
						return false
					}
				}
				return true
			})
			cancel := h.mailsOf(a.accountID, future, 4)[2:]
			for _, ml := range cancel {
				if c := calendarOf(t, ml.Raw); icsProp(c.ics, "METHOD") != "CANCEL" || !strings.Contains(c.ics, a.memberEmail) {
					t.Errorf("mail after removal: %s", c.ics)
				}
			}
			// The series under way ends before its third occurrence.
			s := h.expect("GET", "/api/v1/meetings/"+series, a.owner, nil, 200)
			if s["status"] != "booked" || !strings.Contains(s["recurrence"].(map[string]any)["rrule"].(string), "COUNT=2") {
				t.Errorf("series = %v %v", s["status"], s["recurrence"])
			}
			// The past meeting stays, its organizer shown as removed.
			p := h.expect("GET", "/api/v1/meetings/"+past, a.owner, nil, 200)
			org := p["organizer"].(map[string]any)
			if p["status"] != "booked" || org["removed"] != true || org["email"] != a.memberEmail {
				t.Errorf("past meeting = %v, organizer %v", p["status"], org)
			}
			// The owner's meeting keeps them invited, by address.
			o := h.expect("GET", "/api/v1/meetings/"+theirs, a.owner, nil, 200)
			if o["status"] != "booked" || !strings.Contains(fmt.Sprint(o["attendees"]), a.memberEmail) {
				t.Errorf("owner's meeting = %v", o)
			}
			om, _ := h.db.Meeting(ctx, a.accountID, theirs)
			for _, at := range om.Attendees {
				if at.UserID == a.memberID {
					t.Errorf("still linked to the removed user: %+v", at)
				}
			}
			// No token, no calendar: not even once the cancellations'
			// jobs have run (they write to the organizer's calendar).
			waitFor(t, func() bool { return len(h.mailsOf(a.accountID, series, 4)) == 4 })
			for _, q := range []string{`SELECT count(*) FROM api_tokens WHERE user_id = $1`, `SELECT count(*) FROM calendars WHERE user_id = $1`,
				`SELECT count(*) FROM calendar_objects o JOIN calendars c ON c.id = o.calendar_id WHERE c.user_id = $1`} {
				var n int
				if err := h.db.SQL().QueryRow(q, a.memberID).Scan(&n); err != nil || n != 0 {
					t.Errorf("%s: %d, %v", q, n, err)
				}
			}
			// The address is free: a new user with it is someone else.
			list := h.expect("GET", "/api/v1/users", a.owner, nil, 200)
			if strings.Contains(fmt.Sprint(list["users"]), a.memberID) {
				t.Errorf("the removed user is still listed: %v", list)
			}
			again, _ := h.addUser(a, "member", "member")
			h.expect("GET", "/api/v1/meetings/"+past, again, nil, 404)
			if got := h.expect("GET", "/api/v1/users/me", again, nil, 200); got["id"] == a.memberID {
				t.Error("the new user took the removed user's ID")
			}
		})
	}
}
