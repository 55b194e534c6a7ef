package graphsandbox

import (
	"net/http"
	"net/mail"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// userView is a user as GET /users/{id} shows it (Graph's default
// properties).
type userView struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"displayName"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	Mail              string   `json:"mail"`
	UserPrincipalName string   `json:"userPrincipalName"`
	BusinessPhones    []string `json:"businessPhones"`
	JobTitle          *string  `json:"jobTitle"`
	MobilePhone       *string  `json:"mobilePhone"`
	OfficeLocation    *string  `json:"officeLocation"`
	PreferredLanguage string   `json:"preferredLanguage"`
}

func (u *user) view() userView {
	return userView{ID: u.ID, DisplayName: u.DisplayName, GivenName: u.GivenName, Surname: u.Surname,
		Mail: u.Mail, UserPrincipalName: u.Mail, BusinessPhones: []string{}, PreferredLanguage: "en-US"}
}

// findUser resolves {id | userPrincipalName} within the caller's tenant.
// An address of one of the tenant's domains that names no user yet makes
// one (a mailbox the admin created), as the Zoom sandbox does. Called with
// s.mu held.
func (s *Server) findUser(t *tenant, idOrUPN string) (*user, *graphError) {
	if len(idOrUPN) > 320 {
		return nil, errUserNotFound(idOrUPN)
	}
	if u := s.st.Users[strings.ToLower(idOrUPN)]; u != nil && u.TenantID == t.ID {
		return u, nil
	}
	addr := strings.ToLower(idOrUPN)
	for _, u := range s.st.Users {
		if u.TenantID == t.ID && u.Mail == addr {
			return u, nil
		}
	}
	_, domain, ok := strings.Cut(addr, "@")
	if !ok || !slices.Contains(t.Domains, domain) {
		return nil, errUserNotFound(idOrUPN)
	}
	if _, err := mail.ParseAddress(addr); err != nil {
		return nil, errUserNotFound(idOrUPN)
	}
	if len(s.st.Users) >= maxUsers {
		return nil, errGraph(http.StatusForbidden, "Directory_QuotaExceeded", "The directory object quota limit for the tenant has been exceeded.")
	}
	return s.addUser(t, addr, "", "", nil), nil
}

// addUser makes a mailbox: time zone UTC and Monday–Friday 08:00–17:00
// unless given. Called with s.mu held.
func (s *Server) addUser(t *tenant, addr, name, tz string, wh *workingHours) *user {
	local, _, _ := strings.Cut(addr, "@")
	if name == "" {
		name = strings.ToUpper(local[:1]) + local[1:]
	}
	given, sur, _ := strings.Cut(name, " ")
	if tz == "" {
		tz = "UTC"
	}
	u := &user{ID: s.rnd.guid(), TenantID: t.ID, Mail: addr, DisplayName: name, GivenName: given, Surname: sur, TimeZone: tz}
	if wh != nil {
		u.WorkingHours = *wh
	} else {
		u.WorkingHours = workingHours{DaysOfWeek: []string{"monday", "tuesday", "wednesday", "thursday", "friday"},
			StartTime: "08:00:00.0000000", EndTime: "17:00:00.0000000"}
		u.WorkingHours.TimeZone.Name = tz
	}
	s.st.Users[u.ID] = u
	s.changed()
	return u
}

// handleUsers is GET /users: the tenant's users, paged with $top and
// $skiptoken.
func (s *Server) handleUsers(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	var list []*user
	for _, u := range s.st.Users {
		if u.TenantID == c.tenant.ID {
			list = append(list, u)
		}
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].Mail < list[j].Mail })
	top := c.maxPage
	if v := r.URL.Query().Get("$top"); v != "" {
		n, ok := atoiBounded(v, 1, 999)
		if !ok {
			return nil, errBadRequest("Invalid value for $top.")
		}
		top = n
	}
	skip := 0
	if v := r.URL.Query().Get("$skiptoken"); v != "" {
		n, ok := atoiBounded(v, 0, maxUsers)
		if !ok {
			return nil, errBadRequest("Invalid skip token.")
		}
		skip = n
	}
	skip = min(skip, len(list))
	end := min(skip+top, len(list))
	out := map[string]any{"@odata.context": s.opts.BaseURL + "/v1.0/$metadata#users"}
	vals := make([]userView, 0, end-skip)
	for _, u := range list[skip:end] {
		vals = append(vals, u.view())
	}
	out["value"] = vals
	if end < len(list) {
		q := r.URL.Query()
		q.Set("$skiptoken", itoa(end))
		q.Set("$top", itoa(top))
		out["@odata.nextLink"] = s.opts.BaseURL + "/v1.0/users?" + q.Encode()
	}
	return out, nil
}

// handleUser is GET /users/{id | userPrincipalName}.
func (s *Server) handleUser(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	v := struct {
		Context string `json:"@odata.context"`
		userView
	}{s.opts.BaseURL + "/v1.0/$metadata#users/$entity", u.view()}
	return v, nil
}

// handleMailboxSettings is GET /users/{id}/mailboxSettings.
func (s *Server) handleMailboxSettings(r *http.Request, c *call) (any, *graphError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, gerr := s.findUser(c.tenant, r.PathValue("user"))
	if gerr != nil {
		return nil, gerr
	}
	return map[string]any{
		"@odata.context": s.opts.BaseURL + "/v1.0/$metadata#users('" + u.ID + "')/mailboxSettings",
		"archiveFolder":  "",
		"timeZone":       u.TimeZone,
		"automaticRepliesSetting": map[string]any{
			"status": "disabled", "externalAudience": "all", "internalReplyMessage": "", "externalReplyMessage": "",
			"scheduledStartDateTime": map[string]any{"dateTime": s.now().UTC().Format(graphTime), "timeZone": "UTC"},
			"scheduledEndDateTime":   map[string]any{"dateTime": s.now().UTC().Add(24 * 3600e9).Format(graphTime), "timeZone": "UTC"},
		},
		"language":                              map[string]any{"locale": "en-US", "displayName": "English (United States)"},
		"dateFormat":                            "M/d/yyyy",
		"timeFormat":                            "h:mm tt",
		"workingHours":                          u.WorkingHours,
		"delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly",
		"userPurpose":                           "user",
	}, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
