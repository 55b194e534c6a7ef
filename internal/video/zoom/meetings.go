package zoom

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/convene/convene/internal/video"
)

// Name returns "zoom".
func (c *Client) Name() string { return "zoom" }

// Create makes a meeting hosted by host (the organizer's e-mail address in
// the installed account, or "me") with POST /users/{host}/meetings
// (zoom-api.md §1.3). It is CreateOnce for a side effect that has no earlier
// attempt: retries within the call never create a second meeting.
func (c *Client) Create(ctx context.Context, host string, spec video.Spec) (*video.Meeting, error) {
	return c.CreateOnce(ctx, host, spec, video.CreateRef{})
}

// GetOptions are the query parameters of GET /meetings/{id}
// (zoom-api.md §1.7).
type GetOptions struct {
	OccurrenceID            string // details of this occurrence
	ShowPreviousOccurrences bool   // include past occurrences of a recurring meeting
}

// Get returns the meeting id (a meeting number, or a UUID); with
// occurrenceID, that occurrence's details. Without one it includes past
// occurrences.
func (c *Client) Get(ctx context.Context, id, occurrenceID string) (*video.Meeting, error) {
	return c.GetMeeting(ctx, id, GetOptions{OccurrenceID: occurrenceID, ShowPreviousOccurrences: occurrenceID == ""})
}

// GetMeeting is GET /meetings/{id} with all its options.
func (c *Client) GetMeeting(ctx context.Context, id string, o GetOptions) (*video.Meeting, error) {
	path, err := meetingPath(id)
	if err != nil {
		return nil, fmt.Errorf("zoom: get meeting %s: %w", id, err)
	}
	q := url.Values{}
	if o.OccurrenceID != "" {
		q.Set("occurrence_id", o.OccurrenceID)
	}
	if o.ShowPreviousOccurrences {
		q.Set("show_previous_occurrences", "true")
	}
	var w wireMeeting
	if err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, out: &w, idempotent: true}); err != nil {
		return nil, fmt.Errorf("zoom: get meeting %s: %w", id, err)
	}
	m, err := w.meeting()
	if err != nil {
		return nil, fmt.Errorf("zoom: get meeting %s: decode answer: %w", id, err)
	}
	return m, nil
}

// Patch changes the fields spec sets with PATCH /meetings/{id}
// (zoom-api.md §1.8): Zoom answers 204 without a body. With occurrenceID
// Zoom changes only agenda, start_time, duration and some settings of that
// occurrence. Zoom counts it against the host's 100 creates and updates a
// day, ignores a start_time in the past, and wants the recurrence again
// when the start_time of a recurring meeting changes.
func (c *Client) Patch(ctx context.Context, id, occurrenceID string, spec video.Spec) error {
	path, err := meetingPath(id)
	if err != nil {
		return fmt.Errorf("zoom: update meeting %s: %w", id, err)
	}
	body, err := specBody(spec, false)
	if err != nil {
		return fmt.Errorf("zoom: update meeting %s: %w", id, err)
	}
	q := url.Values{}
	if occurrenceID != "" {
		q.Set("occurrence_id", occurrenceID)
	}
	if err := c.do(ctx, request{method: http.MethodPatch, path: path, query: q, body: body, idempotent: true}); err != nil {
		return fmt.Errorf("zoom: update meeting %s: %w", id, err)
	}
	return nil
}

// Update patches the meeting and reads it again: the invitation a
// reschedule sends must carry the links Zoom has now (LESSONS "Lost
// links").
func (c *Client) Update(ctx context.Context, id, occurrenceID string, spec video.Spec) (*video.Meeting, error) {
	if err := c.Patch(ctx, id, occurrenceID, spec); err != nil {
		return nil, err
	}
	return c.Get(ctx, id, occurrenceID)
}

// DeleteOptions are the query parameters of DELETE /meetings/{id}
// (zoom-api.md §1.9). Both notifications are sent explicitly, as false
// unless set: Zoom's default for schedule_for_reminder is undocumented.
type DeleteOptions struct {
	OccurrenceID      string // delete only this occurrence
	NotifyHosts       bool   // schedule_for_reminder: Zoom mails the host and alternative hosts
	NotifyRegistrants bool   // cancel_meeting_reminder: Zoom mails the registrants
}

