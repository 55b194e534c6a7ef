package zoomsandbox

import (
	"reflect"
	"strings"
)

// settings is a meeting's settings object (zoom-api.md §1.5: SPEC23's
// fields, then the newer ones Rivet 0.4's typings add). Every field is a
// pointer so that a PATCH changes only what it names and a response can tell
// "unset" (filled from the host's defaults) from false.
type settings struct {
	HostVideo                          *bool                   `json:"host_video,omitempty"`
	ParticipantVideo                   *bool                   `json:"participant_video,omitempty"`
	CNMeeting                          *bool                   `json:"cn_meeting,omitempty"`
	InMeeting                          *bool                   `json:"in_meeting,omitempty"`
	JoinBeforeHost                     *bool                   `json:"join_before_host,omitempty"`
	JBHTime                            *int                    `json:"jbh_time,omitempty"`
	MuteUponEntry                      *bool                   `json:"mute_upon_entry,omitempty"`
	Watermark                          *bool                   `json:"watermark,omitempty"`
	UsePMI                             *bool                   `json:"use_pmi,omitempty"`
	ApprovalType                       *int                    `json:"approval_type,omitempty"`
	RegistrationType                   *int                    `json:"registration_type,omitempty"`
	Audio                              *string                 `json:"audio,omitempty"`
	AudioConferenceInfo                *string                 `json:"audio_conference_info,omitempty"`
	AutoRecording                      *string                 `json:"auto_recording,omitempty"`
	EnforceLogin                       *bool                   `json:"enforce_login,omitempty"`
	EnforceLoginDomains                *string                 `json:"enforce_login_domains,omitempty"`
	AlternativeHosts                   *string                 `json:"alternative_hosts,omitempty"`
	AlternativeHostsEmailNotification  *bool                   `json:"alternative_hosts_email_notification,omitempty"`
	AlternativeHostUpdatePolls         *bool                   `json:"alternative_host_update_polls,omitempty"`
	AlternativeHostManageMeetingSumm   *bool                   `json:"alternative_host_manage_meeting_summary,omitempty"`
	AlternativeHostManageCloudRec      *bool                   `json:"alternative_host_manage_cloud_recording,omitempty"`
	CloseRegistration                  *bool                   `json:"close_registration,omitempty"`
	ShowShareButton                    *bool                   `json:"show_share_button,omitempty"`
	AllowMultipleDevices               *bool                   `json:"allow_multiple_devices,omitempty"`
	RegistrantsConfirmationEmail       *bool                   `json:"registrants_confirmation_email,omitempty"`
	RegistrantsEmailNotification       *bool                   `json:"registrants_email_notification,omitempty"`
	WaitingRoom                        *bool                   `json:"waiting_room,omitempty"`
	WaitingRoomOptions                 *waitingRoomOptions     `json:"waiting_room_options,omitempty"`
	MeetingAuthentication              *bool                   `json:"meeting_authentication,omitempty"`
	AuthenticationOption               *string                 `json:"authentication_option,omitempty"`
	AuthenticationDomains              *string                 `json:"authentication_domains,omitempty"`
	AuthenticationName                 *string                 `json:"authentication_name,omitempty"`
	AuthenticationException            *[]authException        `json:"authentication_exception,omitempty"`
	EncryptionType                     *string                 `json:"encryption_type,omitempty"`
	ContactName                        *string                 `json:"contact_name,omitempty"`
	ContactEmail                       *string                 `json:"contact_email,omitempty"`
	EmailNotification                  *bool                   `json:"email_notification,omitempty"`
	PrivateMeeting                     *bool                   `json:"private_meeting,omitempty"`
	CalendarType                       *int                    `json:"calendar_type,omitempty"`
	FocusMode                          *bool                   `json:"focus_mode,omitempty"`
	HostSaveVideoOrder                 *bool                   `json:"host_save_video_order,omitempty"`
	GlobalDialInCountries              *[]string               `json:"global_dial_in_countries,omitempty"`
	GlobalDialInNumbers                *[]dialInNumber         `json:"global_dial_in_numbers,omitempty"`
	AdditionalDataCenterRegions        *[]string               `json:"additional_data_center_regions,omitempty"`
	ApprovedOrDeniedCountriesOrRegions *approvedDenied         `json:"approved_or_denied_countries_or_regions,omitempty"`
	BreakoutRoom                       *breakoutRoom           `json:"breakout_room,omitempty"`
	LanguageInterpretation             *languageInterpretation `json:"language_interpretation,omitempty"`
	SignLanguageInterpretation         *signLanguage           `json:"sign_language_interpretation,omitempty"`
	MeetingInvitees                    *[]invitee              `json:"meeting_invitees,omitempty"`
	CustomKeys                         *[]customKey            `json:"custom_keys,omitempty"`
	QuestionAndAnswer                  *questionAndAnswer      `json:"question_and_answer,omitempty"`
	ContinuousMeetingChat              *continuousChat         `json:"continuous_meeting_chat,omitempty"`
	AutoAddRecordingToVideoManagement  *videoManagement        `json:"auto_add_recording_to_video_management,omitempty"`
	PushChangeToCalendar               *bool                   `json:"push_change_to_calendar,omitempty"`
	InternalMeeting                    *bool                   `json:"internal_meeting,omitempty"`
	ParticipantFocusedMeeting          *bool                   `json:"participant_focused_meeting,omitempty"`
	DeviceTesting                      *bool                   `json:"device_testing,omitempty"`
	AllowHostControlParticipantMute    *bool                   `json:"allow_host_control_participant_mute_state,omitempty"`
	DisableParticipantVideo            *bool                   `json:"disable_participant_video,omitempty"`
	EmailInAttendeeReport              *bool                   `json:"email_in_attendee_report,omitempty"`
	AutoStartMeetingSummary            *bool                   `json:"auto_start_meeting_summary,omitempty"`
	AutoStartAICompanionQuestions      *bool                   `json:"auto_start_ai_companion_questions,omitempty"`
	WhoWillReceiveSummary              *int                    `json:"who_will_receive_summary,omitempty"`
	WhoCanAskQuestions                 *int                    `json:"who_can_ask_questions,omitempty"`
	SummaryTemplateID                  *string                 `json:"summary_template_id,omitempty"`
	Resources                          *[]resource             `json:"resources,omitempty"`
}

