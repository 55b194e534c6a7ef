package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store/storetest"
)

// TestPasswordResetMailInOutbox: a password reset link is mailed through
// the outbox (listed by GET /api/v1/outbox like invitations), in the
// user's language; its raw text, which opens the user's account, is for
// the recipient or an owner only, never another admin.
func TestPasswordResetMailInOutbox(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.checkAnswers(t)
			acc := h.api.Accounts
			acc.Web = account.WebOptions{ResetKey: []byte("reset-key-for-the-web-tests-0123"), Mailer: h.booking,
				ResetURL: func(tok string) string { return "http://convene.test/reset/" + tok }}
			tn := h.setupTenant("Acme", "acme.test", true)
			adminTok, _ := h.addUser(tn, "adam", "admin")
			h.expect("PATCH", "/api/v1/users/me", adminTok, map[string]any{"language": "fr"}, 200)
			ctx := context.Background()
			for _, email := range []string{"owner@acme.test", "adam@acme.test", "owner@acme.test"} {
				if err := acc.RequestPasswordReset(ctx, email); err != nil {
					t.Fatal(err)
				}
			}
			list := h.expect("GET", "/api/v1/outbox", tn.owner, nil, 200)
			byTo := map[string]map[string]any{}
			for _, m := range list["mail"].([]any) {
				mm := m.(map[string]any)
				if mm["kind"] == account.MailPasswordReset {
					byTo[mm["to"].([]any)[0].(string)] = mm
				}
			}
			if len(byTo) != 2 || len(list["mail"].([]any)) != 2 {
				t.Fatalf("outbox: %v (one mail per user within a quarter hour)", list)
			}
			if byTo["adam@acme.test"]["subject"] != "Choisissez votre mot de passe Convene" || byTo["owner@acme.test"]["subject"] != "Set your Convene password" {
				t.Errorf("subjects: %v / %v", byTo["adam@acme.test"]["subject"], byTo["owner@acme.test"]["subject"])
			}
			ownerMail := byTo["owner@acme.test"]["id"].(string)
			adamMail := byTo["adam@acme.test"]["id"].(string)

			status, raw, hdr := h.doRaw("GET", "/api/v1/outbox/"+ownerMail+"/raw", tn.owner, nil)
			link := regexp.MustCompile(`http://convene\.test/reset/\S+`).FindString(textOf(t, raw))
			if status != 200 || hdr.Get("Content-Type") != "message/rfc822" || link == "" {
				t.Fatalf("owner reads their reset mail: %d %q", status, raw)
			}
			if _, err := acc.CheckResetToken(ctx, strings.TrimPrefix(link, "http://convene.test/reset/")); err != nil {
				t.Fatalf("the mailed link: %v", err)
			}
			// Another admin cannot read the owner's link…
			if status, body, _ := h.doRaw("GET", "/api/v1/outbox/"+ownerMail+"/raw", adminTok, nil); status != http.StatusForbidden || strings.Contains(string(body), "/reset/") {
				t.Fatalf("an admin reads the owner's reset mail: %d %s", status, body)
			}
			// … reads their own, and the owner reads it too.
			for _, tok := range []string{adminTok, tn.owner} {
				if status, body, _ := h.doRaw("GET", "/api/v1/outbox/"+adamMail+"/raw", tok, nil); status != 200 || !strings.Contains(textOf(t, body), "Bonjour adam") {
					t.Fatalf("adam's reset mail: %d %s", status, body)
				}
			}
			// A member reads no outbox at all.
			h.expect("GET", "/api/v1/outbox/"+adamMail+"/raw", tn.member, nil, http.StatusForbidden)
		})
	}
}

// textOf returns the decoded body of a single-part mail.
func textOf(t *testing.T, raw []byte) string {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("mail does not parse: %v", err)
	}
	b, err := io.ReadAll(e.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
