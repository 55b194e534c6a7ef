package msgraph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/convene/convene/internal/video"
)

// Teams is Teams online meetings as a video.Provider, through
// /users/{id}/onlineMeetings. It needs the OnlineMeetings.ReadWrite.All
// application permission and an application access policy granted to the
// organizers (Grant-CsApplicationAccessPolicy); without it Graph answers
// 403, reported as video.ErrForbidden.
//
// A Teams meeting's id belongs to its organizer: the ids Convene keeps
// are "organizer/meetingId" (MeetingID), so that Get, Update and Delete
// can name the organizer's /users/{id}/onlineMeetings/{id}.
//
// Rules: Teams takes none of Zoom's settings, and a series is one meeting
// whose link serves every occurrence (Recurrence stays nil).
type Teams struct {
	*Client
}

var _ video.Provider = Teams{}

// Name is the provider's name as stored with a booking.
func (t Teams) Name() string { return ProviderName }

// onlineMeeting is Graph's onlineMeeting.
type onlineMeeting struct {
	ID                    string `json:"id,omitempty"`
	Subject               string `json:"subject,omitempty"`
	StartDateTime         string `json:"startDateTime,omitempty"`
	EndDateTime           string `json:"endDateTime,omitempty"`
	CreationDateTime      string `json:"creationDateTime,omitempty"`
	JoinWebURL            string `json:"joinWebUrl,omitempty"`
	ExternalID            string `json:"externalId,omitempty"`
	VideoTeleconferenceID string `json:"videoTeleconferenceId,omitempty"`
	AudioConferencing     *struct {
		ConferenceID    string   `json:"conferenceId"`
		TollNumber      string   `json:"tollNumber"`
		TollFreeNumber  string   `json:"tollFreeNumber"`
		TollNumbers     []string `json:"tollNumbers"`
		TollFreeNumbers []string `json:"tollFreeNumbers"`
		DialinURL       string   `json:"dialinUrl"`
	} `json:"audioConferencing,omitempty"`
	Participants *struct {
		Organizer *struct {
			UPN      string `json:"upn"`
			Identity *struct {
				User *struct {
					ID string `json:"id"`
				} `json:"user"`
			} `json:"identity"`
		} `json:"organizer"`
	} `json:"participants,omitempty"`
}

// MeetingID is the id Convene keeps of organizer's Teams meeting id.
func MeetingID(organizer, id string) string { return organizer + "/" + id }

func splitID(id string) (organizer, meeting string, err error) {
	organizer, meeting, ok := strings.Cut(id, "/")
	if !ok || organizer == "" || meeting == "" {
		return "", "", fmt.Errorf("msgraph: %q is not organizer/meetingId: %w", id, video.ErrNotFound)
	}
	return organizer, meeting, nil
}

// externalID derives createOrGet's externalId from the side effect's key.
func externalID(key string) string {
	sum := sha256.Sum256([]byte("convene-meeting:" + key))
	return hex.EncodeToString(sum[:20])
}

func (t Teams) body(spec video.Spec) (*onlineMeeting, error) {
	if spec.Recurrence != nil {
		return nil, &video.ValidationError{Field: "recurrence", Message: "a Teams meeting has one link for every occurrence; no recurrence is sent"}
	}
	m := &onlineMeeting{Subject: spec.Topic}
	if !spec.StartTime.IsZero() {
		m.StartDateTime = spec.StartTime.UTC().Format(time.RFC3339)
		if spec.Duration > 0 {
			m.EndDateTime = spec.StartTime.Add(time.Duration(spec.Duration) * time.Minute).UTC().Format(time.RFC3339)
		}
	}
	return m, nil
}

// Create makes a meeting through CreateOnce with a fresh key: Graph's
// createOrGet needs an externalId in any case.
func (t Teams) Create(ctx context.Context, host string, spec video.Spec) (*video.Meeting, error) {
	return t.CreateOnce(ctx, host, spec, video.CreateRef{Key: fmt.Sprintf("create/%s/%d", host, t.now().UnixNano())})
}

// CreateOnce is POST /users/{id}/onlineMeetings/createOrGet with an
// externalId derived from ref.Key: Graph returns the meeting an earlier
// call with the same externalId made, so a repeat never makes a second.
func (t Teams) CreateOnce(ctx context.Context, host string, spec video.Spec, ref video.CreateRef) (*video.Meeting, error) {
	if ref.Key == "" {
		return nil, fmt.Errorf("msgraph: CreateOnce needs a key")
	}
	body, err := t.body(spec)
	if err != nil {
		return nil, err
	}
	body.ExternalID = externalID(ref.Key)
	if ref.Posting != nil {
		if err := ref.Posting(ctx, t.now()); err != nil {
			return nil, err
		}
	}
	var out onlineMeeting
	err = t.asUser(ctx, host, func(base string) error {
		return t.do(ctx, request{method: "POST", path: base + "/onlineMeetings/createOrGet", body: body, out: &out, idempotent: true})
	})
	if err != nil {
		return nil, err
	}
	return meetingOf(host, &out), nil
}

