package web

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestInvitationTemplatesAndBranding(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	// A broken template is refused with its field and line; nothing is
	// saved.
	bad := h.expect("PATCH", "/api/v1/account", tn.owner, map[string]any{"invitation": map[string]string{
		"subject": "{{.Subject}}", "text": "Hello\n{{.Nope}}\n{{.JoinURL}}"}}, 422)
	if !strings.Contains(bad["detail"].(string), "invitation.text") || !strings.Contains(bad["detail"].(string), "line 2") {
		t.Errorf("bad template: %v", bad)
	}
	h.expect("PATCH", "/api/v1/account", tn.owner, map[string]any{"branding": map[string]string{"accent_color": "red"}}, 422)
	h.expect("PATCH", "/api/v1/account", tn.member, map[string]any{"branding": map[string]string{"name": "x"}}, 403)
	// A good one is saved and used.
	a := h.expect("PATCH", "/api/v1/account", tn.owner, map[string]any{
		"branding":   map[string]string{"name": "Acme Corp", "accent_color": "#0055aa", "footer": "Acme Corp, 1 Main St"},
		"invitation": map[string]string{"subject": "[Acme] {{.Subject}}"}}, 200)
	if a["branding"].(map[string]any)["accent_color"] != "#0055aa" || a["invitation"].(map[string]any)["subject"] != "[Acme] {{.Subject}}" {
		t.Fatalf("account: %v", a)
	}
	p := h.expect("POST", "/api/v1/account/invitation/preview", tn.owner, map[string]any{"kind": "update", "language": "fr"}, 200)
	if !strings.HasPrefix(p["subject"].(string), "[Acme] ") || !strings.Contains(p["html"].(string), "#0055aa") || !strings.Contains(p["text"].(string), "Acme Corp, 1 Main St") {
		t.Errorf("preview: %v", p)
	}
	h.expect("POST", "/api/v1/account/invitation/preview", tn.owner, map[string]any{"kind": "other"}, 422)
	// Real invitations carry it.
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Branded", "start_time": "2030-06-03T10:00",
		"timezone": "Europe/Paris", "duration": 30, "attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
	for _, ml := range h.mailsOf(tn.accountID, m["id"].(string), 2) {
		if !strings.HasPrefix(ml.Subject, "[Acme] ") {
			t.Errorf("invitation subject %q", ml.Subject)
		}
	}
}

// nestedRangeRequest is issue 8's 884-byte preview request: thirty ranges
// over the attendees, each inside the one before (3^30 iterations that
// write nothing with the sample's three attendees).
func nestedRangeRequest(t *testing.T) string {
	const depth = 30
	tpl := "{{.JoinURL}}{{range .Attendees}}" + strings.Repeat("{{range $.Attendees}}", depth-1) + strings.Repeat("{{end}}", depth) + "       "
	body := `{"invitation":{"text":"` + tpl + `"}}`
	if len(body) != 884 {
		t.Fatalf("the request is %d bytes", len(body))
	}
	return body
}

// TestInvitationPreviewBudget: the preview is the admins' (a member gets
// 403 before anything is rendered), and issue 8's 884-byte request gets a
// quick 422 naming the nested range, at preview and at save, instead of
// pinning a core.
func TestInvitationPreviewBudget(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	body := nestedRangeRequest(t)
	for _, who := range []string{tn.member, tn.owner} {
		want := map[string]int{tn.member: 403, tn.owner: 200}[who]
		if got, out := h.do("POST", "/api/v1/account/invitation/preview", who, map[string]any{"kind": "request"}); got != want {
			t.Errorf("preview with the account's templates: %d, want %d (%v)", got, want, out)
		}
		want = map[string]int{tn.member: 403, tn.owner: 422}[who]
		start := time.Now()
		got, out := h.do("POST", "/api/v1/account/invitation/preview", who, body)
		if took := time.Since(start); got != want || took > time.Second {
			t.Errorf("the 884-byte request: %d after %v, want %d (%v)", got, took, want, out)
		}
		if who == tn.owner && !strings.Contains(fmt.Sprint(out["detail"]), "invitation.text line 1: {{range}} inside another {{range}} is not allowed") {
			t.Errorf("preview detail: %v", out)
		}
	}
	start := time.Now()
	out := h.expect("PATCH", "/api/v1/account", tn.owner, body, 422)
	if took := time.Since(start); took > time.Second || !strings.Contains(fmt.Sprint(out["detail"]), "inside another {{range}}") {
		t.Errorf("save: %v after %v", out, took)
	}
	if a := h.expect("GET", "/api/v1/account", tn.owner, nil, 200); strings.Contains(fmt.Sprint(a["invitation"]), "range") {
		t.Errorf("the refused template was saved: %v", a)
	}
}
