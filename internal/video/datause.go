package video

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DataUse says exactly what Convene does with an app's provider. Its
// purposes, items and protections are words of a closed vocabulary
// (Purposes, KeptItems, Protections) that the pages word in each language;
// the API paths, field, setting and event names are the provider's own.
type DataUse struct {
	// Calls are the provider's API requests Convene makes.
	Calls []APICall
	// MeetingFields are the fields of a meeting Convene writes when it
	// creates or changes one (the provider's names).
	MeetingFields []string
	// Settings are the meeting settings Convene reads back and reports to
	// the organizer; it writes one only when a request sets it.
	Settings []string
	// Events are the provider's notifications Convene receives.
	Events []string
	// Kept is what Convene stores of the provider, and how.
	Kept []Kept
}

// APICall is one kind of request Convene makes to the provider.
type APICall struct {
	Method, Path string
	// Purpose is why: one of Purposes.
	Purpose string
}

// Kept is one thing Convene stores of a provider.
type Kept struct {
	// Item is what: one of KeptItems.
	Item string
	// Protection is how it is kept: one of Protections.
	Protection string
}

// Protections of what Convene keeps (Kept.Protection).
const (
	// KeptSealed: AES-256-GCM under the data key, bound to its row.
	KeptSealed = "sealed"
	// KeptHost: sealed, and shown to the organizer only.
	KeptHost = "sealed_host"
	// KeptPlain: readable by the account's people who may see the
	// meeting.
	KeptPlain = "plain"
)

// The vocabulary of DataUse. The admin pages word every one of these in
// each language (their TestAdminCatalog checks it); a provider that needs
// a new word adds it here and its wording there.
var (
	// Purposes of an APICall.
	Purposes = []string{"authorize", "token", "me", "create", "find", "read", "invitation", "update", "delete", "revoke",
		"free_busy", "sync", "working_hours", "user", "watch"}
	// KeptItems are the things a provider's app may keep.
	KeptItems = []string{"tokens", "provider_account", "meeting", "join_url", "start_url", "room", "tenant", "calendar_events", "channel",
		"service_account_key"}
	// Protections are the ways they are kept.
	Protections = []string{KeptSealed, KeptHost, KeptPlain}
)

// check reports the words of d outside the vocabulary.
func (d DataUse) check() error {
	var errs []error
	for _, c := range d.Calls {
		if !slices.Contains(Purposes, c.Purpose) {
			errs = append(errs, fmt.Errorf("purpose %q of %s %s is not one of %s", c.Purpose, c.Method, c.Path, strings.Join(Purposes, ", ")))
		}
		if c.Method == "" || !strings.HasPrefix(c.Path, "/") {
			errs = append(errs, fmt.Errorf("call %q %q: a method and a path", c.Method, c.Path))
		}
	}
	for _, k := range d.Kept {
		if !slices.Contains(KeptItems, k.Item) {
			errs = append(errs, fmt.Errorf("kept item %q is not one of %s", k.Item, strings.Join(KeptItems, ", ")))
		}
		if !slices.Contains(Protections, k.Protection) {
			errs = append(errs, fmt.Errorf("protection %q of %s is not one of %s", k.Protection, k.Item, strings.Join(Protections, ", ")))
		}
	}
	return errors.Join(errs...)
}
