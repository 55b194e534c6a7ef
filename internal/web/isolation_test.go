package web

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// isolationBodies are the request bodies sent to routes that take one. Each
// tries to reach the other account's things. A route with a body and no
// entry here fails the test: add one when you add a route.
var isolationBodies = map[string]func(b tenant) string{
	"POST /api/v1/setup": func(b tenant) string { return `{}` },
	"PATCH /api/v1/account": func(b tenant) string {
		return `{"name":"pwned","default_video_provider":"jitsi","branding":{"name":"pwned","accent_color":"#ff0000"}}`
	},
	"POST /api/v1/account/invitation/preview": func(b tenant) string { return `{"kind":"update","language":"fr"}` },
	"PATCH /api/v1/users/me":                  func(b tenant) string { return `{"name":"pwned","timezone":"Asia/Kolkata"}` },
	// B's page's slug: taken (the URL is public), and B's page unchanged.
	"PATCH /api/v1/users/me/booking-page": func(b tenant) string { return `{"slug":"beta-member","intro":"pwned"}` },
	"POST /api/v1/users": func(b tenant) string {
		return fmt.Sprintf(`{"email":"intruder@%s","name":"Intruder"}`, b.domain)
	},
	"POST /api/v1/tokens":             func(b tenant) string { return `{"name":"x"}` },
	"POST /api/v1/domains":            func(b tenant) string { return fmt.Sprintf(`{"domain":%q}`, b.domain) },
	"POST /api/v1/apps/{app}/install": func(b tenant) string { return fmt.Sprintf(`{"domains":[%q]}`, b.domain) },
	"POST /api/v1/meetings": func(b tenant) string {
		return fmt.Sprintf(`{"subject":"Intrusion","start_time":"2031-01-06T10:00","timezone":"Europe/Paris","duration":30,"attendees":[{"email":%q}]}`, b.memberEmail)
	},
	"PATCH /api/v1/meetings/{id}":       func(b tenant) string { return `{"subject":"pwned","start_time":"2031-01-06T11:00"}` },
	"POST /api/v1/meetings/{id}/choose": func(b tenant) string { return `{"start_time":"2031-01-06T10:00"}` },
	"PUT /api/v1/apps/{app}":            func(b tenant) string { return fmt.Sprintf(`{"domains":[%q]}`, b.domain) },
	"PUT /api/v1/users/{email}/calendar": func(b tenant) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nBEGIN:VEVENT\r\nUID:pwned\r\nDTSTAMP:20260101T000000Z\r\n" +
			"DTSTART:20310106T100000Z\r\nDTEND:20310106T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	},
	"POST /api/v1/users/{email}/calendars": func(b tenant) string { return `{"kind":"ics","url":"https://calendar.example/pwned.ics"}` },
	"PATCH /api/v1/users/{email}":          func(b tenant) string { return `{"role":"admin","disabled":true}` },
}

