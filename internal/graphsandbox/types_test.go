package graphsandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// tsRecord is one recorded answer and the Graph type it must have.
type tsRecord struct {
	name, typ string
	body      []byte
}

// tsPrelude: Graph's OData annotations (@odata.etag, @odata.context,
// @removed …) are control information, not properties of the types, so a
// resource is typed as the Graph type plus those annotations and nothing
// else; a collection as its value array plus its links.
const tsPrelude = `import * as MicrosoftGraph from "@microsoft/microsoft-graph-types";

interface Annotations {
  "@odata.context"?: string;
  "@odata.etag"?: string;
  "@odata.type"?: string;
  "@odata.id"?: string;
  "@removed"?: { reason: "changed" | "deleted" };
}
type OData<T> = T & Annotations;
interface Collection<T> {
  "@odata.context"?: string;
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
  value: OData<T>[];
}
`

// tsc compiles the records as typed constants with tsc --noEmit --strict
// in a directory beside testdata/msgraph's node_modules.
func tsc(t *testing.T, records []tsRecord) (string, error) {
	t.Helper()
	node := testenv.Command(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "msgraph"))
	if err != nil {
		t.Fatal(err)
	}
	tscJS := filepath.Join(dir, "node_modules", "typescript", "bin", "tsc")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@microsoft", "microsoft-graph-types", "microsoft-graph.d.ts")); err != nil {
		testenv.Missing(t, "npm packages in internal/graphsandbox/testdata/msgraph (npm ci)")
	}
	if _, err := os.Stat(tscJS); err != nil {
		testenv.Missing(t, "typescript in internal/graphsandbox/testdata/msgraph (npm ci)")
	}
	work, err := os.MkdirTemp(dir, "tsc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	var b strings.Builder
	b.WriteString(tsPrelude)
	for i, r := range records {
		fmt.Fprintf(&b, "\n// %s\nexport const r%d: %s = %s;\n", r.name, i, r.typ, r.body)
	}
	file := filepath.Join(work, "recorded.ts")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, tscJS, "--noEmit", "--strict", "--target", "es2020", "--moduleResolution", "node",
		"--skipLibCheck", "false", file)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestResponsesTypeCheck records the sandbox's answer of every endpoint
