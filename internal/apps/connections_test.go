package apps

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestAdminConnections: an admin lists the account's connections of an
// app in personal mode (the user, the Google address, the state, never a
// token), by page; a member may not; another account's admin sees none
// of them; an install in another mode is a Conflict.
func TestAdminConnections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newPersonalEnv(t, db)
		ctx := context.Background()
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		env.g.sub, env.g.email = "1100009", "admin.perso@gmail.com"
		if _, err := env.connect(t, env.admin); err != nil {
			t.Fatal(err)
		}
		list, err := env.s.AppConnections(ctx, env.admin, "gmeet", "", 0)
		if err != nil || len(list) != 2 {
			t.Fatalf("connections %+v %v", list, err)
		}
		if c := list[0]; c.User != "admin@acme.example" || c.Email != "admin.perso@gmail.com" || c.State != store.GrantActive || c.ConnectedAt.IsZero() {
			t.Errorf("first %+v", c)
		}
		if c := list[1]; c.User != "ann@acme.example" || c.Email != "ann.perso@gmail.com" || c.State != store.GrantActive {
			t.Errorf("second %+v", c)
		}
		b, _ := json.Marshal(list)
		if strings.Contains(string(b), "ya29") || strings.Contains(string(b), "1//") || strings.Contains(string(b), "token") {
			t.Errorf("a token in the view: %s", b)
		}
		// Pages: after the last user of the previous one.
		page, err := env.s.AppConnections(ctx, env.admin, "gmeet", "", 1)
		if err != nil || len(page) != 1 || page[0].User != "admin@acme.example" {
			t.Fatalf("first page %+v %v", page, err)
		}
		page, err = env.s.AppConnections(ctx, env.admin, "gmeet", page[0].User, 1)
		if err != nil || len(page) != 1 || page[0].User != "ann@acme.example" {
			t.Fatalf("second page %+v %v", page, err)
		}
		if page, _ = env.s.AppConnections(ctx, env.admin, "gmeet", page[0].User, 1); len(page) != 0 {
			t.Errorf("past the end %+v", page)
		}
		for _, n := range []int{-1, MaxConnectionsPage + 1} {
			_, err = env.s.AppConnections(ctx, env.admin, "gmeet", "", n)
			wantFailure(t, "limit", err, failure.Invalid, "use 1 to 200")
		}
		// A grant needing its user shows so, with the problem.
		g, _ := db.Grant(ctx, "acct", "gmeet", "u-ann")
		db.SetGrantState(ctx, "acct", "gmeet", "u-ann", g.TokenVersion, store.GrantNeedsReauthorization, "Google refused", env.now)
		list, _ = env.s.AppConnections(ctx, env.admin, "gmeet", "", 0)
		if list[1].State != store.GrantNeedsReauthorization || list[1].Problem != "Google refused" {
			t.Errorf("needing ann %+v", list[1])
		}

		_, err = env.s.AppConnections(ctx, env.ann, "gmeet", "", 0)
		wantFailure(t, "a member", err, failure.Forbidden, "only an admin")
		other := account.Principal{AccountID: "other", UserID: "other-admin", Email: "admin@other.example", Role: store.RoleAdmin}
		if list, err := env.s.AppConnections(ctx, other, "gmeet", "", 0); err != nil || len(list) != 0 {
			t.Errorf("another account's admin sees %+v %v", list, err)
		}
		// Installed in account mode (as a service account's key would).
		if _, err := db.SQL().ExecContext(ctx, `UPDATE app_installs SET mode = '' WHERE account_id = 'acct' AND app = 'gmeet'`); err != nil {
			t.Fatal(err)
		}
		_, err = env.s.AppConnections(ctx, env.admin, "gmeet", "", 0)
		wantFailure(t, "account mode", err, failure.Conflict, "not installed in personal-account mode")
		_, err = env.s.RevokeConnection(ctx, env.admin, "gmeet", "ann@acme.example")
		wantFailure(t, "revoke in account mode", err, failure.Conflict, "not installed in personal-account mode")
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); err != nil {
			t.Fatalf("ann's grant went: %v", err)
		}
		if _, err := db.SQL().ExecContext(ctx, `UPDATE app_installs SET mode = 'personal' WHERE account_id = 'acct' AND app = 'gmeet'`); err != nil {
			t.Fatal(err)
		}
		if err := env.s.Uninstall(ctx, env.admin, "gmeet"); err != nil {
			t.Fatal(err)
		}
		_, err = env.s.AppConnections(ctx, env.admin, "gmeet", "", 0)
		wantFailure(t, "not in personal mode", err, failure.Conflict, "not installed in personal-account mode")
		_, err = env.s.AppConnections(ctx, env.admin, "nope", "", 0)
		wantFailure(t, "no such app", err, failure.NotFound, "no app")
	})
}

