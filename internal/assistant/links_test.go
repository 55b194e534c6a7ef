package assistant

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

func TestLinkTokenRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	now := time.Date(2031, 3, 3, 8, 0, 0, 0, time.UTC)
	c := linkClaims{Expires: now.Add(time.Hour), Round: 3, Option: 2, AccountID: "acc_1", ThreadID: "thr_1", MeetingID: "mtg_1", Guest: "bob@partner.example"}
	tok, err := signLink(key, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, id, err := parseLink(key, tok, now)
	if err != nil || got != c || len(id) != 24 {
		t.Fatalf("parse: %+v %q %v", got, id, err)
	}
	tok2, _ := signLink(key, c, nil)
	if tok2 == tok {
		t.Error("two links for the same option are alike (no nonce)")
	}
	if _, id2, _ := parseLink(key, tok2, now); id2 == id {
		t.Error("two links share an id")
	}
	// Expired: still read (to say so), but refused.
	if _, _, err := parseLink(key, tok, now.Add(time.Hour)); !errors.Is(err, ErrLinkExpired) {
		t.Errorf("at expiry: %v", err)
	}
	// Every single byte changed is refused.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	for i := range raw {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		if _, _, err := parseLink(key, base64.RawURLEncoding.EncodeToString(b), now); !errors.Is(err, ErrLinkInvalid) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
	// Another key, truncated, extended, empty, too long.
	other := bytes.Repeat([]byte{8}, 32)
	for name, bad := range map[string]string{
		"other key": func() string { s, _ := signLink(other, c, nil); return s }(),
		"truncated": tok[:len(tok)-3], "extended": tok + "AAAA", "empty": "", "long": strings.Repeat("A", MaxLinkToken+1),
		"not base64": "%%%", "old version": func() string {
			b := bytes.Clone(raw[:len(raw)-linkMACLen])
			b[0] = 2
			return base64.RawURLEncoding.EncodeToString(append(b, linkMAC(key, b)...))
		}(),
	} {
		if _, _, err := parseLink(key, bad, now); !errors.Is(err, ErrLinkInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The link to every option of a round.
	all := c
	all.Option = linkAll
	if tok, err := signLink(key, all, nil); err != nil {
		t.Fatal(err)
	} else if got, _, err := parseLink(key, tok, now); err != nil || got != all {
		t.Fatalf("every option: %+v %v", got, err)
	}
	if _, err := signLink(key[:8], c, nil); err == nil {
		t.Error("signed with a short key")
	}
}

// FuzzParseLink: no input panics, and only a token signed with the key is
// accepted.
func FuzzParseLink(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	now := time.Date(2031, 3, 3, 8, 0, 0, 0, time.UTC)
	good, _ := signLink(key, linkClaims{Expires: now.Add(time.Hour), Round: 1, AccountID: "acc", ThreadID: "thr", MeetingID: "mtg", Guest: "g@x"}, nil)
	f.Add(good)
	f.Add("")
	f.Add("AQAAAAA")
	f.Add(good[:20])
	f.Fuzz(func(t *testing.T, tok string) {
		c, _, err := parseLink(key, tok, now)
		if err != nil {
			return
		}
		// Accepted: it must be a token we could have made.
		raw, derr := base64.RawURLEncoding.DecodeString(tok)
		if derr != nil || !bytes.Equal(raw[len(raw)-linkMACLen:], linkMAC(key, raw[:len(raw)-linkMACLen])) {
			t.Fatalf("accepted an unsigned token %q", tok)
		}
		if c.Option > 255 || c.Round > 0xFFFF {
			t.Fatalf("claims out of range: %+v", c)
		}
	})
}

// TestChoiceLinks: GET (Describe) books nothing; POST (Choose) books;
// the link then says it was used; a tampered, expired, replaced or
// foreign-guest link is refused, each with its reason.
func TestChoiceLinks(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		toks := links(t, g)
		th, d := e.thread()

		// Scanners fetch every link: nothing happens.
		for _, tok := range toks {
			v, err := e.a.Describe(ctx, tok)
			if err != nil || v.State != LinkConfirm || v.Lang != "fr" || v.Subject != "Point projet" || !strings.Contains(v.When, "mars 2031") {
				t.Fatalf("describe: %+v %v", v, err)
			}
		}
		if th2, _ := e.thread(); th2.Version != th.Version || e.meeting().Status != store.MeetingProposed {
			t.Fatal("describing a link changed the thread")
		}
		// Tampered.
		bad := []byte(toks[0])
		bad[len(bad)/2] ^= 1
		if v, err := e.a.Choose(ctx, string(bad)); err != nil || v.State != LinkRefused || v.Problem != ProblemInvalid {
			t.Errorf("tampered: %+v %v", v, err)
		}
		// Another guest's address, signed with the right key: not a guest
		// of this thread.
		forged, _ := signLink(e.a.LinkKey, linkClaims{Expires: start.Add(48 * time.Hour), Round: d.Round, Option: 0, AccountID: e.acct,
			ThreadID: th.ID, MeetingID: th.MeetingID, Guest: "mallory@evil.example"}, nil)
		if v, err := e.a.Choose(ctx, forged); err != nil || v.State != LinkRefused || v.Problem != ProblemInvalid {
			t.Errorf("wrong guest: %+v %v", v, err)
		}
		// An earlier round's link.
		old, _ := signLink(e.a.LinkKey, linkClaims{Expires: start.Add(48 * time.Hour), Round: d.Round - 1, Option: 0, AccountID: e.acct,
			ThreadID: th.ID, MeetingID: th.MeetingID, Guest: "bob@partner.example"}, nil)
		if v, err := e.a.Choose(ctx, old); err != nil || v.State != LinkRefused || v.Problem != ProblemReplaced {
			t.Errorf("replaced: %+v %v", v, err)
		}
		// Expired: the clock passes the link's end.
		saved := e.clock.Now()
		e.clock.Advance(30 * 24 * time.Hour)
		if v, err := e.a.Choose(ctx, toks[2]); err != nil || v.State != LinkRefused || v.Problem != ProblemExpired {
			t.Errorf("expired: %+v %v", v, err)
		}
		e.clock.Advance(saved.Sub(e.clock.Now()))
		if e.meeting().Status != store.MeetingProposed {
			t.Fatal("a refused link booked")
		}
		// The real click.
		v, err := e.a.Choose(ctx, toks[2])
		if err != nil || v.State != LinkBooked {
			t.Fatalf("choose: %+v %v", v, err)
		}
		e.waitFor("booked", func() bool { return e.meeting().Status == store.MeetingBooked })
		if !e.meeting().Start.Equal(d.Options[2].Start) {
			t.Errorf("booked at %s, want option 3 %s", e.meeting().Start, d.Options[2].Start)
		}
		// Used once; the others are closed now.
		if v, err := e.a.Choose(ctx, toks[2]); err != nil || v.State != LinkRefused || v.Problem != ProblemUsed {
			t.Errorf("reused: %+v %v", v, err)
		}
		if v, err := e.a.Describe(ctx, toks[0]); err != nil || v.State != LinkRefused || v.Problem != ProblemClosed || v.When == "" {
			t.Errorf("another option after booking: %+v %v", v, err)
		}
		e.waitMail("max@acme.test", "assistant.booked", 1)
		e.waitIdle()
		if n := e.rows("meetings"); n != 1 {
			t.Errorf("%d meetings", n)
		}
	})
}
