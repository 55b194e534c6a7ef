package web

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// The tests of this file are driven by the route table, so that a route
// added later is covered without anyone remembering to: every route marked
// admin refuses a member, every route that changes a meeting refuses
// whoever is not its organizer (or an admin), and every route that changes
// something is classified in a list reviewed here.

// lastUsed hides the token's last use, which a request rightly touches.
var lastUsed = regexp.MustCompile(`last_used_ms=\d+`)

// accountRows is dumpAccount without the tokens' last use.
func accountRows(t *testing.T, db *store.DB, accountID string) string {
	t.Helper()
	return lastUsed.ReplaceAllString(dumpAccount(t, db, accountID), "last_used_ms=…")
}

// waitCalendars waits until a meeting's event is in n built-in calendars:
// its invitations' job, the last to touch it, is done.
func (h *harness) waitCalendars(uid string, n int) {
	h.t.Helper()
	waitFor(h.t, func() bool {
		var got int
		err := h.db.SQL().QueryRow(`SELECT count(*) FROM calendar_objects WHERE uid = $1`, uid).Scan(&got)
		return err == nil && got == n
	})
}

// lineDiff lists the lines only in before (-) and only in after (+).
func lineDiff(before, after string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	b, a := in(before), in(after)
	var out []string
	for _, l := range strings.Split(before, "\n") {
		if !a[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(after, "\n") {
		if !b[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// fillPath puts values in a route's path parameters; {id} takes the value
// of the first prefix of ids that the path starts with.
func fillPath(t *testing.T, rt route, params map[string]string, ids map[string]string) string {
	t.Helper()
	return pathParam.ReplaceAllStringFunc(rt.path, func(m string) string {
		name := m[1 : len(m)-1]
		if name == "id" {
			best := ""
			for prefix := range ids {
				if strings.HasPrefix(rt.path, prefix) && len(prefix) > len(best) {
					best = prefix
				}
			}
			if best == "" {
				t.Fatalf("%s %s: no fixture for {id}; add one", rt.method, rt.path)
			}
			return ids[best]
		}
		v, ok := params[name]
		if !ok {
			t.Fatalf("%s %s: no fixture for {%s}; add one", rt.method, rt.path, name)
		}
		return v
	})
}

// bodyFor is a minimal, valid-looking body for a route of tenant tn: the
// isolation test's bodies aimed at tn itself, else an empty object.
func bodyFor(rt route, tn tenant) any {
	if rt.request == "" && rt.reqType == "" {
		return nil
	}
	if f, ok := isolationBodies[rt.method+" "+rt.path]; ok {
		return f(tn)
	}
	return `{}`
}

// TestAdminRoutesRefuseMembers sends, with a member's token, a request to
// every route marked admin, aimed at the member's own account (its domain,
// its installed app, its mail, another member's tokens), and checks that
// each answers 403 and that no row of the account changed.
func TestAdminRoutesRefuseMembers(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			a := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(a)
			ctx := context.Background()
			victim, victimID := h.addUser(a, "victim", "member")
			h.expect("POST", "/api/v1/tokens", victim, map[string]any{"name": "phone"}, 201)
			victimTokens, err := h.db.Tokens(ctx, a.accountID, victimID)
			if err != nil || len(victimTokens) != 2 {
				t.Fatalf("victim's tokens: %v %v", victimTokens, err)
			}
			mtg := h.expect("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "Plan", "start_time": "2031-01-06T10:00",
				"timezone": "Europe/Paris", "duration": 30, "attendees": []map[string]string{{"email": "owner@" + a.domain}}}, 201)
			mails := h.mailsOf(a.accountID, mtg["id"].(string), 2)
			h.waitCalendars(mtg["uid"].(string), 2)
			received := h.receive(a, "Plan by mail")
			h.waitJobsIdle()
			params := map[string]string{"domain": a.domain, "email": "victim@" + a.domain, "app": "zoom", "user": "victim@" + a.domain}
			ids := map[string]string{"/api/v1/outbox/": mails[0].ID, "/api/v1/users/": victimTokens[0].ID,
				"/api/v1/tokens/": victimTokens[0].ID, "/api/v1/meetings/": mtg["id"].(string), "/api/v1/inbox/": received}

			h.expect("GET", "/api/v1/users/me", a.member, nil, 200) // the token's first use is behind us
			before := accountRows(t, h.db, a.accountID)
			var checked []string
			for _, rt := range h.api.routeTable() {
				if !rt.admin {
					continue
				}
				if rt.auth != authToken {
					t.Errorf("%s %s is marked admin but takes no token", rt.method, rt.path)
					continue
				}
				path := fillPath(t, rt, params, ids)
				status, raw, _ := h.doRaw(rt.method, path, a.member, bodyFor(rt, a))
				if status != 403 {
					t.Errorf("%s %s with a member's token: %d, want 403: %s", rt.method, path, status, raw)
				}
				checked = append(checked, rt.method+" "+rt.path)
			}
			if after := accountRows(t, h.db, a.accountID); after != before {
				t.Errorf("admin routes refused to a member changed the account:\n%s", lineDiff(before, after))
			}
			// The routes the review found unguarded are among them.
			for _, want := range []string{"POST /api/v1/apps/{app}/install", "PUT /api/v1/apps/{app}", "GET /api/v1/outbox",
				"GET /api/v1/outbox/{id}/raw", "POST /api/v1/domains/{domain}/verify", "DELETE /api/v1/domains/{domain}"} {
				if !strings.Contains(strings.Join(checked, "\n")+"\n", want+"\n") {
					t.Errorf("%s is not marked admin in the route table", want)
				}
			}
			// The fixtures were real: the owner gets past the check.
			if s, raw, _ := h.doRaw("GET", "/api/v1/outbox/"+mails[0].ID+"/raw", a.owner, nil); s != 200 {
				t.Errorf("the owner reading the mail: %d %s", s, raw)
			}
		})
	}
}

// TestMeetingChangesOrganizerOnly sends every route that changes a meeting
// ({id} under /api/v1/meetings, any method but GET) at a booked meeting and
// at a proposal, as an attendee who is a user of the account but not the
// organizer, and as a bystander member. The policy: the attendee, who can
// see the meeting, gets 403; the bystander gets 404, as for a meeting that
// does not exist (nothing tells them it does); nothing changes. The
// organizer and the account's admins may change it.
func TestMeetingChangesOrganizerOnly(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			a := h.setupTenant("Acme", "acme.test", true)
			attendee, _ := h.addUser(a, "attendee", "member")
			bystander, _ := h.addUser(a, "bystander", "member")
			invited := []map[string]string{{"email": "attendee@" + a.domain}}
			booked := h.expect("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "Booked", "start_time": "2031-01-06T10:00",
				"timezone": "Europe/Paris", "duration": 30, "video_provider": "none", "attendees": invited}, 201)
			proposed := h.expect("POST", "/api/v1/meetings", a.member, map[string]any{"subject": "Proposed", "timezone": "Europe/Paris",
				"duration": 30, "video_provider": "none", "window": map[string]string{"from": "2031-02-03T00:00:00Z", "to": "2031-02-08T00:00:00Z"},
				"attendees": append(invited, map[string]string{"email": "guest@partner.example"})}, 201)
			if proposed["status"] != "proposed" {
				t.Fatalf("proposal = %v", proposed)
			}
			option := proposed["options"].([]any)[0].(map[string]any)["start_time"].(string)
			h.mailsOf(a.accountID, booked["id"].(string), 2)
			h.waitCalendars(booked["uid"].(string), 2)
			for _, tok := range []string{attendee, bystander} {
				h.expect("GET", "/api/v1/users/me", tok, nil, 200) // first use of the tokens
			}

			before := accountRows(t, h.db, a.accountID)
			var routes []route
			for _, rt := range h.api.routeTable() {
				if rt.method != "GET" && strings.HasPrefix(rt.path, "/api/v1/meetings/{id}") {
					routes = append(routes, rt)
				}
			}
			if len(routes) < 3 {
				t.Fatalf("only %d meeting-changing routes found", len(routes))
			}
			body := func(rt route) any {
				if strings.HasSuffix(rt.path, "/choose") {
					return map[string]any{"start_time": option}
				}
				return bodyFor(rt, a)
			}
			for _, rt := range routes {
				for _, m := range []map[string]any{booked, proposed} {
					path := strings.Replace(rt.path, "{id}", m["id"].(string), 1)
					for _, who := range []struct {
						name, token string
						want        int
					}{{"an attendee", attendee, 403}, {"a bystander", bystander, 404}} {
						status, raw, _ := h.doRaw(rt.method, path, who.token, body(rt))
						if status != who.want {
							t.Errorf("%s %s (%s) by %s: %d, want %d: %s", rt.method, rt.path, m["status"], who.name, status, who.want, raw)
						}
					}
				}
			}
			if after := accountRows(t, h.db, a.accountID); after != before {
				t.Errorf("refused changes changed the account:\n%s", lineDiff(before, after))
			}
			// The organizer and an admin get through.
			h.expect("POST", "/api/v1/meetings/"+proposed["id"].(string)+"/choose", a.member, map[string]any{"start_time": option}, 200)
			h.expect("PATCH", "/api/v1/meetings/"+booked["id"].(string), a.owner, map[string]any{"subject": "Renamed by an admin"}, 200)
			h.expect("DELETE", "/api/v1/meetings/"+booked["id"].(string), a.member, nil, 200)
		})
	}
}

