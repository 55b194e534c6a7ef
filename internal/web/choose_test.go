package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/convene/convene/internal/assistant"
)

// fakeLinks answers for one good token; Choose counts its calls.
type fakeLinks struct {
	chosen atomic.Int32
}

func (f *fakeLinks) view(token string) *assistant.LinkView {
	switch token {
	case "good":
		return &assistant.LinkView{Lang: "fr", Subject: "Point <projet>", Organizer: "Max", When: "jeudi 13 mars 2031, 10:00 – 10:30 (heure de Paris)",
			State: assistant.LinkConfirm}
	case "used":
		return &assistant.LinkView{Lang: "en", State: assistant.LinkRefused, Problem: assistant.ProblemUsed}
	}
	return &assistant.LinkView{State: assistant.LinkRefused, Problem: assistant.ProblemInvalid}
}

func (f *fakeLinks) Describe(_ context.Context, token string) (*assistant.LinkView, error) {
	return f.view(token), nil
}

func (f *fakeLinks) Choose(_ context.Context, token string) (*assistant.LinkView, error) {
	v := f.view(token)
	if v.State == assistant.LinkConfirm {
		f.chosen.Add(1)
		v.State = assistant.LinkBooked
	}
	return v, nil
}

// TestChoicePage: GET shows the time and a form, books nothing; POST
// books; refused links say why with the right status; the page has no
// script, escapes what it shows and keeps its token from leaking.
func TestChoicePage(t *testing.T) {
	links := &fakeLinks{}
	srv := httptest.NewServer((&Server{Links: links}).Handler())
	defer srv.Close()
	do := func(method, path, lang string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if lang != "" {
			req.Header.Set("Accept-Language", lang)
		}
		if method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	status, body, h := do("GET", "/choose/good", "")
	if status != 200 || !strings.Contains(body, "Ce créneau vous convient-il ?") || !strings.Contains(body, `<form method="post"`) ||
		!strings.Contains(body, "jeudi 13 mars 2031") || !strings.Contains(body, "Point &lt;projet&gt;") || strings.Contains(body, "<script") {
		t.Errorf("GET: %d\n%s", status, body)
	}
	if links.chosen.Load() != 0 {
		t.Fatal("GET booked")
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"} {
		if h.Get(k) != want {
			t.Errorf("%s: %q", k, h.Get(k))
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
	if status, body, _ := do("HEAD", "/choose/good", ""); status != 200 || links.chosen.Load() != 0 {
		t.Errorf("HEAD: %d %s", status, body)
	}
	status, body, _ = do("POST", "/choose/good", "")
	if status != 200 || !strings.Contains(body, "C&#39;est réservé, merci !") || strings.Contains(body, "<form") || links.chosen.Load() != 1 {
		t.Errorf("POST: %d\n%s", status, body)
	}
	status, body, _ = do("POST", "/choose/used", "")
	if status != 409 || !strings.Contains(body, "This link was already used") {
		t.Errorf("used: %d\n%s", status, body)
	}
	status, body, _ = do("GET", "/choose/tampered", "fr-FR,fr;q=0.9")
	if status != 404 || !strings.Contains(body, "Ce lien n&#39;est pas valide") {
		t.Errorf("invalid, in French by Accept-Language: %d\n%s", status, body)
	}
	// Without the assistant, every link is refused (and nothing panics).
	bare := httptest.NewServer((&Server{}).Handler())
	defer bare.Close()
	resp, err := http.Get(bare.URL + "/choose/good")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("no assistant: %d", resp.StatusCode)
	}
}
