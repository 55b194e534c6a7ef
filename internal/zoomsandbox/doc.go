// Package zoomsandbox is a Zoom-compatible server for offline use and tests:
// Zoom's OAuth endpoints (/oauth/authorize, /oauth/token, /oauth/revoke), the
// Meetings and Users REST API under /v2, signed outgoing webhooks, and test
// controls under /_sandbox (listing meetings and tokens, injecting faults).
//
// It speaks Zoom's contract as /work/shared/zoom-api.md digests it (Zoom's
// OpenAPI document, its error codes, rate-limit headers and webhook signing),
// and its tests check every exchange against Zoom's OpenAPI document and run
// Zoom's own Node SDK against it.
//
// `convene zoom-sandbox` serves the handler tree at its root; `convene serve`
// mounts the same tree under /zoom-sandbox with http.StripPrefix. Every URL
// the sandbox hands out is built from Options.BaseURL.
//
// This package stands on its own: it must never import Convene's core
// packages (store, account, apps, video, booking, web …); Convene talks to it
// over HTTP only, as it talks to the real Zoom.
package zoomsandbox

// Zoom names its time zones with IANA identifiers; the sandbox must resolve
// them even on machines without a zoneinfo database.
import _ "time/tzdata"