// TestAccountIsolationEveryRoute sends, with the tokens of account A (its
// owner and a member), a request to every authenticated route, aimed at
// account B's things (its IDs in the path, its addresses in the body), and
// proves that nothing of B is read (no identifier or secret of B in any
// answer) or changed (every row of every table with an account_id column,
// for B, is the same before and after).
func TestAccountIsolationEveryRoute(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			a := h.setupTenant("Acme", "acme.test", true)
			b := h.setupTenant("Beta", "beta.test", false)
			ctx := context.Background()
			bTokens, err := h.db.Tokens(ctx, b.accountID, b.memberID)
			if err != nil || len(bTokens) == 0 {
				t.Fatal(err)
			}
			// B has a meeting (organized by its member, with its owner
			// invited) and so mail in its outbox.
			mtg := h.expect("POST", "/api/v1/meetings", b.member, map[string]any{"subject": "B's secret plan", "start_time": "2031-01-06T10:00",
				"timezone": "Europe/Paris", "duration": 30, "video_provider": "none", "attendees": []map[string]string{{"email": "owner@" + b.domain}}}, 201)
			bMeeting := mtg["id"].(string)
			var bMails []store.Mail
			waitFor(t, func() bool {
				bMails, _ = h.db.Mails(ctx, b.accountID, bMeeting, 0)
				return len(bMails) == 2
			})
			params := map[string]string{
				"domain":   b.domain,
				"email":    b.memberEmail,
				"app":      "zoom",
				"calendar": calendar.BuiltinID(b.memberID),
				"user":     b.memberEmail,
			}
			// B received mail for its assistant.
			bInbox := h.receive(b, "B's secret inbox")
			// {id} names a token, a meeting, a mail or a received message,
			// by route.
			idFor := map[string]string{"/api/v1/tokens/": bTokens[0].ID, "/api/v1/meetings/": bMeeting, "/api/v1/outbox/": bMails[0].ID,
				"/api/v1/inbox/": bInbox, "/api/v1/users/": bTokens[0].ID}
			secrets := []string{b.accountID, b.ownerID, b.memberID, b.owner, b.member, b.memberEmail, "owner@" + b.domain, bTokens[0].ID,
				bMeeting, "B's secret plan", bMails[0].ID, bInbox, "B's secret inbox"}
			// B's member has a calendar with an event of their own.
			bp := account.Principal{AccountID: b.accountID, UserID: b.memberID, Email: b.memberEmail, Role: store.RoleMember}
			if _, err := h.api.Calendars.Import(ctx, bp, b.memberEmail, strings.NewReader("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n"+
				"BEGIN:VEVENT\r\nUID:beta-uid-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20310106T100000Z\r\nDTEND:20310106T110000Z\r\n"+
				"SUMMARY:beta-private-agenda\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")); err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, "beta-private-agenda", "beta-uid-1", calendar.BuiltinID(b.memberID))
			// B's member has a booking page, with a text of their own.
			h.expect("PATCH", "/api/v1/users/me/booking-page", b.member, map[string]any{"slug": "beta-member", "enabled": true, "intro": "beta-private-intro"}, 200)
			secrets = append(secrets, "beta-private-intro")
			bd, _ := h.db.Domain(ctx, b.accountID, b.domain)
			secrets = append(secrets, bd.TXTValue)

			// Every side effect of B's booking (calendar writes, mail) has
			// run, so that only A's requests could change B's rows.
			h.waitJobsIdle()
			before := dumpAccount(t, h.db, b.accountID)
			for _, rt := range h.api.routeTable() {
				if rt.auth != authToken {
					continue
				}
				path := pathParam.ReplaceAllStringFunc(rt.path, func(m string) string {
					name := m[1 : len(m)-1]
					v, ok := params[name]
					if name == "id" {
						for prefix, id := range idFor {
							if strings.HasPrefix(rt.path, prefix) {
								v, ok = id, true
							}
						}
					}
					if !ok {
						t.Fatalf("%s %s: no value of account B for {%s}; add it to params", rt.method, rt.path, name)
					}
					return v
				})
				var body any
				if rt.request != "" || rt.reqType != "" {
					f, ok := isolationBodies[rt.method+" "+rt.path]
					if !ok {
						t.Fatalf("%s %s takes a body but isolationBodies has none", rt.method, rt.path)
					}
					body = f(b)
				}
				for _, tok := range []string{a.owner, a.member} {
					status, raw, _ := h.doRaw(rt.method, path, tok, body)
					for _, s := range secrets {
						if strings.Contains(path, s) || strings.Contains(fmt.Sprint(body), s) {
							continue // echoing what the caller sent reveals nothing
						}
						if strings.Contains(string(raw), s) {
							t.Errorf("%s %s (%d) with A's token shows B's %q: %s", rt.method, path, status, s, raw)
						}
					}
				}
			}
			after := dumpAccount(t, h.db, b.accountID)
			if before != after {
				t.Errorf("account B changed through A's tokens:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			// Sanity: the dump sees B's rows, so the comparison can fail.
			for _, want := range []string{b.memberEmail, b.domain} {
				if !strings.Contains(before, want) {
					t.Fatalf("dump of B lacks %s:\n%s", want, before)
				}
			}
		})
	}
}

var safeIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// dumpAccount prints every row, of every table with an account_id column,
// that belongs to the account.
func dumpAccount(t *testing.T, db *store.DB, accountID string) string {
	t.Helper()
	ctx := context.Background()
	q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'account_id' ORDER BY m.name`
	if db.Engine() == "postgres" {
		q = `SELECT table_name FROM information_schema.columns WHERE column_name = 'account_id' AND table_schema = current_schema() ORDER BY table_name`
	}
	tables := queryStrings(t, db.SQL(), q)
	if len(tables) < 3 {
		t.Fatalf("found only tables %v", tables)
	}
	var out strings.Builder
	for _, table := range tables {
		if !safeIdent.MatchString(table) {
			t.Fatalf("odd table name %q", table)
		}
		rows, err := db.SQL().QueryContext(ctx, `SELECT * FROM `+table+` WHERE account_id = $1 ORDER BY 1, 2`, accountID)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%s:", table)
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				fmt.Fprintf(&out, " %s=%v", cols[i], v)
			}
			out.WriteString("\n")
		}
		rows.Close()
	}
	return out.String()
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