// Get reads organizer's meeting; occurrenceID must be empty (no series).
func (t Teams) Get(ctx context.Context, id, occurrenceID string) (*video.Meeting, error) {
	host, mid, err := splitID(id)
	if err != nil {
		return nil, err
	}
	var out onlineMeeting
	if err := t.do(ctx, request{method: "GET", path: t.userBase(host) + "/onlineMeetings/" + url.PathEscape(mid), out: &out}); err != nil {
		return nil, err
	}
	return meetingOf(host, &out), nil
}

// Update changes the subject and times (PATCH); the meeting as Graph has
// it after is returned.
func (t Teams) Update(ctx context.Context, id, occurrenceID string, spec video.Spec) (*video.Meeting, error) {
	host, mid, err := splitID(id)
	if err != nil {
		return nil, err
	}
	body, err := t.body(spec)
	if err != nil {
		return nil, err
	}
	var out onlineMeeting
	if err := t.do(ctx, request{method: "PATCH", path: t.userBase(host) + "/onlineMeetings/" + url.PathEscape(mid), body: body, out: &out, idempotent: true}); err != nil {
		return nil, err
	}
	if out.ID == "" {
		return t.Get(ctx, id, "")
	}
	return meetingOf(host, &out), nil
}

// Delete removes the meeting; Teams mails nobody about it.
func (t Teams) Delete(ctx context.Context, id, occurrenceID string) error {
	host, mid, err := splitID(id)
	if err != nil {
		return err
	}
	return t.do(ctx, request{method: "DELETE", path: t.userBase(host) + "/onlineMeetings/" + url.PathEscape(mid), idempotent: true})
}

// List is not supported: Graph lists no user's online meetings (only
// finds one by joinWebUrl), so the app does not Reconcile.
func (t Teams) List(ctx context.Context, host string) ([]video.Meeting, error) {
	return nil, fmt.Errorf("msgraph: Teams meetings cannot be listed: %w", video.ErrNotSupported)
}

// Invitation returns the join and dial-in text Convene writes in its
// invitations (Teams has no invitation endpoint).
func (t Teams) Invitation(ctx context.Context, id string) (*video.Invitation, error) {
	m, err := t.Get(ctx, id, "")
	if err != nil {
		return nil, err
	}
	return &video.Invitation{Text: m.Invitation}, nil
}

// meetingOf is a Teams meeting in video's form: the join link, the
// dial-in (toll number, conference id, dial-in URL) in PSTNPassword and
// Invitation, and the video teleconference id (for room systems) in
// H323Password.
func meetingOf(host string, om *onlineMeeting) *video.Meeting {
	m := &video.Meeting{Provider: ProviderName, ID: MeetingID(host, om.ID), HostEmail: host, Topic: om.Subject, Type: video.Scheduled,
		JoinURL: om.JoinWebURL, H323Password: om.VideoTeleconferenceID}
	if om.Participants != nil && om.Participants.Organizer != nil && om.Participants.Organizer.Identity != nil && om.Participants.Organizer.Identity.User != nil {
		m.HostID = om.Participants.Organizer.Identity.User.ID
	}
	s, err1 := time.Parse(time.RFC3339Nano, om.StartDateTime)
	e, err2 := time.Parse(time.RFC3339Nano, om.EndDateTime)
	if err1 == nil {
		m.StartTime = s.UTC()
		if err2 == nil {
			m.Duration = int(e.Sub(s) / time.Minute)
		}
	}
	if c, err := time.Parse(time.RFC3339Nano, om.CreationDateTime); err == nil {
		m.CreatedAt = c.UTC()
	}
	var toll, conf, dialURL string
	if ac := om.AudioConferencing; ac != nil {
		toll, conf, dialURL = ac.TollNumber, ac.ConferenceID, ac.DialinURL
		if toll == "" && len(ac.TollNumbers) > 0 {
			toll = ac.TollNumbers[0]
		}
		m.PSTNPassword = conf
	}
	m.Invitation = dialIn(om.JoinWebURL, toll, conf, dialURL)
	if om.VideoTeleconferenceID != "" {
		m.Invitation += "Video conferencing device ID: " + om.VideoTeleconferenceID + "\r\n"
	}
	return m
}

// dialIn words a Teams meeting's join and dial-in details, lines ending in
// CRLF like the providers' invitation texts.
func dialIn(joinURL, toll, conferenceID, dialURL string) string {
	var b strings.Builder
	if joinURL != "" {
		b.WriteString("Join the Microsoft Teams meeting: " + joinURL + "\r\n")
	}
	if toll != "" {
		b.WriteString("Dial in: " + toll)
		if conferenceID != "" {
			b.WriteString(",," + conferenceID + "#")
		}
		b.WriteString("\r\n")
	}
	if conferenceID != "" {
		b.WriteString("Conference ID: " + conferenceID + "#\r\n")
	}
	if dialURL != "" {
		b.WriteString("Local numbers: " + dialURL + "\r\n")
	}
	return b.String()
}
