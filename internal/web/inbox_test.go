package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/store"
)

// receive hands a message for tn's assistant to the inbox, as the SMTP
// listener does, from an address no SPF record authorizes, and waits for
// its job to finish.
func (h *harness) receive(tn tenant, subject string) string {
	h.t.Helper()
	ctx := context.Background()
	rcpt := "assistant@" + tn.domain
	id, err := h.inbox.Route(ctx, rcpt)
	if err != nil {
		h.t.Fatal(err)
	}
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d@%s>\r\n\r\nSee you?\r\n", tn.memberEmail, rcpt, subject, time.Now().UnixNano(), tn.domain)
	st, err := h.inbox.Receive(ctx, inbox.Delivery{Envelope: inbox.Envelope{Source: inbox.SourceSMTP, RemoteIP: "192.0.2.9", HELO: "x",
		MailFrom: tn.memberEmail, Recipients: []inbox.Recipient{{Address: rcpt, AccountID: id}}}, Raw: []byte(raw)})
	if err != nil {
		h.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		m, err := h.db.InboxMessage(ctx, tn.accountID, st[0].ID)
		if err != nil {
			h.t.Fatal(err)
		}
		if m.Status != store.InboxReceived {
			return m.ID
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("message %s still %s", m.ID, m.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInboxRoutes(t *testing.T) {
	h := newHarness(t, "sqlite")
	a := h.setupTenant("Acme", "acme.test", true)
	b := h.setupTenant("Beta", "beta.test", false)
	id := h.receive(a, "Lunch?")

	out := h.expect("GET", "/api/v1/inbox", a.owner, nil, 200)
	msgs := out["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("inbox %v", out)
	}
	m := msgs[0].(map[string]any)
	if m["id"] != id || m["status"] != "rejected" || m["authenticated"] != false || m["subject"] != "Lunch?" ||
		!strings.Contains(m["reason"].(string), "not proven") || m["verdict"].(map[string]any)["spf"].(map[string]any)["result"] != "none" {
		t.Errorf("message %v", m)
	}
	status, raw, hdr := h.doRaw("GET", "/api/v1/inbox/"+id+"/raw", a.owner, nil)
	if status != 200 || hdr.Get("Content-Type") != "message/rfc822" || !strings.Contains(string(raw), "Subject: Lunch?") {
		t.Errorf("raw: %d %s %q", status, hdr.Get("Content-Type"), raw)
	}
	// Admins only; and only the account's own.
	h.expect("GET", "/api/v1/inbox", a.member, nil, 403)
	h.expect("GET", "/api/v1/inbox/"+id+"/raw", a.member, nil, 403)
	h.expect("GET", "/api/v1/inbox/"+id+"/raw", b.owner, nil, 404)
	if out := h.expect("GET", "/api/v1/inbox", b.owner, nil, 200); len(out["messages"].([]any)) != 0 {
		t.Errorf("B sees A's mail: %v", out)
	}
	h.expect("GET", "/api/v1/inbox?limit=0", a.owner, nil, 422)
}

func TestDomainRecords(t *testing.T) {
	h := newHarness(t, "sqlite")
	a := h.setupTenant("Acme", "acme.test", true)
	out := h.expect("GET", "/api/v1/domains", a.member, nil, 200)
	d := out["domains"].([]any)[0].(map[string]any)
	recs := map[string]map[string]any{}
	for _, r := range d["dns_records"].([]any) {
		rec := r.(map[string]any)
		recs[rec["purpose"].(string)] = rec
	}
	if r := recs["verification"]; r["name"] != d["txt_name"] || r["value"] != d["txt_value"] {
		t.Errorf("verification %v", r)
	}
	if r := recs["dkim"]; r["name"] != "convene1._domainkey.acme.test" || !strings.HasPrefix(r["value"].(string), "v=DKIM1; k=rsa; p=") {
		t.Errorf("dkim %v", r)
	}
	if r := recs["spf"]; r["name"] != "acme.test" {
		t.Errorf("spf %v", r)
	}
	if r := recs["dmarc"]; r["name"] != "_dmarc.acme.test" || !strings.HasPrefix(r["value"].(string), "v=DMARC1;") {
		t.Errorf("dmarc %v", r)
	}
	// The same key every time.
	again := h.expect("GET", "/api/v1/domains", a.owner, nil, 200)["domains"].([]any)[0].(map[string]any)["dns_records"].([]any)
	if again[1].(map[string]any)["value"] != recs["dkim"]["value"] {
		t.Error("the DKIM key changed between two listings")
	}
}

func TestAssistantAddressSetting(t *testing.T) {
	h := newHarness(t, "sqlite")
	a := h.setupTenant("Acme", "acme.test", true)
	h.setupTenant("Beta", "beta.test", false)
	if got := h.expect("GET", "/api/v1/account", a.member, nil, 200)["assistant_address"]; got != "assistant@acme.test" {
		t.Errorf("default %v", got)
	}
	if got := h.expect("PATCH", "/api/v1/account", a.owner, map[string]any{"assistant_address": "Meet@ACME.test"}, 200)["assistant_address"]; got != "meet@acme.test" {
		t.Errorf("set %v", got)
	}
	if _, err := h.inbox.Route(context.Background(), "meet@acme.test"); err != nil {
		t.Errorf("the new address does not route: %v", err)
	}
	for _, bad := range []string{"assistant@beta.test", "assistant@gmail.example", "not an address", "a@b@acme.test"} {
		out := h.expect("PATCH", "/api/v1/account", a.owner, map[string]any{"assistant_address": bad}, 422)
		if !strings.Contains(fmt.Sprint(out["errors"]), "assistant_address") {
			t.Errorf("%s: %v", bad, out)
		}
	}
	h.expect("PATCH", "/api/v1/account", a.member, map[string]any{"assistant_address": "x@acme.test"}, 403)
	if got := h.expect("PATCH", "/api/v1/account", a.owner, map[string]any{"assistant_address": ""}, 200)["assistant_address"]; got != "assistant@acme.test" {
		t.Errorf("back to the default: %v", got)
	}
}
