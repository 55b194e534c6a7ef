package zoom

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/video"
)

// The JSON names the client writes and reads are Zoom's own: checked
// against Zoom's OpenAPI document (shared/zoom/ZoomMeetingAPISpec.json,
// SPEC23) in both directions, so that a misspelt field cannot hide behind
// test servers that share the client's structs, and no documented field is
// left out. Fields newer than SPEC23 are allowed by name only where
// zoom-api.md lists them.

type schema struct {
	Type       string             `json:"type"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
}

func (s *schema) object() *schema {
	if s != nil && s.Type == "array" && s.Items != nil {
		return s.Items
	}
	return s
}

func (s *schema) names() []string {
	var n []string
	for k := range s.object().Properties {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

func loadSpec(t *testing.T) map[string]map[string]struct {
	RequestBody struct {
		Content map[string]struct{ Schema *schema } `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct{ Schema *schema } `json:"content"`
	} `json:"responses"`
} {
	t.Helper()
	b, err := os.ReadFile(testenv.ZoomSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct{ Schema *schema } `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct{ Schema *schema } `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Paths
}

// jsonNames returns the JSON names of t's fields.
func jsonNames(t reflect.Type) []string {
	var n []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			n = append(n, name)
		}
	}
	slices.Sort(n)
	return n
}

// merge returns the union of the property sets of the schemas.
func merge(ss ...*schema) *schema {
	out := &schema{Type: "object", Properties: map[string]*schema{}}
	for _, s := range ss {
		for k, v := range s.object().Properties {
			if out.Properties[k] == nil {
				out.Properties[k] = v
			}
		}
	}
	return out
}

func TestFieldNamesAreZooms(t *testing.T) {
	paths := loadSpec(t)
	create := paths["/users/{userId}/meetings"]["post"].RequestBody.Content["application/json"].Schema
	update := paths["/meetings/{meetingId}"]["patch"].RequestBody.Content["application/json"].Schema
	get := paths["/meetings/{meetingId}"]["get"].Responses["200"].Content["application/json"].Schema
	created := paths["/users/{userId}/meetings"]["post"].Responses["201"].Content["application/json"].Schema
	list := paths["/users/{userId}/meetings"]["get"].Responses["200"].Content["application/json"].Schema
	invitation := paths["/meetings/{meetingId}/invitation"]["get"].Responses["200"].Content["application/json"].Schema
	if create == nil || update == nil || get == nil || created == nil || list == nil || invitation == nil {
		t.Fatal("operations missing from the document")
	}
	settings := merge(create.Properties["settings"], update.Properties["settings"], get.Properties["settings"])

	tests := []struct {
		name   string
		typ    reflect.Type
		spec   *schema
		newer  []string // in zoom-api.md, not in SPEC23
		unused []string // in SPEC23, deliberately not modelled
	}{
		{"create/update body", reflect.TypeFor[wireSpec](), merge(create, update), nil, nil},
		{"meeting answer", reflect.TypeFor[wireMeeting](), merge(get, created, list.Properties["meetings"]),
			// §1.6: pstn_password (Rivet), registration_url (SPEC23 create
			// 201 only when registration is on).
			[]string{"pstn_password", "registration_url"},
			// §1.6: pre_schedule is echoed; Convene never pre-schedules.
			[]string{"pre_schedule"}},
		{"occurrence", reflect.TypeFor[wireOccurrence](), get.Properties["occurrences"], nil, nil},
		{"recurrence", reflect.TypeFor[video.Recurrence](), merge(create.Properties["recurrence"], get.Properties["recurrence"]), nil, nil},
		{"tracking field", reflect.TypeFor[video.TrackingField](), merge(create.Properties["tracking_fields"], get.Properties["tracking_fields"]), nil, nil},
		{"invitation", reflect.TypeFor[video.Invitation](), invitation, nil, nil},
		{"settings", reflect.TypeFor[video.Settings](), settings,
			// §1.5 rows marked R, and the Rivet-only booleans and enums.
			[]string{"alternative_host_manage_meeting_summary", "alternative_host_manage_cloud_recording", "waiting_room_options",
				"sign_language_interpretation", "question_and_answer", "continuous_meeting_chat", "auto_add_recording_to_video_management",
				"push_change_to_calendar", "internal_meeting", "participant_focused_meeting", "device_testing",
				"allow_host_control_participant_mute_state", "disable_participant_video", "email_in_attendee_report",
				"auto_start_meeting_summary", "auto_start_ai_companion_questions", "who_will_receive_summary", "who_can_ask_questions",
				"summary_template_id", "resources"}, nil},
		{"dial-in number", reflect.TypeFor[video.DialInNumber](), settings.Properties["global_dial_in_numbers"], nil, nil},
		{"authentication exception", reflect.TypeFor[video.AuthenticationException](), merge(settings.Properties["authentication_exception"], get.Properties["settings"].Properties["authentication_exception"]), nil, nil},
		{"invitee", reflect.TypeFor[video.Invitee](), settings.Properties["meeting_invitees"], nil, nil},
		{"custom key", reflect.TypeFor[video.CustomKey](), settings.Properties["custom_keys"], nil, nil},
		{"country filter", reflect.TypeFor[video.CountryFilter](), settings.Properties["approved_or_denied_countries_or_regions"], nil, nil},
		{"breakout rooms", reflect.TypeFor[video.BreakoutRooms](), settings.Properties["breakout_room"], nil, nil},
		{"breakout room", reflect.TypeFor[video.BreakoutRoom](), settings.Properties["breakout_room"].Properties["rooms"], nil, nil},
		{"language interpretation", reflect.TypeFor[video.LanguageInterpretation](), settings.Properties["language_interpretation"], nil, nil},
		{"interpreter", reflect.TypeFor[video.Interpreter](), settings.Properties["language_interpretation"].Properties["interpreters"],
			[]string{"interpreter_languages"}, nil}, // §1.5: Rivet adds it
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.spec == nil || len(tt.spec.object().Properties) == 0 {
				t.Fatal("no schema in the document")
			}
			ours := jsonNames(tt.typ)
			theirs := tt.spec.names()
			for _, n := range ours {
				if !slices.Contains(theirs, n) && !slices.Contains(tt.newer, n) {
					t.Errorf("%s: field %q is not Zoom's", tt.typ, n)
				}
			}
			for _, n := range theirs {
				if !slices.Contains(ours, n) && !slices.Contains(tt.unused, n) {
					t.Errorf("%s: Zoom's field %q is missing", tt.typ, n)
				}
			}
		})
	}
}