type waitingRoomOptions struct {
	Mode                 string `json:"mode"`
	WhoGoesToWaitingRoom string `json:"who_goes_to_waiting_room,omitempty"`
}

type authException struct {
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	JoinURL string `json:"join_url,omitempty"`
}

type dialInNumber struct {
	City        string `json:"city,omitempty"`
	Country     string `json:"country"`
	CountryName string `json:"country_name"`
	Number      string `json:"number"`
	Type        string `json:"type"`
}

type approvedDenied struct {
	Enable       *bool    `json:"enable,omitempty"`
	Method       string   `json:"method,omitempty"`
	ApprovedList []string `json:"approved_list,omitempty"`
	DeniedList   []string `json:"denied_list,omitempty"`
}

type breakoutRoom struct {
	Enable *bool `json:"enable,omitempty"`
	Rooms  []struct {
		Name         string   `json:"name,omitempty"`
		Participants []string `json:"participants,omitempty"`
	} `json:"rooms,omitempty"`
}

type languageInterpretation struct {
	Enable       *bool `json:"enable,omitempty"`
	Interpreters []struct {
		Email                string `json:"email,omitempty"`
		Languages            string `json:"languages,omitempty"`
		InterpreterLanguages string `json:"interpreter_languages,omitempty"`
	} `json:"interpreters,omitempty"`
}

type signLanguage struct {
	Enable       *bool `json:"enable,omitempty"`
	Interpreters []struct {
		Email        string `json:"email,omitempty"`
		SignLanguage string `json:"sign_language,omitempty"`
	} `json:"interpreters,omitempty"`
}

type invitee struct {
	Email string `json:"email"`
}

type customKey struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

type questionAndAnswer struct {
	Enable                  *bool  `json:"enable,omitempty"`
	AllowSubmitQuestions    *bool  `json:"allow_submit_questions,omitempty"`
	AllowAnonymousQuestions *bool  `json:"allow_anonymous_questions,omitempty"`
	QuestionVisibility      string `json:"question_visibility,omitempty"`
	AttendeesCanComment     *bool  `json:"attendees_can_comment,omitempty"`
	AttendeesCanUpvote      *bool  `json:"attendees_can_upvote,omitempty"`
}

type continuousChat struct {
	Enable                      *bool  `json:"enable,omitempty"`
	AutoAddInvitedExternalUsers *bool  `json:"auto_add_invited_external_users,omitempty"`
	AutoAddMeetingParticipants  *bool  `json:"auto_add_meeting_participants,omitempty"`
	ChannelID                   string `json:"channel_id,omitempty"`
}

type videoManagement struct {
	Enable   *bool `json:"enable"`
	Channels []struct {
		ChannelID string `json:"channel_id"`
		Name      string `json:"name,omitempty"`
	} `json:"channels,omitempty"`
}

type resource struct {
	ResourceType    string `json:"resource_type"`
	ResourceID      string `json:"resource_id"`
	PermissionLevel string `json:"permission_level,omitempty"`
}

// merge copies every field that patch sets into s (PATCH semantics,
// zoom-api.md §1.8: omitted fields stay unchanged, objects are replaced per
// field).
func (s *settings) merge(patch *settings) {
	if patch == nil {
		return
	}
	dst := reflect.ValueOf(s).Elem()
	src := reflect.ValueOf(patch).Elem()
	for i := range src.NumField() {
		if f := src.Field(i); !f.IsNil() {
			dst.Field(i).Set(f)
		}
	}
}