// Delete removes the meeting or one occurrence, without Zoom's own
// cancellation mails (Convene sends iTIP CANCEL).
func (c *Client) Delete(ctx context.Context, id, occurrenceID string) error {
	return c.DeleteMeeting(ctx, id, DeleteOptions{OccurrenceID: occurrenceID})
}

// DeleteMeeting is DELETE /meetings/{id} with all its options. A meeting
// that is already gone gives an error wrapping video.ErrNotFound, except
// when an earlier attempt of this call may have deleted it.
func (c *Client) DeleteMeeting(ctx context.Context, id string, o DeleteOptions) error {
	path, err := meetingPath(id)
	if err != nil {
		return fmt.Errorf("zoom: delete meeting %s: %w", id, err)
	}
	q := url.Values{}
	if o.OccurrenceID != "" {
		q.Set("occurrence_id", o.OccurrenceID)
	}
	q.Set("schedule_for_reminder", strconv.FormatBool(o.NotifyHosts))
	q.Set("cancel_meeting_reminder", strconv.FormatBool(o.NotifyRegistrants))
	if err := c.do(ctx, request{method: http.MethodDelete, path: path, query: q, idempotent: true}); err != nil {
		return fmt.Errorf("zoom: delete meeting %s: %w", id, err)
	}
	return nil
}

// List types of GET /users/{id}/meetings (zoom-api.md §1.10).
const (
	ListScheduled = "scheduled"         // every unexpired meeting: previous, live and upcoming
	ListLive      = "live"              // meetings in progress
	ListUpcoming  = "upcoming"          // upcoming meetings, live ones included
	ListPrevious  = "previous_meetings" // past meetings
)

// MaxPageSize is the largest page Zoom's list answers.
const MaxPageSize = 300

// ListOptions are the query parameters of GET /users/{id}/meetings.
type ListOptions struct {
	Type          string // ListScheduled when empty
	PageSize      int    // 1-300; 0: MaxPageSize
	NextPageToken string // from the previous page; expires after 15 minutes
}

// MeetingPage is one page of a host's meetings. List items carry only uuid,
// id, host_id, topic, type, start_time, duration, timezone, agenda (cut to
// 250 characters), created_at, join_url and pmi.
type MeetingPage struct {
	Meetings      []video.Meeting
	NextPageToken string // empty on the last page
	PageSize      int
	TotalRecords  int
}

