// Package zoom is a client of Zoom's Meetings REST API v2 (create, get,
// update, delete, list and invitation of meetings, get user), as Convene's
// account-level "Scheduler" install uses it: one admin-authorized OAuth app
// creates each meeting for its organizer with POST
// /users/{organizer e-mail}/meetings, so the organizer is the Zoom host
// (DESIGN §2b). It implements video.Provider. References of the form
// "zoom-api.md §n" point to shared/zoom-api.md, the digest of Zoom's
// documentation the client follows.
//
// The client takes its access tokens from a TokenSource (the marketplace
// package implements it over the token vault); after a 401 or Zoom code 124
// it asks the source to refresh and repeats the request once. It maps Zoom's
// error bodies {code, message, errors[]} to the typed errors of package
// video: ErrHostNotFound (1001, 1010), ErrNotFound (3001), *ValidationError
// (300), ErrUnauthorized (124 after a refresh), ErrMissingScope (4711),
// *RateLimitError (429), ErrUnavailable (5xx, time-outs) and *video.Error,
// which says whether a retry can help (Permanent) and whether a failed
// request may nevertheless have taken effect (Uncertain).
//
// # Retries
//
// GET, PATCH and DELETE are retried in process after 5xx answers, time-outs
// and connection failures, with exponential back-off and full jitter
// (RetryPolicy; the sleep and the random source are injected). A 429 under a
// per-second limit is waited out when Zoom says how long (Retry-After,
// X-RateLimit-Reset) and that is at most RetryPolicy.MaxWait; a daily limit
// (X-RateLimit-Type: Daily-limit, "daily rate limit" in the message) is
// never waited out in process: it returns a *video.RateLimitError whose
// RetryAt is Retry-After or the next 00:00 UTC (zoom-api.md §3, §9.1), and a
// host that reached its 100 creates/updates a day is paused in this client
// until then, so further creates for it fail without calling Zoom. A DELETE
// that answers 3001 after an earlier attempt whose answer was lost counts as
// done.
//
// # Exactly-once creation
//
// Zoom has no idempotency keys: a POST whose answer is lost (time-out,
// connection cut after Zoom committed, a 502 from a proxy) may or may not
// have created a meeting, and posting again may create a second one (the
// "multiplying meetings" of LESSONS). CreateOnce therefore never posts again
// after an uncertain failure without first looking for the meeting the lost
// attempt may have created, and a caller that retries later (the outbox job's
// next run) passes video.CreateRef.Since so that the client looks before its
// first post as well.
//
// The look-up lists the host's meetings (GET /users/{host}/meetings,
// type=scheduled, every page of 300) and takes the meeting that matches the
// fingerprint of the request:
//
//   - the same topic and type;
//   - for a scheduled meeting (type 2), the same start_time to the minute;
//     not for recurring ones, whose listed start may be a later occurrence;
//   - the same duration and timezone when the request sets them;
//   - created_at within [Since - ClockSkew, now + ClockSkew]: created by an
//     attempt of this side effect, not before it;
//   - not an id the caller excludes (CreateRef.Exclude: ids other bookings
//     own).
//
// If several match, the earliest created wins; it is then read in full with
// GET /meetings/{id} and returned as if the POST had answered.
//
// Why a fingerprint and not a marker. A marker (the reference written into
// the agenda or topic) would identify the meeting with certainty, but every
// participant would see it in the Zoom client and in the invitation text,
// the host could edit it away, and the list endpoint truncates the agenda to
// 250 characters. Tracking fields must be configured by the account admin
// first, and custom_keys can only be set by a later PATCH (a second
// non-atomic request) and are not listed. The fingerprint is invisible and
// needs nothing from the account; its weakness is a coincidence: the host
// creating, by hand and within the few minutes of the retry window, a
// meeting with the same topic, start and duration; Convene would then adopt
// that meeting, which has exactly the parameters asked for, rather than
// create a duplicate. Convene's own bookings cannot collide: one organizer's
// meetings never overlap (DESIGN §2 step 4), and Exclude rules out the rest.
//
// Two limits remain, and are documented rather than hidden. Instant meetings
// (type 1) are not listed by Zoom, so they cannot be found again: CreateOnce
// posts again after an uncertain failure, and the worst case is an unused
// instant meeting nobody received the link of, which Zoom expires; the
// booking core asks for type 2 at the current time when it needs an
// "instant" meeting that must exist once.
//
// And a create whose answer did not come may still be running at Zoom
// (Zoom holding a request, a time-out, a cut connection, a proxy's 502):
// looking for its meeting too early finds nothing, and posting then makes
// a second one. A create is bounded: this client gives up on it after
// RetryPolicy.Timeout, and Zoom is given RetryPolicy.Settle more to finish
// it, so a create sent at t has taken effect by t + CreateWindow() or never
// will. Within one call, the look-up that may lead to another POST waits
// until then (unless Zoom's API answered itself, with its JSON error body).
// Across calls, after a crash: the caller records each POST's time before
// it leaves (CreateRef.Posting) and passes the last one back
// (CreateRef.Posted); a look-up that finds nothing before the window has
// passed returns a *video.InFlightError with the time to come back,
// instead of posting. Clocks of the nodes that share a database are
// assumed synchronized to well within Settle. Should Zoom still complete a
// create later than that, Duplicates finds what it made, for the caller to
// delete.
//
// This package must never import store, web, booking or apps; it depends on
// package video and the standard library only, and never logs tokens.
package zoom
