package web

import (
	"strings"
	"testing"

	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/store/storetest"
)

// TestDKIMRotationAPI drives a rotation through the API: admin-only,
// within the account, refused until DNS shows the new record, then the
// new key active and the old one retiring, in both listings; every answer
// checked against the OpenAPI document.
func TestDKIMRotationAPI(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.checkAnswers(t)
			a := h.setupTenant("Acme", "acme.test", true)
			b := h.setupTenant("Beta", "beta.test", false)

			h.expect("POST", "/api/v1/domains/acme.test/dkim/rotate", a.member, nil, 403)
			h.expect("GET", "/api/v1/domains/acme.test/dkim", a.member, nil, 403)
			h.expect("POST", "/api/v1/domains/acme.test/dkim/rotate", b.owner, nil, 404)
			h.expect("POST", "/api/v1/domains/acme.test/dkim/activate", b.owner, nil, 404)
			h.expect("GET", "/api/v1/domains/acme.test/dkim", b.owner, nil, 404)
			h.expect("POST", "/api/v1/domains/acme.test/dkim/activate", a.owner, nil, 409) // nothing pending

			pending := h.expect("POST", "/api/v1/domains/ACME.test/dkim/rotate", a.owner, nil, 201)
			if pending["selector"] != "convene2" || pending["state"] != "pending" || pending["name"] != "convene2._domainkey.acme.test" {
				t.Fatalf("rotate: %v", pending)
			}
			keys := func() []map[string]any {
				var out []map[string]any
				for _, k := range h.expect("GET", "/api/v1/domains/acme.test/dkim", a.owner, nil, 200)["keys"].([]any) {
					out = append(out, k.(map[string]any))
				}
				return out
			}
			if ks := keys(); len(ks) != 2 || ks[0]["selector"] != "convene1" || ks[0]["state"] != "active" || ks[1]["selector"] != "convene2" ||
				ks[1]["value"] != pending["value"] {
				t.Fatalf("keys while pending: %v", ks)
			}
			if out := h.expect("POST", "/api/v1/domains/acme.test/dkim/rotate", a.owner, nil, 409); out["selector"] != "convene2" {
				t.Errorf("second rotation: %v", out)
			}

			out := h.expect("POST", "/api/v1/domains/acme.test/dkim/activate", a.owner, nil, 422)
			if out["txt_name"] != "convene2._domainkey.acme.test" || out["txt_value"] != pending["value"] ||
				!strings.Contains(out["detail"].(string), "no TXT record") {
				t.Errorf("activate without a record: %v", out)
			}
			h.dns.SetTXT("convene2._domainkey.acme.test", mailtest.NewKey(t).Record)
			if out := h.expect("POST", "/api/v1/domains/acme.test/dkim/activate", a.owner, nil, 422); !strings.Contains(out["detail"].(string), "another public key") {
				t.Errorf("activate with another key: %v", out)
			}
			h.dns.SetTXT("convene2._domainkey.acme.test", pending["value"].(string))
			act := h.expect("POST", "/api/v1/domains/acme.test/dkim/activate", a.owner, nil, 200)
			active, retiring := act["active"].(map[string]any), act["retiring"].(map[string]any)
			if active["selector"] != "convene2" || active["state"] != "active" || retiring["selector"] != "convene1" ||
				retiring["state"] != "retiring" || retiring["remove_after"] == nil {
				t.Fatalf("activate: %v", act)
			}
			h.expect("POST", "/api/v1/domains/acme.test/dkim/activate", a.owner, nil, 409)

			// A rotation abandoned: admin-only, within the account; the
			// key is retired unused and the next rotation takes the next
			// selector.
			h.expect("DELETE", "/api/v1/domains/acme.test/dkim/pending", a.owner, nil, 409) // nothing pending
			third := h.expect("POST", "/api/v1/domains/acme.test/dkim/rotate", a.owner, nil, 201)
			h.expect("DELETE", "/api/v1/domains/acme.test/dkim/pending", a.member, nil, 403)
			h.expect("DELETE", "/api/v1/domains/acme.test/dkim/pending", b.owner, nil, 404)
			cancelled := h.expect("DELETE", "/api/v1/domains/acme.test/dkim/pending", a.owner, nil, 200)
			if cancelled["selector"] != third["selector"] || cancelled["state"] != "retired" || cancelled["activated"] != nil ||
				!strings.HasPrefix(cancelled["note"].(string), "Cancelled") {
				t.Fatalf("cancel: %v", cancelled)
			}
			h.expect("DELETE", "/api/v1/domains/acme.test/dkim/pending", a.owner, nil, 409)
			if next := h.expect("POST", "/api/v1/domains/acme.test/dkim/rotate", a.owner, nil, 201); next["selector"] != "convene4" {
				t.Fatalf("rotation after a cancel: %v", next)
			}
			h.expect("DELETE", "/api/v1/domains/acme.test/dkim/pending", a.owner, nil, 200)

			// GET /api/v1/domains lists every key, the active one first, the
			// cancelled ones last, newest first.
			var dkim []map[string]any
			for _, d := range h.expect("GET", "/api/v1/domains", a.member, nil, 200)["domains"].([]any) {
				for _, r := range d.(map[string]any)["dns_records"].([]any) {
					if r := r.(map[string]any); r["purpose"] == "dkim" {
						dkim = append(dkim, r)
					}
				}
			}
			if len(dkim) != 4 || dkim[0]["selector"] != "convene2" || dkim[1]["state"] != "retiring" || dkim[1]["remove_after"] != retiring["remove_after"] ||
				dkim[2]["selector"] != "convene4" || dkim[3]["state"] != "retired" {
				t.Errorf("domain records: %v", dkim)
			}
			// B's keys are its own.
			if ks := h.expect("GET", "/api/v1/domains/beta.test/dkim", b.owner, nil, 200)["keys"].([]any); len(ks) != 1 ||
				ks[0].(map[string]any)["selector"] != "convene1" {
				t.Errorf("B's keys: %v", ks)
			}
		})
	}
}