// ListPage returns one page of host's meetings.
func (c *Client) ListPage(ctx context.Context, host string, o ListOptions) (*MeetingPage, error) {
	path, err := userPath(host)
	if err != nil {
		return nil, fmt.Errorf("zoom: list meetings of %s: %w", host, err)
	}
	if o.Type == "" {
		o.Type = ListScheduled
	}
	if o.PageSize <= 0 || o.PageSize > MaxPageSize {
		o.PageSize = MaxPageSize
	}
	q := url.Values{"type": {o.Type}, "page_size": {strconv.Itoa(o.PageSize)}}
	if o.NextPageToken != "" {
		q.Set("next_page_token", o.NextPageToken)
	}
	var w struct {
		NextPageToken string        `json:"next_page_token"`
		PageSize      flexInt       `json:"page_size"`
		TotalRecords  flexInt       `json:"total_records"`
		Meetings      []wireMeeting `json:"meetings"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: path + "/meetings", query: q, out: &w, idempotent: true}); err != nil {
		return nil, fmt.Errorf("zoom: list meetings of %s: %w", host, err)
	}
	p := &MeetingPage{NextPageToken: w.NextPageToken, PageSize: int(w.PageSize), TotalRecords: int(w.TotalRecords)}
	for i := range w.Meetings {
		m, err := w.Meetings[i].meeting()
		if err != nil {
			return nil, fmt.Errorf("zoom: list meetings of %s: meeting %d: %w", host, int64(w.Meetings[i].ID), err)
		}
		p.Meetings = append(p.Meetings, *m)
	}
	return p, nil
}

// maxPages bounds a listing, against a server that never stops paging.
const maxPages = 1000

// ListMeetings returns every page of host's meetings of the list type.
func (c *Client) ListMeetings(ctx context.Context, host, typ string) ([]video.Meeting, error) {
	var all []video.Meeting
	err := c.eachPage(ctx, host, typ, func(p *MeetingPage) { all = append(all, p.Meetings...) })
	return all, err
}

func (c *Client) eachPage(ctx context.Context, host, typ string, fn func(*MeetingPage)) error {
	o := ListOptions{Type: typ}
	seen := map[string]bool{}
	for range maxPages {
		p, err := c.ListPage(ctx, host, o)
		if err != nil {
			return err
		}
		fn(p)
		if p.NextPageToken == "" {
			return nil
		}
		if seen[p.NextPageToken] {
			return fmt.Errorf("zoom: list meetings of %s: next_page_token repeats", host)
		}
		seen[p.NextPageToken] = true
		o.NextPageToken = p.NextPageToken
	}
	return fmt.Errorf("zoom: list meetings of %s: more than %d pages", host, maxPages)
}

// List returns host's unexpired scheduled meetings, every page.
func (c *Client) List(ctx context.Context, host string) ([]video.Meeting, error) {
	return c.ListMeetings(ctx, host, ListScheduled)
}

// Invitation returns Zoom's invitation text and SIP links for the meeting
// (GET /meetings/{id}/invitation, zoom-api.md §1.11).
func (c *Client) Invitation(ctx context.Context, id string) (*video.Invitation, error) {
	path, err := meetingPath(id)
	if err != nil {
		return nil, fmt.Errorf("zoom: invitation of meeting %s: %w", id, err)
	}
	var inv video.Invitation
	if err := c.do(ctx, request{method: http.MethodGet, path: path + "/invitation", out: &inv, idempotent: true}); err != nil {
		return nil, fmt.Errorf("zoom: invitation of meeting %s: %w", id, err)
	}
	return &inv, nil
}

// User is a Zoom user as GET /users/{id} returns it (the fields Convene
// uses).
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	FirstName   string `json:"first_name,omitempty"`
	LastName    string `json:"last_name,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Type        int    `json:"type,omitempty"` // 1 basic, 2 licensed, …
	Status      string `json:"status,omitempty"`
	Timezone    string `json:"timezone,omitempty"`
	Language    string `json:"language,omitempty"`
	AccountID   string `json:"account_id,omitempty"`
	RoleName    string `json:"role_name,omitempty"`
	PMI         int64  `json:"pmi,omitempty"`
}

// User returns the Zoom user id (an e-mail address, a user id or "me"). An
// organizer without a user in the installed account gives an error
// wrapping video.ErrHostNotFound.
func (c *Client) User(ctx context.Context, id string) (*User, error) {
	path, err := userPath(id)
	if err != nil {
		return nil, fmt.Errorf("zoom: get user %s: %w", id, err)
	}
	var w struct {
		ID          string  `json:"id"`
		Email       string  `json:"email"`
		FirstName   string  `json:"first_name"`
		LastName    string  `json:"last_name"`
		DisplayName string  `json:"display_name"`
		Type        flexInt `json:"type"`
		Status      string  `json:"status"`
		Timezone    string  `json:"timezone"`
		Language    string  `json:"language"`
		AccountID   string  `json:"account_id"`
		RoleName    string  `json:"role_name"`
		PMI         flexInt `json:"pmi"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: path, out: &w, idempotent: true}); err != nil {
		return nil, fmt.Errorf("zoom: get user %s: %w", id, err)
	}
	return &User{ID: w.ID, Email: w.Email, FirstName: w.FirstName, LastName: w.LastName, DisplayName: w.DisplayName,
		Type: int(w.Type), Status: w.Status, Timezone: w.Timezone, Language: w.Language, AccountID: w.AccountID,
		RoleName: w.RoleName, PMI: int64(w.PMI)}, nil
}
