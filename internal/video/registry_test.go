package video

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// plainApp is a valid entry that needs no authorization.
func plainApp(id string) App {
	return App{ID: id, Name: "Plain " + id, Auth: Auth{Kind: AuthNone},
		Connect: func(Connection) Provider { return nil }}
}

// codeApp is a valid entry authorized by an admin's consent.
func codeApp(id string) App {
	a := plainApp(id)
	a.Auth = Auth{Kind: AuthCode, AuthURL: "https://p.example/authorize", TokenURL: "https://p.example/token",
		ClientID: "c", RedirectURL: "https://convene.example/oauth/" + id + "/callback", ScopeSets: [][]string{{"a", "b"}, {"c"}},
		Identify: func(context.Context, *http.Client, string) (*Identity, error) { return &Identity{}, nil }}
	return a
}

// TestRegistryRefusesBadEntries: each rule of an entry, broken alone, makes
// NewRegistry refuse the catalog with a message naming the problem.
func TestRegistryRefusesBadEntries(t *testing.T) {
	if _, err := NewRegistry(plainApp("jitsi"), codeApp("zoom")); err != nil {
		t.Fatalf("valid entries: %v", err)
	}
	tests := []struct {
		name string
		apps []App
		want string
	}{
		{"none is not an app", []App{plainApp("none")}, `"none"`},
		{"an ID that is no name", []App{plainApp("Zoom App")}, "lower-case"},
		{"an empty ID", []App{plainApp("")}, "lower-case"},
		{"twice the same ID", []App{plainApp("zoom"), codeApp("zoom")}, "twice"},
		{"no name", []App{func() App { a := plainApp("x"); a.Name = " "; return a }()}, "no name"},
		{"no client", []App{func() App { a := plainApp("x"); a.Connect = nil; return a }()}, "Connect"},
		{"an unknown kind", []App{func() App { a := plainApp("x"); a.Auth.Kind = "magic"; return a }()}, "magic"},
		{"no kind", []App{func() App { a := plainApp("x"); a.Auth.Kind = ""; return a }()}, "not one the marketplace implements"},
		{"OAuth without a token endpoint", []App{func() App { a := codeApp("x"); a.Auth.TokenURL = ""; return a }()}, "TokenURL"},
		{"OAuth without a client id", []App{func() App { a := codeApp("x"); a.Auth.ClientID = ""; return a }()}, "ClientID"},
		{"OAuth without scopes", []App{func() App { a := codeApp("x"); a.Auth.ScopeSets = nil; return a }()}, "scopes"},
		{"OAuth with an empty scope set", []App{func() App { a := codeApp("x"); a.Auth.ScopeSets = [][]string{{"a"}, {}}; return a }()}, "scopes"},
		{"OAuth without Identify", []App{func() App { a := codeApp("x"); a.Auth.Identify = nil; return a }()}, "Identify"},
		{"a webhook that receives nothing", []App{func() App { a := plainApp("x"); a.Webhook = &Webhook{}; return a }()}, "Receive"},
		{"a reply schema without its name", []App{func() App {
			a := plainApp("x")
			a.Webhook = &Webhook{Receive: func(WebhookRequest, time.Time) (*Delivery, error) { return nil, nil }, ReplyJSONSchema: json.RawMessage(`{}`)}
			return a
		}()}, "reply"},
		{"a reply in two forms", []App{func() App {
			a := plainApp("x")
			a.Webhook = &Webhook{Receive: func(WebhookRequest, time.Time) (*Delivery, error) { return nil, nil },
				ReplySchema: "R", ReplyJSONSchema: json.RawMessage(`{}`), ReplyText: true}
			return a
		}()}, "not both"},
		{"a purpose the pages cannot say", []App{func() App {
			a := plainApp("x")
			a.DataUse.Calls = []APICall{{Method: "GET", Path: "/x", Purpose: "spy"}}
			return a
		}()}, `purpose "spy"`},
		{"a call without its path", []App{func() App {
			a := plainApp("x")
			a.DataUse.Calls = []APICall{{Method: "GET", Path: "x", Purpose: "read"}}
			return a
		}()}, "a method and a path"},
		{"an item the pages cannot say", []App{func() App {
			a := plainApp("x")
			a.DataUse.Kept = []Kept{{Item: "diaries", Protection: KeptPlain}}
			return a
		}()}, `item "diaries"`},
		{"a protection the pages cannot say", []App{func() App {
			a := plainApp("x")
			a.DataUse.Kept = []Kept{{Item: "room", Protection: "hidden"}}
			return a
		}()}, `protection "hidden"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewRegistry(tt.apps...)
			if err == nil || r != nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewRegistry: %v, %v; want an error about %q", r, err, tt.want)
			}
		})
	}
}

// TestRegistryReads: the catalog in its order, its lookups, and a nil
// registry that offers nothing.
func TestRegistryReads(t *testing.T) {
	r, err := NewRegistry(codeApp("zoom"), plainApp("jitsi"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.IDs(); !slices.Equal(got, []string{"zoom", "jitsi"}) {
		t.Errorf("IDs %v", got)
	}
	if a, ok := r.Lookup("jitsi"); !ok || a.Name != "Plain jitsi" {
		t.Errorf("Lookup: %+v %v", a, ok)
	}
	if _, ok := r.Lookup("none"); ok {
		t.Error("none is an app")
	}
	if r.Name("zoom") != "Plain zoom" || r.Name("teams") != "teams" {
		t.Errorf("names: %q %q", r.Name("zoom"), r.Name("teams"))
	}
	if got := r.Choices(); got != "zoom, jitsi or none" {
		t.Errorf("Choices %q", got)
	}
	// The catalog cannot be changed through what it returns.
	r.Apps()[0].ID = "changed"
	if r.IDs()[0] != "zoom" {
		t.Error("Apps returned the registry's own slice")
	}
	var empty *Registry
	if empty.Apps() != nil || empty.IDs() != nil || empty.Choices() != "none" {
		t.Errorf("a nil registry: %v %v %q", empty.Apps(), empty.IDs(), empty.Choices())
	}
	if _, ok := empty.Lookup("zoom"); ok {
		t.Error("a nil registry has zoom")
	}
}

// TestMissingScopes: the granted scopes must hold one set; otherwise the
// missing ones of the closest set are named.
func TestMissingScopes(t *testing.T) {
	a := codeApp("x").Auth
	for granted, want := range map[string][]string{
		"a b":     nil,
		"b,a":     nil,
		"c":       nil,
		"a":       {"b"},
		"":        {"c"}, // the set closest to complete
		"b d e f": {"a"},
	} {
		if got := a.MissingScopes(granted); !slices.Equal(got, want) {
			t.Errorf("granted %q: missing %v, want %v", granted, got, want)
		}
	}
	if got := (Auth{}).Scopes(); got == nil || len(got) != 0 {
		t.Errorf("no scopes: %#v", got)
	}
	if !a.Consent() || a.Revocable() {
		t.Errorf("consent %v, revocable %v without a revocation endpoint", a.Consent(), a.Revocable())
	}
}
