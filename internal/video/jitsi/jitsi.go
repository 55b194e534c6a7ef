// Package jitsi is a video.Provider that makes Jitsi Meet links: a room on
// a configurable Jitsi server (default https://meet.jit.si) whose name
// carries 120 random bits, so that nobody can guess it. Jitsi needs no
// account, no OAuth and no API call: a room exists when someone opens its
// URL. So this provider keeps no state and calls nobody; Get, Update and
// Delete work on the link alone, and List is not supported.
//
// Exactly once: with a Secret, CreateOnce derives the room name from the
// reference's key (HMAC-SHA256), so every attempt of one booking's side
// effect gives the same link.
//
// This package must never import store, web, booking or apps.
package jitsi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/convene/convene/internal/video"
)

// DefaultBaseURL is the public Jitsi Meet service.
const DefaultBaseURL = "https://meet.jit.si"

// DefaultPrefix starts every room name Convene makes.
const DefaultPrefix = "convene-"

// roomBytes is the entropy of a room name: 120 bits, 24 base32 letters.
const roomBytes = 15

var roomEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Provider makes Jitsi Meet links. The zero value uses meet.jit.si and
// crypto/rand.
type Provider struct {
	// BaseURL is the Jitsi server, e.g. "https://jitsi.example.com"; a
	// path is kept ("https://example.com/meet"). Empty: DefaultBaseURL.
	BaseURL string

	// Prefix starts room names; empty: DefaultPrefix.
	Prefix string

	// Secret, when set, makes CreateOnce's room name a function of the
	// reference key. Without it every create draws a new room.
	Secret []byte

	// Rand is the source of room names; nil: crypto/rand.
	Rand io.Reader

	// Now is the clock for CreatedAt; nil: time.Now.
	Now func() time.Time
}

var _ video.Provider = (*Provider)(nil)

// Name returns "jitsi".
func (p *Provider) Name() string { return "jitsi" }

// Create makes a meeting in a new random room.
func (p *Provider) Create(ctx context.Context, host string, spec video.Spec) (*video.Meeting, error) {
	return p.CreateOnce(ctx, host, spec, video.CreateRef{})
}

// CreateOnce makes a meeting in the room of ref.Key when Provider.Secret is
// set, else in a new random room. Nothing is created remotely, so an
// abandoned attempt leaves nothing behind.
func (p *Provider) CreateOnce(ctx context.Context, host string, spec video.Spec, ref video.CreateRef) (*video.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("jitsi: create meeting for %s: %w", host, err)
	}
	if spec.Password != nil && *spec.Password != "" {
		// A Jitsi link cannot carry a passcode: say so rather than send a
		// meeting without the protection the organizer asked for.
		return nil, fmt.Errorf("jitsi: create meeting for %s: %w", host,
			&video.ValidationError{Field: "password", Message: "Jitsi links cannot carry a passcode; the moderator sets one in the room"})
	}
	var raw [roomBytes]byte
	if len(p.Secret) > 0 && ref.Key != "" {
		mac := hmac.New(sha256.New, p.Secret)
		mac.Write([]byte("convene jitsi room\x00"))
		mac.Write([]byte(ref.Key))
		copy(raw[:], mac.Sum(nil))
	} else {
		r := p.Rand
		if r == nil {
			r = rand.Reader
		}
		if _, err := io.ReadFull(r, raw[:]); err != nil {
			return nil, fmt.Errorf("jitsi: create meeting for %s: room name: %w", host, err)
		}
	}
	room := p.prefix() + roomEncoding.EncodeToString(raw[:])
	m, err := p.meeting(room)
	if err != nil {
		return nil, fmt.Errorf("jitsi: create meeting for %s: %w", host, err)
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	m.CreatedAt = now().UTC().Truncate(time.Second)
	m.HostEmail = host
	apply(m, spec)
	if m.Type == 0 {
		m.Type = video.Scheduled
	}
	m.Invitation = invitation(m)
	return m, nil
}

// Get returns the meeting of room id: its links. Jitsi keeps nothing else;
// the booking core has the rest.
func (p *Provider) Get(ctx context.Context, id, occurrenceID string) (*video.Meeting, error) {
	m, err := p.meeting(id)
	if err != nil {
		return nil, fmt.Errorf("jitsi: get meeting %s: %w", id, err)
	}
	m.Invitation = invitation(m)
	return m, nil
}

