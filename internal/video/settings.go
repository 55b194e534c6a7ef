package video

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
)

// Settings are a meeting's options, named and typed as Zoom's settings
// object (zoom-api.md §1.5). Every field is a pointer, slice or map so that
// "not set" (nil) differs from false, 0 and "": a Spec sends only the set
// fields, and a Meeting shows what the provider returned.
//
// The first sixteen are the ones DESIGN §2 step 5 reports to the organizer.
type Settings struct {
	HostVideo                    *bool   `json:"host_video,omitempty"`                     // host video on at start
	ParticipantVideo             *bool   `json:"participant_video,omitempty"`              // participant video on at join
	CNMeeting                    *bool   `json:"cn_meeting,omitempty"`                     // host in China (deprecated)
	InMeeting                    *bool   `json:"in_meeting,omitempty"`                     // host in India (deprecated)
	JoinBeforeHost               *bool   `json:"join_before_host,omitempty"`               // off while the waiting room is on
	MuteUponEntry                *bool   `json:"mute_upon_entry,omitempty"`                //
	Watermark                    *bool   `json:"watermark,omitempty"`                      // on shared screens
	UsePMI                       *bool   `json:"use_pmi,omitempty"`                        // host's personal meeting id; types 1, 2, 3
	ApprovalType                 *int    `json:"approval_type,omitempty"`                  // ApproveAuto, ApproveManual, NoRegistration
	Audio                        *string `json:"audio,omitempty"`                          // "both", "telephony", "voip", "thirdParty"
	AutoRecording                *string `json:"auto_recording,omitempty"`                 // "local", "cloud", "none"
	EnforceLogin                 *bool   `json:"enforce_login,omitempty"`                  // deprecated, response only
	EnforceLoginDomains          *string `json:"enforce_login_domains,omitempty"`          // deprecated, response only; ";"-separated
	AlternativeHosts             *string `json:"alternative_hosts,omitempty"`              // ";"-separated e-mails or user ids
	CloseRegistration            *bool   `json:"close_registration,omitempty"`             // after the event date
	RegistrantsConfirmationEmail *bool   `json:"registrants_confirmation_email,omitempty"` //

	JBHTime                             *int    `json:"jbh_time,omitempty"`                                  // 0, 5, 10 (15) minutes before start
	RegistrationType                    *int    `json:"registration_type,omitempty"`                         // 1, 2, 3; type 8 only
	AudioConferenceInfo                 *string `json:"audio_conference_info,omitempty"`                     // third-party audio text
	AlternativeHostsEmailNotification   *bool   `json:"alternative_hosts_email_notification,omitempty"`      //
	AlternativeHostUpdatePolls          *bool   `json:"alternative_host_update_polls,omitempty"`             //
	AlternativeHostManageMeetingSummary *bool   `json:"alternative_host_manage_meeting_summary,omitempty"`   //
	AlternativeHostManageCloudRecording *bool   `json:"alternative_host_manage_cloud_recording,omitempty"`   //
	RegistrantsEmailNotification        *bool   `json:"registrants_email_notification,omitempty"`            //
	WaitingRoom                         *bool   `json:"waiting_room,omitempty"`                              // disables join before host
	MeetingAuthentication               *bool   `json:"meeting_authentication,omitempty"`                    // only signed-in users join
	AuthenticationOption                *string `json:"authentication_option,omitempty"`                     // id from the user's settings
	AuthenticationDomains               *string `json:"authentication_domains,omitempty"`                    // ","-separated, wildcards allowed
	AuthenticationName                  *string `json:"authentication_name,omitempty"`                       // response only
	EncryptionType                      *string `json:"encryption_type,omitempty"`                           // "enhanced_encryption", "e2ee"
	AllowMultipleDevices                *bool   `json:"allow_multiple_devices,omitempty"`                    //
	ShowShareButton                     *bool   `json:"show_share_button,omitempty"`                         //
	ContactName                         *string `json:"contact_name,omitempty"`                              //
	ContactEmail                        *string `json:"contact_email,omitempty"`                             //
	EmailNotification                   *bool   `json:"email_notification,omitempty"`                        //
	PrivateMeeting                      *bool   `json:"private_meeting,omitempty"`                           //
	CalendarType                        *int    `json:"calendar_type,omitempty"`                             // 1 Outlook, 2 Google
	FocusMode                           *bool   `json:"focus_mode,omitempty"`                                //
	HostSaveVideoOrder                  *bool   `json:"host_save_video_order,omitempty"`                     //
	PushChangeToCalendar                *bool   `json:"push_change_to_calendar,omitempty"`                   //
	InternalMeeting                     *bool   `json:"internal_meeting,omitempty"`                          //
	ParticipantFocusedMeeting           *bool   `json:"participant_focused_meeting,omitempty"`               //
	DeviceTesting                       *bool   `json:"device_testing,omitempty"`                            //
	AllowHostControlParticipantMute     *bool   `json:"allow_host_control_participant_mute_state,omitempty"` //
	DisableParticipantVideo             *bool   `json:"disable_participant_video,omitempty"`                 //
	EmailInAttendeeReport               *bool   `json:"email_in_attendee_report,omitempty"`                  //
	AutoStartMeetingSummary             *bool   `json:"auto_start_meeting_summary,omitempty"`                //
	AutoStartAICompanionQuestions       *bool   `json:"auto_start_ai_companion_questions,omitempty"`         //
	WhoWillReceiveSummary               *int    `json:"who_will_receive_summary,omitempty"`                  // 1-4
	WhoCanAskQuestions                  *int    `json:"who_can_ask_questions,omitempty"`                     // 1-5
	SummaryTemplateID                   *string `json:"summary_template_id,omitempty"`                       //

	GlobalDialInCountries       []string                  `json:"global_dial_in_countries,omitempty"`
	GlobalDialInNumbers         []DialInNumber            `json:"global_dial_in_numbers,omitempty"`         // response only
	AdditionalDataCenterRegions []string                  `json:"additional_data_center_regions,omitempty"` // create only
	AuthenticationException     []AuthenticationException `json:"authentication_exception,omitempty"`
	MeetingInvitees             []Invitee                 `json:"meeting_invitees,omitempty"`
	CustomKeys                  []CustomKey               `json:"custom_keys,omitempty"`
	Resources                   []Resource                `json:"resources,omitempty"`

	WaitingRoomOptions                 *WaitingRoomOptions         `json:"waiting_room_options,omitempty"`
	ApprovedOrDeniedCountriesOrRegions *CountryFilter              `json:"approved_or_denied_countries_or_regions,omitempty"`
	BreakoutRoom                       *BreakoutRooms              `json:"breakout_room,omitempty"`
	LanguageInterpretation             *LanguageInterpretation     `json:"language_interpretation,omitempty"`
	SignLanguageInterpretation         *SignLanguageInterpretation `json:"sign_language_interpretation,omitempty"`
	QuestionAndAnswer                  *QuestionAndAnswer          `json:"question_and_answer,omitempty"`
	ContinuousMeetingChat              *ContinuousMeetingChat      `json:"continuous_meeting_chat,omitempty"`
	AutoAddRecordingToVideoManagement  *VideoManagement            `json:"auto_add_recording_to_video_management,omitempty"`

	// Other holds settings this type does not name (Zoom adds some every
	// year), compact JSON by name, so that they survive a round trip.
	Other map[string]json.RawMessage `json:"-"`
}

