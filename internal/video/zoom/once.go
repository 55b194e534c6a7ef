package zoom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/video"
)

// CreateOnce makes a meeting hosted by host unless an earlier attempt of
// the side effect ref names already did, and then returns that meeting (see
// "Exactly-once creation" in the package comment). A caller that retries
// after an error passes the same ref with Since set to when its first
// attempt started (or earlier), and Posted set to what Posting last
// recorded.
//
// An error that still leaves the outcome open is a *video.Error with
// Uncertain set: retry later with Since, never with a fresh reference. One
// that wraps a *video.InFlightError says when: an earlier create may still
// complete until then, and none may be sent before.
func (c *Client) CreateOnce(ctx context.Context, host string, spec video.Spec, ref video.CreateRef) (*video.Meeting, error) {
	op := "zoom: create meeting for " + host
	if ref.Key != "" {
		op += " (" + ref.Key + ")"
	}
	path, err := userPath(host)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	body, err := specBody(spec, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if err := c.hostPaused(host); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	since := ref.Since
	if since.IsZero() {
		since = ref.Posted
	}
	if !since.IsZero() {
		// An earlier attempt may have created it before its answer was lost.
		m, err := c.findCreated(ctx, host, body, ref, since)
		if err != nil {
			return nil, fmt.Errorf("%s: look for the meeting of an earlier attempt: %w", op,
				&video.Error{Provider: "zoom", Uncertain: true, Err: err})
		}
		if m != nil {
			return m, nil
		}
		// Or its request is still under way at Zoom (the process that sent
		// it died): wait until it can no longer complete, then look again.
		if until := ref.Posted.Add(c.CreateWindow()); !ref.Posted.IsZero() && c.now().Before(until) {
			return nil, fmt.Errorf("%s: %w", op, &video.Error{Provider: "zoom", Uncertain: true,
				Err: &video.InFlightError{Posted: ref.Posted, RetryAt: until}})
		}
	} else {
		since = c.now()
	}

	p := c.Retry.withDefaults()
	var posted time.Time // when the request was last sent
	send := func(ctx context.Context) error {
		posted = c.now()
		if ref.Posting == nil {
			return nil
		}
		if err := ref.Posting(ctx, posted); err != nil {
			return fmt.Errorf("record the request: %w", err)
		}
		return nil
	}
	for attempt := 1; ; attempt++ {
		var w wireMeeting
		err := c.do(ctx, request{method: http.MethodPost, path: path + "/meetings", body: body, out: &w, host: host, beforeSend: send})
		if e, ok := errors.AsType[*video.Error](err); ok && refusedByZoom(e) && ref.Refused != nil {
			// Zoom said no itself: this request made nothing and no later
			// attempt need wait for it. Should the record fail, a later
			// attempt only waits longer than it must.
			if rerr := ref.Refused(context.WithoutCancel(ctx)); rerr != nil {
				c.log().Warn("zoom: recording a refused create failed", "ref", ref.Key, "err", rerr)
			}
		}
		if err == nil {
			m, derr := w.meeting()
			if derr == nil {
				return m, nil
			}
			// Created, but the answer is unreadable: find it in the list.
			err = &video.Error{Provider: "zoom", Status: http.StatusCreated, Uncertain: true, Err: fmt.Errorf("decode answer: %w", derr)}
		}
		e, ok := errors.AsType[*video.Error](err)
		if !ok || !e.Uncertain || ctx.Err() != nil {
			// Refused (4xx, 429, 401 after a refresh), or the caller gave up.
			return nil, fmt.Errorf("%s: %w", op, err)
		}

		// Zoom may have created the meeting: never post again without
		// looking for it. Unless Zoom itself answered, the request may
		// still be running there (a time-out, a cut connection, a proxy's
		// 502): look only once it can no longer complete.
		wait := c.backoff(attempt)
		if !answeredByZoom(e) {
			wait = max(wait, posted.Add(p.Timeout+p.Settle).Sub(c.now()))
		}
		c.log().Debug("zoom: create outcome unknown; looking for the meeting", "host", host, "ref", ref.Key, "attempt", attempt, "wait", wait, "err", err)
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%s: %w (after: %w)", op, serr, err)
		}
		m, lerr := c.findCreated(ctx, host, body, ref, since)
		if lerr != nil {
			return nil, fmt.Errorf("%s: %w; looking for the meeting it may have created failed: %w", op, err, lerr)
		}
		if m != nil {
			return m, nil
		}
		if attempt >= p.Attempts {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
}

// CreateWindow implements video.Duplicates: a create request ends, on this
// side, within RetryPolicy.Timeout (the HTTP time limit), and Zoom is given
// RetryPolicy.Settle more to finish what it received.
func (c *Client) CreateWindow() time.Duration {
	p := c.Retry.withDefaults()
	return p.Timeout + p.Settle
}

// refusedByZoom reports whether Zoom's API itself answered a create with an
// error (its JSON error body): the request made no meeting.
func refusedByZoom(e *video.Error) bool {
	return answeredByZoom(e) && (e.Status < 200 || e.Status >= 300)
}

// answeredByZoom reports whether Zoom's API itself answered the failed
// request (a status with Zoom's JSON error body, or a success whose body
// could not be read): it is then done there, and cannot take effect later.
func answeredByZoom(e *video.Error) bool {
	return e.Status >= 200 && e.Status < 300 || e.Status != 0 && e.Code != 0
}

// Duplicates implements video.Duplicates: the meetings of host matching
// the fingerprint of spec created since ref.Since, except keep and the ids
// ref.Exclude reports, earliest first.
func (c *Client) Duplicates(ctx context.Context, host string, spec video.Spec, ref video.CreateRef, keep string) ([]video.Meeting, error) {
	op := "zoom: duplicates for " + host
	if ref.Key != "" {
		op += " (" + ref.Key + ")"
	}
	body, err := specBody(spec, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	found, err := c.matching(ctx, host, body, ref, ref.Since)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := found[:0]
	for _, m := range found {
		if m.ID != keep {
			out = append(out, m)
		}
	}
	return out, nil
}

// findCreated looks in host's meetings for the one an attempt of ref made
// since since, and returns it read in full, or nil. If several match, the
// earliest created wins.
func (c *Client) findCreated(ctx context.Context, host string, body *wireSpec, ref video.CreateRef, since time.Time) (*video.Meeting, error) {
	found, err := c.matching(ctx, host, body, ref, since)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return c.Get(ctx, found[0].ID, "")
}

// matching lists host's meetings that match the create request body and
// were created since since (less the clock skew), earliest first, without
// the ids ref excludes.
func (c *Client) matching(ctx context.Context, host string, body *wireSpec, ref video.CreateRef, since time.Time) ([]video.Meeting, error) {
	if body.Type == int(video.Instant) {
		// Zoom does not list instant meetings (zoom-api.md §1.10).
		return nil, nil
	}
	p := c.Retry.withDefaults()
	lo, hi := since.Add(-p.ClockSkew), c.now().Add(p.ClockSkew)
	var want time.Time
	if body.StartTime != "" {
		want, _ = video.ParseTime(body.StartTime, nil)
	}
	var found []video.Meeting
	err := c.eachPage(ctx, host, ListScheduled, func(pg *MeetingPage) {
		for i := range pg.Meetings {
			m := &pg.Meetings[i]
			if !fingerprintMatches(m, body, want, lo, hi) || (ref.Exclude != nil && ref.Exclude(m.ID)) {
				continue
			}
			found = append(found, *m)
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b video.Meeting) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		if idLess(a.ID, b.ID) {
			return -1
		}
		if idLess(b.ID, a.ID) {
			return 1
		}
		return 0
	})
	return found, nil
}

// fingerprintMatches reports whether the listed meeting m is the one the
// create request body asks for, created within [lo, hi].
func fingerprintMatches(m *video.Meeting, body *wireSpec, want, lo, hi time.Time) bool {
	if m.CreatedAt.IsZero() || m.CreatedAt.Before(lo) || m.CreatedAt.After(hi) {
		return false
	}
	if int(m.Type) != body.Type {
		return false
	}
	if body.Topic != "" && strings.TrimSpace(m.Topic) != strings.TrimSpace(body.Topic) {
		return false
	}
	if body.Type == int(video.Scheduled) && !want.IsZero() && !m.StartTime.Truncate(time.Minute).Equal(want.Truncate(time.Minute)) {
		return false
	}
	if body.Duration != 0 && m.Duration != body.Duration {
		return false
	}
	if body.Timezone != "" && m.Timezone != "" && m.Timezone != body.Timezone {
		return false
	}
	return true
}

// idLess orders meeting numbers numerically.
func idLess(a, b string) bool {
	x, errx := strconv.ParseInt(a, 10, 64)
	y, erry := strconv.ParseInt(b, 10, 64)
	if errx != nil || erry != nil {
		return a < b
	}
	return x < y
}