// Update returns the meeting with spec applied. The link never changes, so
// a rescheduled meeting keeps the room its invitations carry.
func (p *Provider) Update(ctx context.Context, id, occurrenceID string, spec video.Spec) (*video.Meeting, error) {
	if spec.Password != nil && *spec.Password != "" {
		return nil, fmt.Errorf("jitsi: update meeting %s: %w", id,
			&video.ValidationError{Field: "password", Message: "Jitsi links cannot carry a passcode"})
	}
	m, err := p.meeting(id)
	if err != nil {
		return nil, fmt.Errorf("jitsi: update meeting %s: %w", id, err)
	}
	apply(m, spec)
	m.Invitation = invitation(m)
	return m, nil
}

// Delete does nothing: a Jitsi room disappears when its last participant
// leaves, and a cancelled meeting's link is simply no longer sent.
func (p *Provider) Delete(ctx context.Context, id, occurrenceID string) error {
	if _, err := p.meeting(id); err != nil {
		return fmt.Errorf("jitsi: delete meeting %s: %w", id, err)
	}
	return nil
}

// List is not supported: Jitsi keeps no list of rooms.
func (p *Provider) List(ctx context.Context, host string) ([]video.Meeting, error) {
	return nil, fmt.Errorf("jitsi: list meetings of %s: %w", host, video.ErrNotSupported)
}

// Invitation returns a short invitation text with the link.
func (p *Provider) Invitation(ctx context.Context, id string) (*video.Invitation, error) {
	m, err := p.meeting(id)
	if err != nil {
		return nil, fmt.Errorf("jitsi: invitation of meeting %s: %w", id, err)
	}
	return &video.Invitation{Text: invitation(m)}, nil
}

func (p *Provider) prefix() string {
	if p.Prefix == "" {
		return DefaultPrefix
	}
	return p.Prefix
}

// meeting returns the bare meeting of a room: id and links.
func (p *Provider) meeting(room string) (*video.Meeting, error) {
	if !validRoom(room) {
		return nil, &video.ValidationError{Field: "id", Message: fmt.Sprintf("%q is not a Jitsi room name", room)}
	}
	base := p.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL", base)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/" + room
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	link := u.String()
	return &video.Meeting{Provider: "jitsi", ID: room, JoinURL: link, StartURL: link}, nil
}

// validRoom accepts the room names Jitsi URLs carry unescaped.
func validRoom(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return s[0] != '.'
}

// apply copies the set fields of spec to m.
func apply(m *video.Meeting, spec video.Spec) {
	if spec.Topic != "" {
		m.Topic = spec.Topic
	}
	if spec.Type != 0 {
		m.Type = spec.Type
	}
	if !spec.StartTime.IsZero() {
		m.StartTime = spec.StartTime.UTC()
		if spec.Timezone == "" {
			if name := spec.StartTime.Location().String(); name != "Local" && name != "UTC" {
				m.Timezone = name
			}
		}
	}
	if spec.Timezone != "" {
		m.Timezone = spec.Timezone
	}
	if spec.Duration != 0 {
		m.Duration = spec.Duration
	}
	if spec.Agenda != nil {
		m.Agenda = *spec.Agenda
	}
	if spec.Recurrence != nil {
		r := *spec.Recurrence
		m.Recurrence = &r
	}
}

// invitation is the text Convene puts in invitations for a Jitsi meeting,
// lines ending in CRLF like Zoom's.
func invitation(m *video.Meeting) string {
	var b strings.Builder
	if m.Topic != "" {
		fmt.Fprintf(&b, "Topic: %s\r\n", m.Topic)
	}
	if !m.StartTime.IsZero() {
		t := m.StartTime
		zone := "UTC"
		if loc, err := time.LoadLocation(m.Timezone); err == nil && m.Timezone != "" {
			t, zone = t.In(loc), m.Timezone
		}
		fmt.Fprintf(&b, "Time: %s %s\r\n", t.Format("Jan 2, 2006 03:04 PM"), zone)
	}
	if b.Len() > 0 {
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "Join the Jitsi meeting\r\n%s\r\n", m.JoinURL)
	return b.String()
}