// occurrenceSettingsOnly keeps the settings an occurrence may change
// (SPEC23 meetingUpdate, occurrence_id) and reports whether the patch named
// any other.
func (s *settings) occurrenceSettingsOnly() (kept *settings, other []string) {
	if s == nil {
		return nil, nil
	}
	allowed := map[string]bool{"host_video": true, "participant_video": true, "join_before_host": true,
		"mute_upon_entry": true, "waiting_room": true, "watermark": true, "auto_recording": true}
	kept = &settings{}
	src := reflect.ValueOf(s).Elem()
	dst := reflect.ValueOf(kept).Elem()
	t := src.Type()
	for i := range src.NumField() {
		if src.Field(i).IsNil() {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if allowed[name] {
			dst.Field(i).Set(src.Field(i))
		} else {
			other = append(other, "settings."+name)
		}
	}
	return kept, other
}

func ptr[T any](v T) *T { return &v }

// withDefaults returns the settings as a GET answers them: what the meeting
// set, and the host's defaults for the rest (zoom-api.md §1.5 defaults; since
// 2025-03 unset values follow the host's settings, which in the sandbox are
// these).
func (s settings) withDefaults() settings {
	d := settings{
		HostVideo:                         ptr(false),
		ParticipantVideo:                  ptr(false),
		CNMeeting:                         ptr(false),
		InMeeting:                         ptr(false),
		JoinBeforeHost:                    ptr(false),
		JBHTime:                           ptr(0),
		MuteUponEntry:                     ptr(false),
		Watermark:                         ptr(false),
		UsePMI:                            ptr(false),
		ApprovalType:                      ptr(2),
		Audio:                             ptr("both"),
		AutoRecording:                     ptr("none"),
		EnforceLogin:                      ptr(false),
		EnforceLoginDomains:               ptr(""),
		AlternativeHosts:                  ptr(""),
		AlternativeHostsEmailNotification: ptr(true),
		AlternativeHostUpdatePolls:        ptr(false),
		CloseRegistration:                 ptr(false),
		ShowShareButton:                   ptr(false),
		AllowMultipleDevices:              ptr(false),
		RegistrantsConfirmationEmail:      ptr(true),
		RegistrantsEmailNotification:      ptr(true),
		WaitingRoom:                       ptr(false),
		MeetingAuthentication:             ptr(false),
		EncryptionType:                    ptr("enhanced_encryption"),
		EmailNotification:                 ptr(true),
		PrivateMeeting:                    ptr(false),
		FocusMode:                         ptr(false),
		HostSaveVideoOrder:                ptr(false),
		GlobalDialInCountries:             ptr([]string{"US"}),
		GlobalDialInNumbers: ptr([]dialInNumber{
			{City: "New York", Country: "US", CountryName: "US", Number: "+1 646 558 8656", Type: "toll"},
			{City: "San Jose", Country: "US", CountryName: "US", Number: "+1 669 900 6833", Type: "toll"},
		}),
		ApprovedOrDeniedCountriesOrRegions: &approvedDenied{Enable: ptr(false)},
		BreakoutRoom:                       &breakoutRoom{Enable: ptr(false)},
		InternalMeeting:                    ptr(false),
		ContinuousMeetingChat:              &continuousChat{Enable: ptr(false), AutoAddInvitedExternalUsers: ptr(false)},
		ParticipantFocusedMeeting:          ptr(false),
		PushChangeToCalendar:               ptr(false),
		DeviceTesting:                      ptr(false),
		AllowHostControlParticipantMute:    ptr(false),
		EmailInAttendeeReport:              ptr(false),
		AutoStartMeetingSummary:            ptr(false),
		AutoStartAICompanionQuestions:      ptr(false),
		SignLanguageInterpretation:         &signLanguage{Enable: ptr(false)},
	}
	d.merge(&s)
	// A request cannot set the dial-in numbers; they are the account's.
	d.GlobalDialInNumbers = ptr(dialInNumbersFor(*d.GlobalDialInCountries))
	d.AdditionalDataCenterRegions = nil // create-only, not echoed
	return d
}

// dialInNumbersFor lists the sandbox's dial-in numbers of the countries (US
// when none is known).
func dialInNumbersFor(countries []string) []dialInNumber {
	known := map[string][]dialInNumber{
		"US": {
			{City: "New York", Country: "US", CountryName: "US", Number: "+1 646 558 8656", Type: "toll"},
			{City: "San Jose", Country: "US", CountryName: "US", Number: "+1 669 900 6833", Type: "toll"},
		},
		"FR": {{City: "Paris", Country: "FR", CountryName: "France", Number: "+33 1 7037 2246", Type: "toll"}},
		"DE": {{City: "Frankfurt", Country: "DE", CountryName: "Germany", Number: "+49 69 3807 9883", Type: "toll"}},
		"GB": {{City: "London", Country: "GB", CountryName: "United Kingdom", Number: "+44 203 481 5237", Type: "toll"}},
	}
	var out []dialInNumber
	for _, c := range countries {
		out = append(out, known[strings.ToUpper(c)]...)
	}
	if len(out) == 0 {
		out = known["US"]
	}
	return out
}
