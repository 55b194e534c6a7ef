package web

// authLevel says how a route authenticates.
type authLevel int

const (
	authNone  authLevel = iota // public, or authenticates by itself (setup, webhooks)
	authToken                  // Authorization: Bearer API token
)

// route is one served route with what its OpenAPI description needs. The
// OpenAPI document is built from this table, so it cannot omit a route.
type route struct {
	method  string
	path    string // net/http pattern: /api/v1/domains/{domain}/verify
	auth    authLevel
	admin   bool // documented as admin-only (the core checks it)
	summary string
	query   []param
	request string         // schema name of the JSON body, "" for none
	reqType string         // content type of the body when not JSON
	resp    map[int]string // status → schema name ("" for no body)
	handle  handlerFunc
}

// param is a documented query parameter.
type param struct {
	name, typ, doc string
	required       bool
}

// routeTable lists every route of the API: the foundation's below, and
// each area's from its own file.
func (s *Server) routeTable() []route {
	var all []route
	for _, area := range [][]route{s.foundationRoutes(), s.userAdminRoutes(), s.appRoutes(), s.meetingRoutes(), s.calendarRoutes(), s.inboxRoutes(), s.dkimRoutes(), s.auditRoutes(), s.bookingPageRoutes()} {
		all = append(all, area...)
	}
	return all
}

// foundationRoutes: health, OpenAPI, setup, account, users, tokens, domains.
func (s *Server) foundationRoutes() []route {
	return []route{
		{method: "GET", path: "/healthz", summary: "Liveness and storage health",
			resp: map[int]string{200: "Health", 503: "Problem"}, handle: s.healthz},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This API described as OpenAPI 3.1",
			resp: map[int]string{200: "OpenAPIDocument"}, handle: s.openapi},
		{method: "POST", path: "/api/v1/setup", summary: "Create the first account and its owner (afterwards only with the operator token)",
			request: "SetupRequest", resp: map[int]string{201: "SetupResponse"}, handle: s.setup},

		{method: "GET", path: "/api/v1/account", auth: authToken, summary: "The caller's account",
			resp: map[int]string{200: "Account"}, handle: s.getAccount},
		{method: "PATCH", path: "/api/v1/account", auth: authToken, admin: true, summary: "Change account settings",
			request: "AccountPatch", resp: map[int]string{200: "Account"}, handle: s.patchAccount},
		{method: "POST", path: "/api/v1/account/invitation/preview", auth: authToken, admin: true, summary: "Render an invitation for a sample meeting with the given (or the account's) templates and branding",
			request: "InvitationPreviewRequest", resp: map[int]string{200: "InvitationPreview"}, handle: s.previewInvitation},

		{method: "GET", path: "/api/v1/users/me", auth: authToken, summary: "The caller's user",
			resp: map[int]string{200: "User"}, handle: s.getMe},
		{method: "PATCH", path: "/api/v1/users/me", auth: authToken, summary: "Change the caller's own settings",
			request: "UserPatch", resp: map[int]string{200: "User"}, handle: s.patchMe},
		{method: "GET", path: "/api/v1/users", auth: authToken, admin: true, summary: "List the account's users",
			resp: map[int]string{200: "UserList"}, handle: s.listUsers},
		{method: "POST", path: "/api/v1/users", auth: authToken, admin: true, summary: "Create a user in a verified managed domain",
			request: "UserCreate", resp: map[int]string{201: "UserCreated"}, handle: s.createUser},

		{method: "GET", path: "/api/v1/tokens", auth: authToken, summary: "List the caller's API tokens (without secrets)",
			resp: map[int]string{200: "TokenList"}, handle: s.listTokens},
		{method: "POST", path: "/api/v1/tokens", auth: authToken, summary: "Issue an API token; its secret is shown once",
			request: "TokenCreate", resp: map[int]string{201: "TokenCreated"}, handle: s.createToken},
		{method: "DELETE", path: "/api/v1/tokens/{id}", auth: authToken, summary: "Revoke one of the caller's API tokens",
			resp: map[int]string{204: ""}, handle: s.deleteToken},

		{method: "GET", path: "/api/v1/domains", auth: authToken, summary: "List the account's managed domains with the DNS records each publishes (verification, DKIM, SPF, DMARC)",
			resp: map[int]string{200: "DomainList"}, handle: s.listDomains},
		{method: "POST", path: "/api/v1/domains", auth: authToken, admin: true, summary: "Add a managed domain; returns the TXT record that proves it",
			request: "DomainCreate", resp: map[int]string{201: "Domain"}, handle: s.addDomain},
		{method: "POST", path: "/api/v1/domains/{domain}/verify", auth: authToken, admin: true, summary: "Verify a managed domain through DNS",
			resp: map[int]string{200: "DomainVerified"}, handle: s.verifyDomain},
		{method: "DELETE", path: "/api/v1/domains/{domain}", auth: authToken, admin: true, summary: "Remove a managed domain",
			resp: map[int]string{204: ""}, handle: s.removeDomain},
	}
}
