package jitsi

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/video"
)

var now = time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)

func TestCreateLink(t *testing.T) {
	tests := []struct {
		name string
		p    Provider
		want string
	}{
		{"default server", Provider{Rand: bytes.NewReader(make([]byte, 15))}, "https://meet.jit.si/convene-aaaaaaaaaaaaaaaaaaaaaaaa"},
		{"own server with a path", Provider{BaseURL: "https://video.example.com/meet/", Prefix: "Acme", Rand: bytes.NewReader(bytes.Repeat([]byte{0xff}, 15))},
			"https://video.example.com/meet/Acme777777777777777777777777"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p.Now = func() time.Time { return now }
			paris, _ := time.LoadLocation("Europe/Paris")
			m, err := tt.p.Create(context.Background(), "alice@example.com", video.Spec{
				Topic: "Design review", StartTime: time.Date(2030, 3, 31, 10, 0, 0, 0, paris), Duration: 45, Agenda: video.String("Q2"),
			})
			if err != nil {
				t.Fatal(err)
			}
			if m.JoinURL != tt.want || m.StartURL != tt.want || m.Provider != "jitsi" || !strings.HasSuffix(tt.want, "/"+m.ID) {
				t.Errorf("meeting %+v", m)
			}
			if m.Topic != "Design review" || m.Duration != 45 || m.Timezone != "Europe/Paris" || !m.StartTime.Equal(time.Date(2030, 3, 31, 8, 0, 0, 0, time.UTC)) ||
				m.Type != video.Scheduled || !m.CreatedAt.Equal(now) || m.HostEmail != "alice@example.com" || m.Agenda != "Q2" {
				t.Errorf("details %+v", m)
			}
			if !strings.Contains(m.Invitation, tt.want+"\r\n") || !strings.Contains(m.Invitation, "Mar 31, 2030 10:00 AM Europe/Paris") {
				t.Errorf("invitation %q", m.Invitation)
			}
		})
	}
}

func TestRoomsAreUnguessable(t *testing.T) {
	p := &Provider{}
	seen := map[string]bool{}
	for range 2000 {
		m, err := p.Create(context.Background(), "a@example.com", video.Spec{Topic: "x"})
		if err != nil {
			t.Fatal(err)
		}
		random := strings.TrimPrefix(m.ID, DefaultPrefix)
		if len(random) != 24 || strings.Trim(random, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("room %q: want 24 base32 letters (120 bits)", m.ID)
		}
		if seen[m.ID] {
			t.Fatalf("room %s drawn twice", m.ID)
		}
		seen[m.ID] = true
	}
}

func TestCreateOnceIsStable(t *testing.T) {
	p := &Provider{Secret: []byte("k1")}
	ctx := context.Background()
	a, _ := p.CreateOnce(ctx, "a@example.com", video.Spec{Topic: "x"}, video.CreateRef{Key: "booking-1"})
	b, _ := p.CreateOnce(ctx, "a@example.com", video.Spec{Topic: "x"}, video.CreateRef{Key: "booking-1", Since: now})
	c, _ := p.CreateOnce(ctx, "a@example.com", video.Spec{Topic: "x"}, video.CreateRef{Key: "booking-2"})
	d, _ := (&Provider{Secret: []byte("k2")}).CreateOnce(ctx, "a@example.com", video.Spec{Topic: "x"}, video.CreateRef{Key: "booking-1"})
	if a.JoinURL != b.JoinURL {
		t.Errorf("same key, different rooms: %s %s", a.ID, b.ID)
	}
	if a.ID == c.ID || a.ID == d.ID {
		t.Errorf("rooms collide: %s %s %s", a.ID, c.ID, d.ID)
	}
	if len(strings.TrimPrefix(a.ID, DefaultPrefix)) != 24 {
		t.Errorf("derived room %q", a.ID)
	}
	// Without a secret, no key makes rooms predictable.
	e, _ := (&Provider{}).CreateOnce(ctx, "a@example.com", video.Spec{}, video.CreateRef{Key: "booking-1"})
	f, _ := (&Provider{}).CreateOnce(ctx, "a@example.com", video.Spec{}, video.CreateRef{Key: "booking-1"})
	if e.ID == f.ID {
		t.Error("keyed rooms without a secret")
	}
}

func TestOperations(t *testing.T) {
	p := &Provider{BaseURL: "https://jitsi.example.com"}
	ctx := context.Background()
	m, err := p.Get(ctx, "convene-abc", "")
	if err != nil || m.JoinURL != "https://jitsi.example.com/convene-abc" {
		t.Fatalf("get %+v %v", m, err)
	}
	u, err := p.Update(ctx, "convene-abc", "", video.Spec{Duration: 30, Topic: "Later"})
	if err != nil || u.JoinURL != m.JoinURL || u.Duration != 30 || u.Topic != "Later" {
		t.Errorf("update %+v %v", u, err)
	}
	if err := p.Delete(ctx, "convene-abc", ""); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := p.List(ctx, "a@example.com"); !errors.Is(err, video.ErrNotSupported) || !video.IsPermanent(err) {
		t.Errorf("list: %v", err)
	}
	inv, err := p.Invitation(ctx, "convene-abc")
	if err != nil || !strings.Contains(inv.Text, "https://jitsi.example.com/convene-abc") {
		t.Errorf("invitation %+v %v", inv, err)
	}
	for _, bad := range []string{"", "../x", "a/b", "a?b", ".hidden", strings.Repeat("a", 201)} {
		if _, err := p.Get(ctx, bad, ""); err == nil {
			t.Errorf("room %q accepted", bad)
		}
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	_, err := (&Provider{}).Create(ctx, "a@example.com", video.Spec{Password: video.String("secret")})
	if v, ok := errors.AsType[*video.ValidationError](err); !ok || v.Field != "password" {
		t.Errorf("password: %v", err)
	}
	if _, err := (&Provider{BaseURL: "meet.example.com"}).Create(ctx, "a@example.com", video.Spec{}); err == nil {
		t.Error("relative base URL accepted")
	}
	if _, err := (&Provider{Rand: bytes.NewReader(nil)}).Create(ctx, "a@example.com", video.Spec{}); err == nil {
		t.Error("empty random source accepted")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (&Provider{}).Create(cancelled, "a@example.com", video.Spec{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
