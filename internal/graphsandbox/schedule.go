package graphsandbox

import (
	"net/http"
	"strings"
)

// getScheduleInput is the body of POST /users/{id}/calendar/getSchedule.
type getScheduleInput struct {
	Schedules                []string    `json:"schedules"`
	StartTime                *dateTimeTZ `json:"startTime"`
	EndTime                  *dateTimeTZ `json:"endTime"`
	AvailabilityViewInterval *int        `json:"availabilityViewInterval"`
}

// availability digits of availabilityView (Graph v1.0's
// scheduleInformation: 0 free or working elsewhere, "set to 0 instead of
// 4 for backward compatibility", 1 tentative, 2 busy, 3 out of office),
// and which status wins a slot two items share: oof over busy over
// tentative. An item whose showAs is unknown is listed with that status
// and leaves its slots at 0: the client decides what it means.
var (
	availDigit = map[string]byte{"free": '0', "tentative": '1', "busy": '2', "oof": '3', "workingElsewhere": '0', "unknown": '0'}
	availRank  = map[string]int{"free": 0, "unknown": 0, "workingElsewhere": 0, "tentative": 1, "busy": 2, "oof": 3}
)

func parseScheduleInput(b []byte) (*getScheduleInput, *graphError) {
	var in getScheduleInput
	if err := jsonStrict(b, &in); err != nil {
		return nil, errGraph(http.StatusBadRequest, "RequestBodyRead", "Invalid getSchedule body: "+err.Error())
	}
	switch {
	case len(in.Schedules) == 0:
		return nil, errInvalidRequest("Schedules are required.")
	case len(in.Schedules) > maxSchedules:
		return nil, errInvalidRequest("The number of schedules requested exceeds the maximum of 100.")
	case in.StartTime == nil || in.EndTime == nil:
		return nil, errInvalidRequest("StartTime and EndTime are required.")
	}
	if in.AvailabilityViewInterval == nil {
		n := 30
		in.AvailabilityViewInterval = &n
	}
	if n := *in.AvailabilityViewInterval; n < 5 || n > 1440 {
		return nil, errInvalidRequest("AvailabilityViewInterval must be between 5 and 1440 minutes.")
	}
	return &in, nil
}

// handleGetSchedule is POST /users/{id}/calendar/getSchedule: for each
// address, its items but the free ones (the caller may assume free time
// where there is none), the availability view of
// the window in intervals, and the mailbox's working hours. An address
// that is no user of the tenant gets an error entry, not a failure.
func (s *Server) handleGetSchedule(r *http.Request, c *call) (any, *graphError) {
	b, gerr := readBody(r)
	if gerr != nil {
		return nil, gerr
	}
	in, gerr := parseScheduleInput(b)
	if gerr != nil {
		return nil, gerr
	}
	from, _, gerr := in.StartTime.instant("startTime")
	if gerr != nil {
		return nil, gerr
	}
	to, _, gerr := in.EndTime.instant("endTime")
	if gerr != nil {
		return nil, gerr
	}
	if !to.After(from) {
		return nil, errInvalidRequest("The end time must be later than the start time.")
	}
	if to.Sub(from) > maxScheduleSpan {
		return nil, errInvalidRequest("The requested time window exceeds the maximum of 62 days.")
	}
	step := int64(*in.AvailabilityViewInterval) * 60e9
	slots := int((to.Sub(from).Nanoseconds() + step - 1) / step)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, gerr := s.findUser(c.tenant, r.PathValue("user")); gerr != nil {
		return nil, gerr
	}
	out := make([]map[string]any, 0, len(in.Schedules))
	for _, addr := range in.Schedules {
		if _, domain, _ := strings.Cut(strings.ToLower(addr), "@"); domain == "" {
			out = append(out, map[string]any{"scheduleId": addr, "availabilityView": "",
				"error": map[string]any{"message": "The specified e-mail address is not valid.", "responseCode": "ErrorInvalidSmtpAddress"}})
			continue
		}
		u, gerr := s.findUser(c.tenant, addr)
		if gerr != nil {
			out = append(out, map[string]any{"scheduleId": addr, "availabilityView": "",
				"error": map[string]any{"message": "The e-mail address " + trunc(addr, 320) + " was not found in the directory.", "responseCode": "ErrorMailRecipientNotFound"}})
			continue
		}
		ins, gerr := s.userInstances(u, from, to, nil)
		if gerr != nil {
			return nil, gerr
		}
		view := []byte(strings.Repeat("0", slots))
		rank := make([]int, slots)
		items := []map[string]any{}
		for _, x := range ins {
			f := x.f
			if f.ShowAs == "free" || f.IsCancelled {
				continue
			}
			item := map[string]any{"isPrivate": f.Sensitivity == "private", "status": f.ShowAs,
				"start": dtz(f.Start, f.IsAllDay, f.StartTZ, c), "end": dtz(f.End, f.IsAllDay, f.EndTZ, c)}
			if f.Sensitivity != "private" {
				item["subject"], item["location"] = f.Subject, f.Location.DisplayName
			}
			items = append(items, item)
			for i := range slots {
				ss := from.Add(timeDur(int64(i) * step))
				se := ss.Add(timeDur(step))
				if f.Start.Before(se) && f.End.After(ss) && availRank[f.ShowAs] > rank[i] {
					rank[i], view[i] = availRank[f.ShowAs], availDigit[f.ShowAs]
				}
			}
		}
		out = append(out, map[string]any{"scheduleId": addr, "availabilityView": string(view),
			"scheduleItems": items, "workingHours": u.WorkingHours})
	}
	return map[string]any{"@odata.context": s.opts.BaseURL + "/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)", "value": out}, nil
}