// Approval types (settings.approval_type).
const (
	ApproveAuto    = 0 // registration, automatically approved
	ApproveManual  = 1 // registration, manually approved
	NoRegistration = 2 // Zoom's default
)

// DialInNumber is a telephone number of a meeting (response only).
type DialInNumber struct {
	City        string `json:"city,omitempty"`
	Country     string `json:"country,omitempty"`
	CountryName string `json:"country_name,omitempty"`
	Number      string `json:"number,omitempty"`
	Type        string `json:"type,omitempty"` // "toll", "tollfree"
}

// AuthenticationException is a participant who may join without meeting
// authentication.
type AuthenticationException struct {
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	JoinURL string `json:"join_url,omitempty"` // response only
}

// Invitee is an invited participant.
type Invitee struct {
	Email string `json:"email"`
}

// CustomKey is a custom key/value of a meeting (key ≤ 64, value ≤ 256).
type CustomKey struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// Resource is a whiteboard shared with the meeting.
type Resource struct {
	ResourceType    string `json:"resource_type,omitempty"` // "whiteboard"
	ResourceID      string `json:"resource_id,omitempty"`
	PermissionLevel string `json:"permission_level,omitempty"` // "editor", "commenter", "viewer"
}

// WaitingRoomOptions says who goes to the waiting room.
type WaitingRoomOptions struct {
	Mode                 string `json:"mode"`                               // "follow_setting", "custom"
	WhoGoesToWaitingRoom string `json:"who_goes_to_waiting_room,omitempty"` // "everyone", "users_not_in_account", …
}

// CountryFilter approves or denies participants by country or region.
type CountryFilter struct {
	Enable       *bool    `json:"enable,omitempty"`
	Method       string   `json:"method,omitempty"` // "approve", "deny"
	ApprovedList []string `json:"approved_list,omitempty"`
	DeniedList   []string `json:"denied_list,omitempty"`
}

// BreakoutRooms pre-assigns participants to breakout rooms.
type BreakoutRooms struct {
	Enable *bool          `json:"enable,omitempty"`
	Rooms  []BreakoutRoom `json:"rooms,omitempty"`
}

// BreakoutRoom is one breakout room.
type BreakoutRoom struct {
	Name         string   `json:"name,omitempty"`
	Participants []string `json:"participants,omitempty"` // e-mail addresses
}

