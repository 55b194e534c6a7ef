package booking

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/store"
)

// TestMailStoppedWithTheJob: a mail whose writing is stopped by the job's
// context (shutdown, the job's timeout: templates render under the
// context) fails the attempt so that it is written again, and is not
// dropped as a mail that cannot be written.
func TestMailStoppedWithTheJob(t *testing.T) {
	now := time.Date(2030, 6, 3, 8, 0, 0, 0, time.UTC)
	s := &Service{Composer: InviteComposer{Now: func() time.Time { return now }}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	m := &invite.Meeting{UID: "m-1@acme.test", Summary: "Review", Start: now.Add(time.Hour), End: now.Add(90 * time.Minute), TimeZone: "UTC",
		Organizer: invite.Person{Email: "ann@acme.test"}, Attendees: []invite.Attendee{{Person: invite.Person{Email: "bob@example.org"}}}}
	letter := Letter{Method: invite.MethodRequest, Meeting: m, Recipient: invite.Person{Email: "bob@example.org"},
		From: invite.Person{Email: "assistant@acme.test"}, Account: &store.Account{ID: "acc_1", Name: "Acme", Language: "en"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.storeMails(ctx, &store.Meeting{ID: "mtg_1"}, []pendingMail{{kind: "REQUEST", key: "k", letter: letter}})
	var permanent *rivertype.JobCancelError
	if !errors.Is(err, context.Canceled) || errors.As(err, &permanent) {
		t.Errorf("stopped: %v", err)
	}
	// A mail that cannot be written is still given up at once.
	letter.Meeting = &invite.Meeting{UID: "m-2@acme.test"}
	if err := s.storeMails(context.Background(), &store.Meeting{ID: "mtg_2"}, []pendingMail{{kind: "REQUEST", key: "k2", letter: letter}}); !errors.As(err, &permanent) {
		t.Errorf("unwritable: %v", err)
	}
}

// TestConnectionNoticeSubject: a notice about a user's own connection of an
// app (NotifyUser) is titled for that user in their language, never as a
// call for an admin; an admin's notice still is.
func TestConnectionNoticeSubject(t *testing.T) {
	c := InviteComposer{Now: time.Now}
	for _, tc := range []struct{ kind, lang, want string }{
		{"connection", "en", "About your Google Workspace connection"},
		{"connection", "fr", "À propos de votre connexion Google Workspace"},
		{"admin", "en", "Convene needs an admin of Acme"},
		{"admin", "fr", "Convene a besoin d'un administrateur de Acme"},
	} {
		got, err := c.Compose(context.Background(), Letter{Account: &store.Account{Name: "Acme"}, From: invite.Person{Email: "assistant@acme.test"},
			Recipient: invite.Person{Email: "ann@acme.test"}, Meeting: &invite.Meeting{Summary: "Google Workspace"},
			Language: tc.lang, Notice: "the text", NoticeKind: tc.kind})
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != tc.want {
			t.Errorf("%s/%s: %q, want %q", tc.kind, tc.lang, got.Subject, tc.want)
		}
	}
}
