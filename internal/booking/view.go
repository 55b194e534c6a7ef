package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// View is a meeting as the API shows it (DESIGN.md §4).
type View struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Subject       string          `json:"subject"`
	Type          string          `json:"type"`
	StartTime     string          `json:"start_time"` // RFC 3339 with the offset of timezone
	EndTime       string          `json:"end_time"`
	TimeZone      string          `json:"timezone"`
	Duration      int             `json:"duration"`
	Recurrence    *RecurrenceView `json:"recurrence"`
	Description   string          `json:"description"`
	Password      string          `json:"password,omitempty"`
	Organizer     PersonView      `json:"organizer"`
	Attendees     []AttendeeView  `json:"attendees"`
	VideoProvider string          `json:"video_provider"`
	Video         *VideoView      `json:"video"`
	Problem       string          `json:"problem,omitempty"`
	Options       []OptionView    `json:"options,omitempty"`
	Sequence      int             `json:"sequence"`
	UID           string          `json:"uid"`
	Created       time.Time       `json:"created_at"`
	Updated       time.Time       `json:"updated_at"`
}

// RecurrenceView is a series' rule and its occurrences.
type RecurrenceView struct {
	RRule       string           `json:"rrule"`
	Occurrences []OccurrenceView `json:"occurrences"`
}

// OccurrenceView is one occurrence of a series.
type OccurrenceView struct {
	OccurrenceID string `json:"occurrence_id"`
	StartTime    string `json:"start_time"`
	EndTime      string `json:"end_time"`
	Status       string `json:"status"`
}

// PersonView is a name and an address.
type PersonView struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	// Removed: the organizer was removed from the account; the meeting is
	// kept for the record.
	Removed bool `json:"removed,omitempty"`
}

// AttendeeView is an invitee and their answer.
type AttendeeView struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Response string `json:"response"`
}

// OptionView is a proposed time.
type OptionView struct {
	StartTime string  `json:"start_time"`
	EndTime   string  `json:"end_time"`
	Score     float64 `json:"score"`
}

// VideoView is every detail of the video meeting (DESIGN.md §2 step 5).
// StartURL is shown to the organizer only.
type VideoView struct {
	Provider     string             `json:"provider"`
	ID           string             `json:"id"`
	UUID         string             `json:"uuid,omitempty"`
	HostID       string             `json:"host_id,omitempty"`
	HostEmail    string             `json:"host_email,omitempty"`
	Topic        string             `json:"topic"`
	Type         video.MeetingType  `json:"type"`
	StartTime    string             `json:"start_time,omitempty"`
	Duration     int                `json:"duration"`
	TimeZone     string             `json:"timezone,omitempty"`
	Password     string             `json:"password,omitempty"`
	H323Password string             `json:"h323_password,omitempty"`
	PSTNPassword string             `json:"pstn_password,omitempty"`
	JoinURL      string             `json:"join_url"`
	StartURL     string             `json:"start_url,omitempty"`
	Invitation   string             `json:"invitation,omitempty"`
	Settings     video.Settings     `json:"settings"`
	Occurrences  []video.Occurrence `json:"occurrences,omitempty"`
	Recurrence   *video.Recurrence  `json:"recurrence,omitempty"`
}

func (s *Service) view(ctx context.Context, p account.Principal, m *store.Meeting) (*View, error) {
	org, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return nil, fmt.Errorf("booking: organizer of %s: %w", m.ID, err)
	}
	var occ []store.Occurrence
	if m.RRule != "" {
		if occ, err = s.Store.Occurrences(ctx, m.AccountID, m.ID); err != nil {
			return nil, fmt.Errorf("booking: occurrences of %s: %w", m.ID, err)
		}
	}
	var vm *video.Meeting
	if len(m.Video) > 0 {
		vm = new(video.Meeting)
		if err := json.Unmarshal(m.Video, vm); err != nil {
			return nil, fmt.Errorf("booking: video of %s: %w", m.ID, err)
		}
		vm.StartURL = ""
		if p.UserID == m.OrganizerID && m.StartURL != "" {
			if su, err := s.Box.Open(m.StartURL, "meeting/"+m.ID+"/start_url"); err == nil {
				vm.StartURL = su
			}
		}
	}
	return s.viewWith(p, m, org, occ, vm)
}

// viewOf is the view of a meeting this request has just stored, with its
// organizer and its video meeting as the provider answered: nothing is read
// again. A series' occurrences are read.
func (s *Service) viewOf(ctx context.Context, p account.Principal, m *store.Meeting, org *store.User, vm *video.Meeting) (*View, error) {
	if m.RRule != "" {
		return s.view(ctx, p, m)
	}
	if vm != nil && p.UserID != m.OrganizerID {
		shown := *vm
		shown.StartURL = ""
		vm = &shown
	}
	return s.viewWith(p, m, org, nil, vm)
}

// viewWith builds the view of m, organized by org, with a series'
// occurrences and its video meeting (whose StartURL is shown as it is).
func (s *Service) viewWith(p account.Principal, m *store.Meeting, org *store.User, occ []store.Occurrence, vm *video.Meeting) (*View, error) {
	loc, err := recur.IANA(m.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	v := &View{
		ID: m.ID, Status: m.Status, Subject: m.Subject, Type: m.Type, TimeZone: m.TimeZone, Duration: m.Duration,
		StartTime: m.Start.In(loc).Format(time.RFC3339), EndTime: m.End.In(loc).Format(time.RFC3339),
		Description: m.Description, Password: m.Password, VideoProvider: providerName(m.VideoProvider),
		Problem: m.Problem, Sequence: m.Sequence, UID: m.UID, Created: m.Created, Updated: m.Updated,
		Attendees: []AttendeeView{},
	}
	v.Organizer = PersonView{Email: org.Email, Name: org.Name, Removed: !org.Removed.IsZero()}
	for _, a := range m.Attendees {
		v.Attendees = append(v.Attendees, AttendeeView{Email: a.Email, Name: a.Name, Response: a.Response})
	}
	if m.RRule != "" {
		rv := &RecurrenceView{RRule: m.RRule, Occurrences: []OccurrenceView{}}
		for _, o := range occ {
			rv.Occurrences = append(rv.Occurrences, OccurrenceView{OccurrenceID: o.ID, StartTime: o.Start.In(loc).Format(time.RFC3339),
				EndTime: o.End.In(loc).Format(time.RFC3339), Status: o.Status})
		}
		v.Recurrence = rv
	}
	if len(m.Options) > 2 {
		if err := json.Unmarshal(m.Options, &v.Options); err != nil {
			return nil, fmt.Errorf("booking: options of %s: %w", m.ID, err)
		}
	}
	if vm != nil {
		vv := &VideoView{
			Provider: vm.Provider, ID: vm.ID, UUID: vm.UUID, HostID: vm.HostID, HostEmail: vm.HostEmail, Topic: vm.Topic,
			Type: vm.Type, Duration: vm.Duration, TimeZone: vm.Timezone, Password: vm.Password,
			H323Password: vm.H323Password, PSTNPassword: vm.PSTNPassword, JoinURL: vm.JoinURL, Invitation: vm.Invitation,
			Settings: vm.Settings, Occurrences: vm.Occurrences, Recurrence: vm.Recurrence,
		}
		if !vm.StartTime.IsZero() {
			vv.StartTime = vm.StartTime.UTC().Format(time.RFC3339)
		}
		if p.UserID == m.OrganizerID {
			vv.StartURL = vm.StartURL
		}
		v.Video = vv
	}
	return v, nil
}
