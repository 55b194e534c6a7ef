package zoomsandbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleInvitation is GET /v2/meetings/{meetingId}/invitation (operationId
// meetingInvitation, zoom-api.md §1.11): {invitation, sip_links}.
func (s *Server) handleInvitation(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, aerr := s.findMeeting(c, r.PathValue("meetingId"))
	if aerr != nil {
		return aerr
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"invitation": s.invitation(m, s.st.Users[m.HostID]),
		"sip_links":  []string{strconv.FormatInt(m.ID, 10) + "@zoomcrc.com"},
	})
	return nil
}

// groupMeetingID writes a meeting number as Zoom does: "555 4444 3210".
func groupMeetingID(id int64) string {
	s := strconv.FormatInt(id, 10)
	switch len(s) {
	case 11:
		return s[:3] + " " + s[3:7] + " " + s[7:]
	case 10:
		return s[:3] + " " + s[3:6] + " " + s[6:]
	case 9:
		return s[:3] + " " + s[3:6] + " " + s[6:]
	}
	return s
}

// zoneName is how Zoom's invitation writes a zone: "America, Los_Angeles".
func zoneName(tz string) string { return strings.ReplaceAll(tz, "/", ", ") }

const invitationTime = "Jan 2, 2006 03:04 PM"

// invitation is the invitation text in Zoom's format, lines ending in
// \r\n (SPEC23 meetingInvitation example).
func (s *Server) invitation(m *meeting, host *user) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\r\n", args...) }
	name := strings.TrimSpace(host.FirstName + " " + host.LastName)
	kind := "scheduled"
	if m.Type == typeInstant {
		kind = "instant"
	}
	line("%s is inviting you to a %s Zoom meeting.", name, kind)
	line("")
	line("Topic: %s", m.Topic)
	loc := m.location()
	switch m.Type {
	case typeRecurringNoFixed:
		line("Time: This is a recurring meeting Meet anytime")
	case typeRecurringFixed:
		line("Time: %s %s", m.StartTime.In(loc).Format(invitationTime), zoneName(m.Timezone))
		occ := m.allOccurrences()
		line("        %s, %d occurrence(s)", describeRecurrence(m.Recurrence), len(occ))
		for _, o := range occ {
			if !o.Deleted {
				line("        %s", o.Start.In(loc).Format(invitationTime))
			}
		}
		line("Please download and import the following iCalendar (.ics) files to your calendar system.")
		line("%s: %s/meeting/%d/ics?icsToken=%s", recurrenceWord(m.Recurrence), s.opts.BaseURL, m.ID, m.EncryptedPassword)
	case typeInstant:
	default:
		line("Time: %s %s", m.StartTime.In(loc).Format(invitationTime), zoneName(m.Timezone))
	}
	line("")
	line("Join Zoom Meeting")
	line("%s", s.joinURL(m))
	line("")
	id := groupMeetingID(m.ID)
	line("Meeting ID: %s", id)
	if m.Password != "" {
		line("Passcode: %s", m.Password)
	}
	numbers := *m.Settings.withDefaults().GlobalDialInNumbers
	line("")
	line("---")
	line("")
	line("One tap mobile")
	for _, n := range numbers {
		tap := strings.ReplaceAll(n.Number, " ", "")
		if m.PSTNPassword != "" {
			line("%s,,%d#,,,,*%s# %s (%s)", tap, m.ID, m.PSTNPassword, n.Country, n.City)
		} else {
			line("%s,,%d# %s (%s)", tap, m.ID, n.Country, n.City)
		}
	}
	line("")
	line("---")
	line("")
	line("Dial by your location")
	for _, n := range numbers {
		line("• %s %s (%s)", n.Number, n.Country, n.City)
	}
	line("")
	line("Meeting ID: %s", id)
	if m.PSTNPassword != "" {
		line("Passcode: %s", m.PSTNPassword)
	}
	line("")
	line("Find your local number: %s/u/%s", s.opts.BaseURL, strings.ToLower(m.UUID[:min(10, len(m.UUID))]))
	line("")
	line("---")
	line("")
	line("Join by SIP")
	line("• %d@zoomcrc.com", m.ID)
	line("")
	return b.String()
}

var weekdayShort = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

func recurrenceWord(r *recurrence) string {
	switch r.Type {
	case recurDaily:
		return "Daily"
	case recurWeekly:
		return "Weekly"
	}
	return "Monthly"
}

// describeRecurrence is the invitation's "Every week on Tue, Thu" line.
func describeRecurrence(r *recurrence) string {
	every := func(unit string) string {
		if r.RepeatInterval > 1 {
			return fmt.Sprintf("Every %d %ss", r.RepeatInterval, unit)
		}
		return "Every " + unit
	}
	var s string
	switch r.Type {
	case recurDaily:
		s = every("day")
	case recurWeekly:
		var days []string
		for d := range strings.SplitSeq(r.WeeklyDays, ",") {
			if n, err := strconv.Atoi(d); err == nil && n >= 1 && n <= 7 {
				days = append(days, weekdayShort[n-1])
			}
		}
		s = every("week") + " on " + strings.Join(days, ", ")
	case recurMonthly:
		if r.MonthlyWeek != 0 {
			nth := map[int]string{-1: "Last", 1: "First", 2: "Second", 3: "Third", 4: "Fourth"}[r.MonthlyWeek]
			s = every("month") + " on the " + nth + " " + time.Weekday(r.MonthlyWeekDay-1).String()
		} else {
			s = fmt.Sprintf("%s on the %d of the month", every("month"), r.MonthlyDay)
		}
	}
	if r.EndDateTime != "" {
		if t, err := time.Parse(time.RFC3339, r.EndDateTime); err == nil {
			s += ", until " + t.Format("Jan 2, 2006")
		}
	}
	return s
}