// mutatingRoutes classifies every route under /api/v1 that is not a GET,
// reviewed by hand: a route added without an entry fails the test below,
// which makes its author decide who may call it. "account" routes change
// what the whole account shares (settings, domains, apps, users, others'
// tokens) and must be marked admin.
var mutatingRoutes = map[string]string{
	"POST /api/v1/setup":                                   "operator: once without a token, then with the operator token",
	"PATCH /api/v1/account":                                "account",
	"POST /api/v1/account/invitation/preview":              "renders: changes nothing (admin-only by issue 8 item 2)",
	"PATCH /api/v1/users/me":                               "self",
	"POST /api/v1/users/me/apps/{app}/connect":             "self",
	"DELETE /api/v1/users/me/apps/{app}/connection":        "self",
	"PATCH /api/v1/users/me/booking-page":                  "self",
	"POST /api/v1/users":                                   "account",
	"PATCH /api/v1/users/{email}":                          "account",
	"DELETE /api/v1/users/{email}":                         "account",
	"DELETE /api/v1/users/{email}/tokens":                  "account",
	"DELETE /api/v1/users/{email}/tokens/{id}":             "account",
	"POST /api/v1/tokens":                                  "self",
	"DELETE /api/v1/tokens/{id}":                           "self",
	"POST /api/v1/domains":                                 "account",
	"POST /api/v1/domains/{domain}/verify":                 "account",
	"DELETE /api/v1/domains/{domain}":                      "account",
	"POST /api/v1/domains/{domain}/dkim/rotate":            "account",
	"POST /api/v1/domains/{domain}/dkim/activate":          "account",
	"DELETE /api/v1/domains/{domain}/dkim/pending":         "account",
	"POST /api/v1/apps/{app}/pre-approve":                  "account",
	"POST /api/v1/apps/{app}/install":                      "account",
	"PUT /api/v1/apps/{app}":                               "account",
	"DELETE /api/v1/apps/{app}":                            "account",
	"DELETE /api/v1/apps/{app}/connections/{user}":         "account",
	"POST /api/v1/meetings":                                "self: the caller organizes",
	"PATCH /api/v1/meetings/{id}":                          "organizer",
	"DELETE /api/v1/meetings/{id}":                         "organizer",
	"POST /api/v1/meetings/{id}/choose":                    "organizer",
	"PUT /api/v1/users/{email}/calendar":                   "the user, or an admin",
	"POST /api/v1/users/{email}/calendars":                 "the user, or an admin",
	"POST /api/v1/users/{email}/calendars/{calendar}/sync": "the user, or an admin",
	"DELETE /api/v1/users/{email}/calendars/{calendar}":    "the user, or an admin",
}

