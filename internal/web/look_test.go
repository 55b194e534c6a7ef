package web

import (
	"strings"
	"testing"
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
	p := h.expect("POST", "/api/v1/account/invitation/preview", tn.member, map[string]any{"kind": "update", "language": "fr"}, 200)
	if !strings.HasPrefix(p["subject"].(string), "[Acme] ") || !strings.Contains(p["html"].(string), "#0055aa") || !strings.Contains(p["text"].(string), "Acme Corp, 1 Main St") {
		t.Errorf("preview: %v", p)
	}
	h.expect("POST", "/api/v1/account/invitation/preview", tn.member, map[string]any{"kind": "other"}, 422)
	// Real invitations carry it.
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Branded", "start_time": "2030-06-03T10:00",
		"timezone": "Europe/Paris", "duration": 30, "attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
	for _, ml := range h.mailsOf(tn.accountID, m["id"].(string), 2) {
		if !strings.HasPrefix(ml.Subject, "[Acme] ") {
			t.Errorf("invitation subject %q", ml.Subject)
		}
	}
}
