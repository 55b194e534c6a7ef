package zoomsandbox

import (
	"slices"
	"strings"
)

// operation describes one REST operation: its SPEC23 operationId, its rate
// limit category (zoom-api.md §1.2) and the scopes that allow it.
type operation struct {
	name     string
	category string
	// granular are the user- and admin-level granular scopes
	// ("meeting:write:meeting", "meeting:write:meeting:admin"); classic the
	// classic ones ("meeting:write", "meeting:write:admin"). DESIGN §2b: both
	// kinds are accepted.
	granular, classic [2]string
}

var (
	opCreate = operation{"meetingCreate", "Medium",
		[2]string{"meeting:write:meeting", "meeting:write:meeting:admin"}, [2]string{"meeting:write", "meeting:write:admin"}}
	opGet = operation{"meeting", "Light",
		[2]string{"meeting:read:meeting", "meeting:read:meeting:admin"}, [2]string{"meeting:read", "meeting:read:admin"}}
	opUpdate = operation{"meetingUpdate", "Light",
		[2]string{"meeting:update:meeting", "meeting:update:meeting:admin"}, [2]string{"meeting:write", "meeting:write:admin"}}
	opDelete = operation{"meetingDelete", "Light",
		[2]string{"meeting:delete:meeting", "meeting:delete:meeting:admin"}, [2]string{"meeting:write", "meeting:write:admin"}}
	opList = operation{"meetings", "Medium",
		[2]string{"meeting:read:list_meetings", "meeting:read:list_meetings:admin"}, [2]string{"meeting:read", "meeting:read:admin"}}
	opInvitation = operation{"meetingInvitation", "Light",
		[2]string{"meeting:read:invitation", "meeting:read:invitation:admin"}, [2]string{"meeting:read", "meeting:read:admin"}}
	// zoom-api.md §1.2 did not capture the granular scope of the status
	// endpoint; Zoom's naming gives meeting:update:status.
	opStatus = operation{"meetingStatus", "Light",
		[2]string{"meeting:update:status", "meeting:update:status:admin"}, [2]string{"meeting:write", "meeting:write:admin"}}
	opUser = operation{"user", "Light",
		[2]string{"user:read:user", "user:read:user:admin"}, [2]string{"user:read", "user:read:admin"}}
)

// allScopes is what the sandbox app grants when an authorization asks for
// no scope: everything the operations above accept at admin level, granular
// and classic (the account-level install of DESIGN §2b).
var allScopes = func() []string {
	var out []string
	for _, op := range []operation{opCreate, opGet, opUpdate, opDelete, opList, opInvitation, opStatus, opUser} {
		for _, sc := range []string{op.granular[1], op.classic[1]} {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	return out
}()

// grant says what a token's scopes allow for an operation: nothing, the
// token user's own resources, or any user's of the account.
type grant int

const (
	grantNone grant = iota
	grantSelf
	grantAdmin
)

func (op operation) allowed(scopes []string) grant {
	if slices.Contains(scopes, op.granular[1]) || slices.Contains(scopes, op.classic[1]) {
		return grantAdmin
	}
	if slices.Contains(scopes, op.granular[0]) || slices.Contains(scopes, op.classic[0]) {
		return grantSelf
	}
	return grantNone
}

// parseScopes splits a scope parameter: Zoom separates scopes by spaces;
// commas and '+' are tolerated.
func parseScopes(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '+' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
