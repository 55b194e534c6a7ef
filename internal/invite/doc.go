// Package invite builds and reads the invitations Convene sends for its
// meetings: iCalendar objects (RFC 5545) carrying iTIP methods (RFC 5546),
// wrapped in e-mail the iMIP way (RFC 6047), with account templates and
// branding in English and French.
//
// The booking core describes a meeting with plain values (Meeting) and asks
// for:
//
//   - the iCalendar object of a REQUEST (new or updated meeting, the whole
//     series or one occurrence) or a CANCEL: Calendar;
//   - the complete e-mail for one recipient, text, HTML and calendar parts,
//     in the recipient's language and time zone: Composer.Compose;
//   - the attendee's answer in an iTIP REPLY: ParseReply;
//   - checks and previews of an account's custom templates for the HTTP
//     API: ValidateTemplates and Preview (admins only, which the caller
//     checks).
//
// Every DTSTART written with a TZID comes with a VTIMEZONE generated from
// Go's time zone data for the span of the meeting or series (vtimezone.go),
// because github.com/emersion/go-ical writes the TZID but not the definition
// and Outlook then guesses the zone. Times are instants everywhere in the
// API; wall clocks appear only in the output.
//
// What the tools before us got wrong (shared/LESSONS.md, Invitations and
// Lost links) is enforced here: the MIME method parameter always equals the
// iCalendar METHOD, ORGANIZER and ATTENDEE;RSVP=TRUE;PARTSTAT are always
// written, CANCEL keeps the UID, SEQUENCE must rise on every change, and an
// update that lost its join URL is refused.
//
// Custom templates are held to a budget (budget.go): checked on their
// parse tree when saved (size, nesting, functions, what may be ranged over,
// worst-case cost), and held to it while they run (steps, output, time and
// the caller's context). Their HTML goes through an allow-list sanitizer
// (sanitize.go), not string checks.
//
// This package takes plain values: it must never import store, web, booking,
// apps or a video provider package. It depends on the standard library,
// emersion/go-ical, emersion/go-message, microcosm-cc/bluemonday (with its
// CSS parser, aymerick/douceur), golang.org/x/net/html and internal/recur.
package invite