// and compiles them as constants of Microsoft's published Graph types:
// a property the type lacks (an invented field) or a value outside an
// enum fails the compilation.
func TestResponsesTypeCheck(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	var recs []tsRecord
	rec := func(name, typ string, want int, method, path string, body any, headers ...string) map[string]any {
		t.Helper()
		st, raw, _ := sb.doRaw(method, path, body, headers...)
		if st != want {
			t.Fatalf("%s: %d, want %d: %s", name, st, want, raw)
		}
		recs = append(recs, tsRecord{name, typ, raw})
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return m
	}
	rc := newReceiver(t)
	sb.must(201, "POST", "/_sandbox/users", map[string]any{"mail": "bob@example.com", "displayName": "Bob Jones", "timeZone": "Pacific Standard Time"})
	rec("GET /users", "Collection<MicrosoftGraph.User>", 200, "GET", "/v1.0/users", nil)
	rec("GET /users/{upn}", "OData<MicrosoftGraph.User>", 200, "GET", "/v1.0/users/bob@example.com", nil)
	rec("GET mailboxSettings", "OData<MicrosoftGraph.MailboxSettings>", 200, "GET", "/v1.0/users/bob@example.com/mailboxSettings", nil)
	sub := rec("POST /subscriptions", "OData<MicrosoftGraph.Subscription>", 201, "POST", "/v1.0/subscriptions", map[string]any{
		"changeType": "created,updated,deleted", "notificationUrl": rc.srv.URL, "lifecycleNotificationUrl": rc.srv.URL,
		"resource": "users/ann@example.com/events", "clientState": "cs", "expirationDateTime": sb.clock.Now().Add(24 * time.Hour).Format(time.RFC3339)})
	subID := sub["id"].(string)
	rec("GET /subscriptions", "Collection<MicrosoftGraph.Subscription>", 200, "GET", "/v1.0/subscriptions", nil)
	rec("GET /subscriptions/{id}", "OData<MicrosoftGraph.Subscription>", 200, "GET", "/v1.0/subscriptions/"+subID, nil)
	rec("PATCH /subscriptions/{id}", "OData<MicrosoftGraph.Subscription>", 200, "PATCH", "/v1.0/subscriptions/"+subID,
		map[string]any{"expirationDateTime": sb.clock.Now().Add(72 * time.Hour).Format(time.RFC3339)})

	single := eventBody("Teams call", "2026-12-07T09:00:00", "2026-12-07T10:00:00")
	single["isOnlineMeeting"], single["onlineMeetingProvider"] = true, "teamsForBusiness"
	single["attendees"] = []map[string]any{{"type": "required", "emailAddress": map[string]string{"address": "guest@guest.test", "name": "Guest"}}}
	single["body"] = map[string]string{"contentType": "html", "content": "<p>Agenda</p>"}
	single["location"] = map[string]string{"displayName": "Room 1"}
	single["transactionId"] = "t-1"
	ev := rec("POST event (Teams, attendees)", "OData<MicrosoftGraph.Event>", 201, "POST", ann+"/events", single)
	rec("GET event (Prefer outlook.timezone, ImmutableId)", "OData<MicrosoftGraph.Event>", 200, "GET", ann+"/events/"+ev["id"].(string), nil,
		"Prefer", `outlook.timezone="Pacific Standard Time"`, "Prefer", `IdType="ImmutableId"`)
	allDay := eventBody("Off", "2026-12-10T00:00:00", "2026-12-11T00:00:00")
	allDay["isAllDay"], allDay["showAs"] = true, "oof"
	rec("POST all-day event", "OData<MicrosoftGraph.Event>", 201, "POST", ann+"/events", allDay)
	series := eventBody("Standup", "2026-12-07T09:30:00", "2026-12-07T09:45:00")
	series["recurrence"] = map[string]any{"pattern": map[string]any{"type": "weekly", "interval": 1, "daysOfWeek": []string{"monday", "thursday"}, "firstDayOfWeek": "monday"},
		"range": map[string]any{"type": "endDate", "startDate": "2026-12-07", "endDate": "2026-12-31", "recurrenceTimeZone": "UTC"}}
	master := rec("POST recurring event", "OData<MicrosoftGraph.Event>", 201, "POST", ann+"/events", series)
	mid := master["id"].(string)
	rec("PATCH occurrence (exception)", "OData<MicrosoftGraph.Event>", 200, "PATCH", ann+"/events/"+occurrenceID(mid, "2026-12-10"), map[string]any{"showAs": "tentative", "subject": "Moved"})
	rec("GET occurrence", "OData<MicrosoftGraph.Event>", 200, "GET", ann+"/events/"+occurrenceID(mid, "2026-12-14"), nil)
	sb.must(204, "DELETE", ann+"/events/"+occurrenceID(mid, "2026-12-17"), nil)
	rec("GET series master", "OData<MicrosoftGraph.Event>", 200, "GET", ann+"/events/"+mid, nil)
	rec("GET /events", "Collection<MicrosoftGraph.Event>", 200, "GET", ann+"/events?$top=2", nil)
	rec("GET calendarView", "Collection<MicrosoftGraph.Event>", 200, "GET", ann+"/calendarView?"+win, nil)
	d := rec("GET calendarView/delta", "Collection<MicrosoftGraph.Event>", 200, "GET", ann+"/calendarView/delta?"+win, nil)
	for {
		next, ok := d["@odata.nextLink"].(string)
		if !ok {
			break
		}
		d = rec("GET calendarView/delta skiptoken", "Collection<MicrosoftGraph.Event>", 200, "GET", next, nil)
	}
	sb.must(204, "DELETE", ann+"/events/"+ev["id"].(string), nil)
	sb.must(200, "PATCH", ann+"/events/"+mid, map[string]any{"subject": "Standup!"})
	rec("GET calendarView/delta changes (@removed)", "Collection<MicrosoftGraph.Event>", 200, "GET", d["@odata.deltaLink"].(string), nil)
	rec("POST getSchedule", "Collection<MicrosoftGraph.ScheduleInformation>", 200, "POST", ann+"/calendar/getSchedule", map[string]any{
		"schedules": []string{"ann@example.com", "bob@example.com", "nobody@nowhere.test"},
		"startTime": map[string]string{"dateTime": "2026-12-07T00:00:00", "timeZone": "UTC"},
		"endTime":   map[string]string{"dateTime": "2026-12-12T00:00:00", "timeZone": "UTC"}, "availabilityViewInterval": 60})
	om := rec("POST onlineMeetings", "OData<MicrosoftGraph.OnlineMeeting>", 201, "POST", ann+"/onlineMeetings", map[string]any{"subject": "Sync",
		"startDateTime": "2026-12-07T09:00:00Z", "endDateTime": "2026-12-07T10:00:00Z",
		"participants": map[string]any{"attendees": []map[string]any{{"upn": "bob@example.com", "role": "attendee"}}}})
	rec("POST onlineMeetings/createOrGet", "OData<MicrosoftGraph.OnlineMeeting>", 201, "POST", ann+"/onlineMeetings/createOrGet", map[string]any{"subject": "Booked", "externalId": "b-1",
		"startDateTime": "2026-12-08T09:00:00Z", "endDateTime": "2026-12-08T10:00:00Z"})
	rec("GET onlineMeeting", "OData<MicrosoftGraph.OnlineMeeting>", 200, "GET", ann+"/onlineMeetings/"+om["id"].(string), nil)
	rec("PATCH onlineMeeting", "OData<MicrosoftGraph.OnlineMeeting>", 200, "PATCH", ann+"/onlineMeetings/"+om["id"].(string), map[string]any{"subject": "Sync 2"})
	sb.must(202, "POST", "/_sandbox/subscriptions/"+subID+"/lifecycle", map[string]any{"lifecycleEvent": "reauthorizationRequired"})
	// The notifications POSTed to the receiver.
	for i, n := range rc.wait(t, 5) {
		recs = append(recs, tsRecord{fmt.Sprint("notification ", i), "MicrosoftGraph.ChangeNotificationCollection", []byte(n)})
	}
	if len(recs) < 25 {
		t.Fatalf("only %d records", len(recs))
	}
	out, err := tsc(t, recs)
	if err != nil {
		t.Fatalf("tsc --strict refuses the sandbox's answers: %v\n%s", err, out)
	}
	t.Logf("%d answers type-check against @microsoft/microsoft-graph-types", len(recs))
}