// TestAdminRevokesConnection: an admin's revocation revokes the user's
// grant at Google and forgets it, like the user's own disconnection;
// it is audited with the admin as actor and the user as target; the user
// is told in their language. A member may not; a user of another
// account, a user without a grant and an install in another mode are
// refused and change nothing; a Google that cannot be reached still
// forgets, and the result says so.
func TestAdminRevokesConnection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newPersonalEnv(t, db)
		ctx := context.Background()
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		if _, err := env.connect(t, env.bob); err == nil {
			t.Fatal("bob connected ann's Google account")
		}
		env.g.sub, env.g.email = "2200002", "bob.perso@gmail.com"
		if _, err := env.connect(t, env.bob); err != nil {
			t.Fatal(err)
		}
		revokedBefore := len(env.g.revoked)

		_, err := env.s.RevokeConnection(ctx, env.ann, "gmeet", "ann@acme.example")
		wantFailure(t, "a member", err, failure.Forbidden, "only an admin")
		_, err = env.s.RevokeConnection(ctx, env.admin, "gmeet", "bob@other.example")
		wantFailure(t, "another account's user", err, failure.NotFound, "no user bob@other.example")
		_, err = env.s.RevokeConnection(ctx, env.admin, "gmeet", "admin@acme.example")
		wantFailure(t, "a user without a grant", err, failure.NotFound, "has no Google Workspace account connected")
		if len(env.g.revoked) != revokedBefore || len(env.userNotes) != 0 {
			t.Fatalf("a refused revocation revoked %q or told %q", env.g.revoked, env.userNotes)
		}
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); err != nil {
			t.Fatalf("ann's grant went: %v", err)
		}
		if _, err := db.Grant(ctx, "other", "gmeet", "u-bob"); err != nil {
			t.Fatalf("bob's grant went: %v", err)
		}

		if _, err := db.SQL().ExecContext(ctx, `UPDATE users SET language = 'fr' WHERE id = 'u-ann'`); err != nil {
			t.Fatal(err)
		}
		env.changes = 0
		res, err := env.s.RevokeConnection(ctx, env.admin, "gmeet", "ANN@acme.example")
		if err != nil || !res.Revoked || res.Problem != "" {
			t.Fatalf("revoke %+v %v", res, err)
		}
		if len(env.g.revoked) != revokedBefore+1 || env.g.revoked[len(env.g.revoked)-1] != "1//refresh-1" {
			t.Errorf("revoked at Google %q", env.g.revoked)
		}
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("grant kept: %v", err)
		}
		if env.changes != 1 {
			t.Errorf("calendars reconciled %d times, want 1", env.changes)
		}
		var actor, target, via, detail string
		if err := db.SQL().QueryRowContext(ctx, `SELECT actor_id, target, via, detail FROM audit_log WHERE account_id = 'acct' AND action = 'app.connection_revoked'`).
			Scan(&actor, &target, &via, &detail); err != nil {
			t.Fatal(err)
		}
		if actor != "acct-admin" || target != "ann@acme.example" || via != "api" ||
			!strings.Contains(detail, `"email":"ann.perso@gmail.com"`) || !strings.Contains(detail, `"revoked":true`) || !strings.Contains(detail, `"app":"gmeet"`) {
			t.Errorf("audit %s %s %s %s", actor, target, via, detail)
		}
		if len(env.userNotes) != 1 || !strings.HasPrefix(env.userNotes[0], "acct/u-ann: Un administrateur de votre compte (admin@acme.example) a déconnecté votre compte Google Workspace ann.perso@gmail.com") {
			t.Errorf("ann told %q", env.userNotes)
		}
		_, err = env.s.RevokeConnection(ctx, env.admin, "gmeet", "ann@acme.example")
		wantFailure(t, "again", err, failure.NotFound, "has no Google Workspace account connected")

		// Google cannot be reached: forgotten all the same, and said.
		env.g.sub, env.g.email = "3300003", "ann.other@gmail.com"
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		env.g.revokeFail = true
		res, err = env.s.RevokeConnection(ctx, env.admin, "gmeet", "ann@acme.example")
		if err != nil || res.Revoked || !strings.Contains(res.Problem, "could not be told") {
			t.Errorf("a failed revocation %+v %v", res, err)
		}
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("grant kept after a failed revocation: %v", err)
		}
		env.g.revokeFail = false

		// Not in personal mode.
		env.g.sub, env.g.email = "4400004", "ann.third@gmail.com"
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		if err := env.s.Uninstall(ctx, env.admin, "gmeet"); err != nil {
			t.Fatal(err)
		}
		_, err = env.s.RevokeConnection(ctx, env.admin, "gmeet", "ann@acme.example")
		wantFailure(t, "not in personal mode", err, failure.Conflict, "not installed in personal-account mode")
	})
}

// TestRevokedNotice: the notice is in English or French and names the
// time, so that a second revocation is a second notice.
func TestRevokedNotice(t *testing.T) {
	at := time.Date(2026, 12, 6, 1, 40, 0, 0, time.UTC)
	en := revokedNotice("en", "Google", "a@gmail.com", "admin@acme.test", at)
	fr := revokedNotice("fr", "Google", "a@gmail.com", "admin@acme.test", at)
	if !strings.HasPrefix(en, "An admin of your account (admin@acme.test) disconnected your Google account a@gmail.com from Convene on 2026-12-06 01:40 UTC") {
		t.Errorf("en: %s", en)
	}
	if !strings.Contains(fr, "a déconnecté votre compte Google a@gmail.com de Convene le 2026-12-06 01:40 UTC") {
		t.Errorf("fr: %s", fr)
	}
	if revokedNotice("en", "Google", "a@gmail.com", "admin@acme.test", at.Add(time.Minute)) == en {
		t.Errorf("two revocations, one notice")
	}
}
