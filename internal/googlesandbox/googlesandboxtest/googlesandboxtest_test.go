package googlesandboxtest

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"

	"github.com/convene/convene/internal/googlesandbox"
)

// TestStart: a client test's whole setup: a key, Google's Go client, a
// fault, the mails and the calls.
func TestStart(t *testing.T) {
	sb := Start(t, googlesandbox.Options{})
	cfg, err := google.JWTConfigFromJSON(sb.Key("example.com", gcal.CalendarEventsScope), gcal.CalendarEventsScope)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Subject = "alice@example.com"
	ctx := context.Background()
	svc, err := gcal.NewService(ctx, option.WithEndpoint(sb.CalendarURL()), option.WithTokenSource(cfg.TokenSource(ctx)))
	if err != nil {
		t.Fatal(err)
	}
	sb.Fault(429, 1, "POST", "", false)
	ev := &gcal.Event{Id: "booking0001", Summary: "x", Start: &gcal.EventDateTime{DateTime: "2030-01-07T09:00:00Z"},
		End: &gcal.EventDateTime{DateTime: "2030-01-07T10:00:00Z"}, Attendees: []*gcal.EventAttendee{{Email: "bob@example.com"}}}
	if _, err := svc.Events.Insert("primary", ev).Do(); err == nil {
		t.Fatal("the fault did not apply")
	}
	if _, err := svc.Events.Insert("primary", ev).SendUpdates("all").Do(); err != nil {
		t.Fatal(err)
	}
	if m := sb.Mails(); len(m) != 1 || m[0].To != "bob@example.com" || m[0].Kind != "invitation" {
		t.Errorf("mails %+v", m)
	}
	if c := sb.Calls(); c["events.insert"] != 2 || c["token"] != 1 {
		t.Errorf("calls %v", c)
	}
	sb.AddEvent("alice@example.com", map[string]any{"summary": "in Google", "start": map[string]any{"date": "2030-01-08"}, "end": map[string]any{"date": "2030-01-09"}})
	list, err := svc.Events.List("primary").Do()
	if err != nil || len(list.Items) != 2 {
		t.Errorf("list %v %v", list, err)
	}
}

// TestConsent: a personal account's whole flow with the helpers: a client,
// an account, the consent (one scope left unchecked), the exchange.
func TestConsent(t *testing.T) {
	sb := Start(t, googlesandbox.Options{})
	sb.Account("ann@gmail.com", "Ann")
	sb.OAuthClient("cid", "secret", "http://convene.test/callback")
	cfg := &oauth2.Config{ClientID: "cid", ClientSecret: "secret", RedirectURL: "http://convene.test/callback",
		Scopes:   []string{"openid", "email", gcal.CalendarEventsScope, gcal.CalendarReadonlyScope},
		Endpoint: oauth2.Endpoint{AuthURL: sb.AuthURL(), TokenURL: sb.TokenURL()}}
	u := sb.Consent(cfg.AuthCodeURL("st", oauth2.AccessTypeOffline), "ann@gmail.com", []string{gcal.CalendarReadonlyScope}, true)
	if u.Query().Get("state") != "st" || u.Query().Get("code") == "" {
		t.Fatalf("redirect %s", u)
	}
	tok, err := cfg.Exchange(context.Background(), u.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if sc, _ := tok.Extra("scope").(string); tok.RefreshToken == "" || sc == "" || contains(sc, gcal.CalendarEventsScope) {
		t.Errorf("token %+v scope %q", tok, sc)
	}
	if u := sb.Consent(cfg.AuthCodeURL("st2"), "ann@gmail.com", nil, false); u.Query().Get("error") != "access_denied" {
		t.Errorf("deny: %s", u)
	}
}

func contains(scopes, scope string) bool {
	for _, s := range strings.Fields(scopes) {
		if s == scope {
			return true
		}
	}
	return false
}