// TestTypeCheckCatchesMismatch: the compilation is no rubber stamp. An
// invented property, a value outside an enum or a wrong JSON type fails;
// all cases compile in one run, each must fail on its own line.
func TestTypeCheckCatchesMismatch(t *testing.T) {
	good := `{"id":"x","subject":"s","showAs":"busy","start":{"dateTime":"2026-12-07T09:00:00.0000000","timeZone":"UTC"},"@odata.etag":"W/\"x\""}`
	recs := []tsRecord{{"good", "OData<MicrosoftGraph.Event>", []byte(good)}}
	for _, tc := range []struct{ name, body string }{
		{"invented field", strings.Replace(good, `"subject"`, `"subjekt":"x","subject"`, 1)},
		{"invented nested field", strings.Replace(good, `"timeZone":"UTC"`, `"timeZone":"UTC","offset":1`, 1)},
		{"enum", strings.Replace(good, `"busy"`, `"sleeping"`, 1)},
		{"type", strings.Replace(good, `"s"`, `1`, 1)},
		{"annotation not allowed", strings.Replace(good, `"@odata.etag"`, `"@odata.count":1,"@odata.etag"`, 1)},
	} {
		recs = append(recs, tsRecord{tc.name, "OData<MicrosoftGraph.Event>", []byte(tc.body)})
	}
	out, err := tsc(t, recs)
	if err == nil {
		t.Fatalf("every case accepted:\n%s", out)
	}
	prelude := strings.Count(tsPrelude, "\n")
	for i, r := range recs {
		line := prelude + 3*i + 3 // a blank line and a comment before each constant
		failed := strings.Contains(out, fmt.Sprintf("recorded.ts(%d,", line))
		if failed != (i > 0) {
			t.Errorf("%s (line %d): failed=%v\n%s", r.name, line, failed, out)
		}
	}
}
