// Package msgraph is Convene's Microsoft 365 app: a Microsoft Graph v1.0
// client over an install's client-credentials token (video.TokenSource),
// the Outlook calendars of the tenant's users as video.Calendars, Teams
// online meetings as a video.Provider, the app's catalog entry (App) and
// its change-notification receiver.
//
// What Graph does that breaks naive clients, and what this client does:
//
//   - Throttling: 429, and 503/504 from overloaded back ends, come with
//     Retry-After (seconds). The client waits it out, within
//     RetryPolicy's bounds (attempts, one wait, the total waited) and ctx,
//     then returns a *video.RateLimitError or video.ErrUnavailable.
//   - Paging: collections come in pages linked by @odata.nextLink and end
//     with @odata.deltaLink for delta queries; links are followed only on
//     Graph's own host, and at most RetryPolicy.MaxPages pages.
//   - Time zones: every request sends Prefer: outlook.timezone="UTC", so
//     event times come back in UTC; mailboxSettings and events made in
//     Outlook name Windows zones, mapped to IANA names through CLDR's
//     windowsZones table (internal/winzones names the CLDR release).
//   - Ids: every request sends Prefer: IdType="ImmutableId", so an event's
//     id survives it being moved between folders (Convene stores it).
//   - JSON $batch (at most 20 requests) where one call replaces many:
//     free/busy of more people, or a longer window, than one getSchedule
//     takes.
//   - Errors: Graph's error object (error.code, error.message,
//     error.innerError's request-id) is mapped onto video's errors.
//
// This package must never import store, web, booking or apps.
package msgraph