// LanguageInterpretation assigns interpreters.
type LanguageInterpretation struct {
	Enable       *bool         `json:"enable,omitempty"`
	Interpreters []Interpreter `json:"interpreters,omitempty"`
}

// Interpreter is a language interpreter.
type Interpreter struct {
	Email                string `json:"email,omitempty"`
	Languages            string `json:"languages,omitempty"` // "US,CN"
	InterpreterLanguages string `json:"interpreter_languages,omitempty"`
}

// SignLanguageInterpretation assigns sign-language interpreters.
type SignLanguageInterpretation struct {
	Enable       *bool                     `json:"enable,omitempty"`
	Interpreters []SignLanguageInterpreter `json:"interpreters,omitempty"`
}

// SignLanguageInterpreter is a sign-language interpreter.
type SignLanguageInterpreter struct {
	Email        string `json:"email,omitempty"`
	SignLanguage string `json:"sign_language,omitempty"`
}

// QuestionAndAnswer configures meeting Q&A.
type QuestionAndAnswer struct {
	Enable                  *bool  `json:"enable,omitempty"`
	AllowSubmitQuestions    *bool  `json:"allow_submit_questions,omitempty"`
	AllowAnonymousQuestions *bool  `json:"allow_anonymous_questions,omitempty"`
	QuestionVisibility      string `json:"question_visibility,omitempty"` // "answered", "all"
	AttendeesCanComment     *bool  `json:"attendees_can_comment,omitempty"`
	AttendeesCanUpvote      *bool  `json:"attendees_can_upvote,omitempty"`
}

// ContinuousMeetingChat configures the chat channel that outlives the
// meeting.
type ContinuousMeetingChat struct {
	Enable                      *bool  `json:"enable,omitempty"`
	AutoAddInvitedExternalUsers *bool  `json:"auto_add_invited_external_users,omitempty"`
	AutoAddMeetingParticipants  *bool  `json:"auto_add_meeting_participants,omitempty"`
	ChannelID                   string `json:"channel_id,omitempty"` // response only
}

// VideoManagement adds cloud recordings to video channels.
type VideoManagement struct {
	Enable   *bool          `json:"enable,omitempty"`
	Channels []VideoChannel `json:"channels,omitempty"`
}

// VideoChannel is a video-management channel.
type VideoChannel struct {
	ChannelID string `json:"channel_id"`
	Name      string `json:"name,omitempty"`
}

// settingsPlain is Settings without its JSON methods.
type settingsPlain Settings

// settingNames are the JSON names of Settings' fields.
var settingNames = sync.OnceValue(func() []string {
	t := reflect.TypeFor[Settings]()
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
})

// known reports whether key names a Settings field. Like encoding/json it
// matches names without regard to case, so that a key it would decode into a
// field is never also kept in Other.
func known(key string) bool {
	for _, n := range settingNames() {
		if strings.EqualFold(n, key) {
			return true
		}
	}
	return false
}

// UnmarshalJSON reads Zoom's settings object, keeping unknown settings in
// Other.
func (s *Settings) UnmarshalJSON(b []byte) error {
	// Zoom's answers seldom hold a setting this type does not name: decode
	// in one pass, and in two (the fields, then the others) only when the
	// first meets a name it does not know, or any other error, which the
	// second then reports.
	var p settingsPlain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err == nil {
		if _, err := dec.Token(); errors.Is(err, io.EOF) {
			*s = Settings(p)
			return nil
		}
	}
	p = settingsPlain{}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k, v := range all {
		if known(k) {
			continue
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return err
		}
		if p.Other == nil {
			p.Other = map[string]json.RawMessage{}
		}
		p.Other[k] = c.Bytes()
	}
	*s = Settings(p)
	return nil
}

// MarshalJSON writes s as Zoom's settings object: the set fields, then the
// Other settings whose names no field has.
func (s Settings) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(settingsPlain(s))
	if err != nil || len(s.Other) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range s.Other {
		if !known(k) {
			all[k] = v
		}
	}
	return json.Marshal(all)
}

// IsZero reports whether no setting is set.
func (s Settings) IsZero() bool {
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		if !v.Field(i).IsNil() {
			return false
		}
	}
	return true
}

// Overlay returns s with every setting that o sets replaced by o's: apply
// the host's defaults, then the account's, then the request's (LESSONS
// "Host settings ignored"). Other settings are merged by name.
func (s Settings) Overlay(o Settings) Settings {
	r := s
	rv := reflect.ValueOf(&r).Elem()
	ov := reflect.ValueOf(o)
	for i := range ov.NumField() {
		if ov.Type().Field(i).Name == "Other" {
			continue
		}
		if f := ov.Field(i); !f.IsNil() {
			rv.Field(i).Set(f)
		}
	}
	if len(o.Other) > 0 {
		m := make(map[string]json.RawMessage, len(s.Other)+len(o.Other))
		for k, v := range s.Other {
			m[k] = v
		}
		for k, v := range o.Other {
			m[k] = v
		}
		r.Other = m
	}
	return r
}