// TestMutatingRoutesReviewed: every route under /api/v1 that changes
// something is in mutatingRoutes, and those that change the account are
// marked admin (and so covered by TestAdminRoutesRefuseMembers);
// "organizer" routes are covered by TestMeetingChangesOrganizerOnly.
func TestMutatingRoutesReviewed(t *testing.T) {
	s := &Server{}
	table := map[string]route{}
	for _, rt := range s.routeTable() {
		table[rt.method+" "+rt.path] = rt
		if rt.method == "GET" || !strings.HasPrefix(rt.path, "/api/v1/") {
			continue
		}
		class, ok := mutatingRoutes[rt.method+" "+rt.path]
		switch {
		case !ok:
			t.Errorf("%s %s changes something but is not in mutatingRoutes: decide who may call it and add it", rt.method, rt.path)
		case class == "account" && !rt.admin:
			t.Errorf("%s %s changes the account but is not marked admin", rt.method, rt.path)
		case class == "organizer" && !strings.HasPrefix(rt.path, "/api/v1/meetings/{id}"):
			t.Errorf("%s %s: organizer routes must be under /api/v1/meetings/{id} to be tested", rt.method, rt.path)
		}
	}
	for k := range mutatingRoutes {
		if _, ok := table[k]; !ok {
			t.Errorf("mutatingRoutes lists %s, which is not served", k)
		}
	}
}
