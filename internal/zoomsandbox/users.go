package zoomsandbox

import (
	"net/http"
	"strconv"
)

// userView is the user object of GET /v2/users/{userId} (operationId user).
type userView struct {
	ID                 string   `json:"id"`
	FirstName          string   `json:"first_name"`
	LastName           string   `json:"last_name"`
	DisplayName        string   `json:"display_name"`
	Email              string   `json:"email"`
	Type               int      `json:"type"`
	RoleName           string   `json:"role_name"`
	PMI                int64    `json:"pmi"`
	UsePMI             bool     `json:"use_pmi"`
	PersonalMeetingURL string   `json:"personal_meeting_url"`
	Timezone           string   `json:"timezone"`
	Verified           int      `json:"verified"`
	Dept               string   `json:"dept"`
	CreatedAt          string   `json:"created_at"`
	UserCreatedAt      string   `json:"user_created_at"`
	LastLoginTime      string   `json:"last_login_time"`
	PicURL             string   `json:"pic_url,omitempty"`
	Language           string   `json:"language"`
	PhoneNumber        string   `json:"phone_number"`
	Status             string   `json:"status"`
	RoleID             string   `json:"role_id"`
	AccountID          string   `json:"account_id"`
	AccountNumber      int64    `json:"account_number"`
	Cluster            string   `json:"cluster"`
	LoginTypes         []int    `json:"login_types"`
	GroupIDs           []string `json:"group_ids"`
}

// handleUser is GET /v2/users/{userId} (operationId user), also for "me".
func (s *Server) handleUser(w http.ResponseWriter, r *http.Request, c *call) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, aerr := s.resolveUser(c, r.PathValue("userId"))
	if aerr != nil {
		return aerr
	}
	role, roleID := "Member", "2"
	if u.Owner {
		role, roleID = "Owner", "0"
	}
	created := u.CreatedAt.UTC().Format(zoomTime)
	writeJSON(w, http.StatusOK, userView{
		ID: u.ID, FirstName: u.FirstName, LastName: u.LastName,
		DisplayName: u.FirstName + map[bool]string{true: " " + u.LastName, false: ""}[u.LastName != ""],
		Email:       u.Email, Type: 2, RoleName: role, PMI: u.PMI,
		PersonalMeetingURL: s.opts.BaseURL + "/j/" + strconv.FormatInt(u.PMI, 10),
		Timezone:           u.Timezone, Verified: 1, CreatedAt: created, UserCreatedAt: created, LastLoginTime: created,
		Language: "en-US", Status: "active", RoleID: roleID, AccountID: u.AccountID,
		AccountNumber: s.st.Accounts[u.AccountID].Number, Cluster: "us05", LoginTypes: []int{100}, GroupIDs: []string{},
	})
	return nil
}
