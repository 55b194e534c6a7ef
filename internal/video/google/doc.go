// Package google is Google Workspace's app: Google Calendar (the
// video.Calendars of a Workspace's users) and Google Meet (a video.Provider
// whose meetings are events of the host's calendar), through Google's own
// generated client, google.golang.org/api/calendar/v3.
//
// Convene acts as each user of the install's managed domains through
// domain-wide delegation: the admin gives a service account's JSON key at
// install (sealed at rest by internal/apps) and grants its client ID the
// scopes of App's Auth in the Workspace admin console; the Client signs a
// JWT assertion (RFC 7523) with the key for each user (Subject) and keeps
// the token sources of recent users. The key is never logged.
//
// Requests are retried, bounded and under ctx, when Google refuses them for
// a while (403 rateLimitExceeded and userRateLimitExceeded, 429, 500, 503);
// Google's errors (googleapi.Error and its reasons) become video's.
//
// This package imports video and Google's client only; it is registered in
// internal/server like every app (internal/video/README.md).
package google
