// Package calendar keeps Convene's calendars: each user's built-in calendar
// (events imported with PUT /api/v1/users/{email}/calendar, the events of
// meetings Convene books, and what CalDAV clients write to it; served over
// CalDAV by the davserver sub-package) and the external sources a user adds
// (CalDAV accounts, ICS feeds) that a sync worker keeps copied in.
//
// The users of an installed app with calendars (Microsoft 365's Outlook,
// Google Calendar: video.App.Calendar) have an app calendar each, synced
// like a CalDAV source through the app's video.Calendars and kept fresh by
// the provider's change notifications (apps.go).
//
// It answers one question for the rest of Convene: when is each user busy?
// Busy returns, for a time window, every user's busy time from all of their
// calendars, recurring events expanded with their exceptions (internal/recur),
// transparent, cancelled and declined events left out, and the failure policy
// applied: a source that cannot be synced makes its user busy for the whole
// window asked about (SourceProblem says so), so a broken connection can
// never cause a double booking unnoticed (LESSONS.md, "Calendars and time").
//
// # Storage
//
// Every calendar object (the components of one UID, RFC 4791 §4.1) is stored
// as iCalendar text with the time bounds of all its instances and a busy
// class, so that a busy-time query reads only the objects that meet its
// window and parses only those that recur (or float): single events are
// intervals already. Each calendar counts its changes (the CalDAV ctag and
// sync token) and keeps a change log for sync-collection (RFC 6578).
//
// # Who may do what
//
// Methods taking an account.Principal check rights: users act on their own
// calendars, admins on any user's of their account. The methods for the
// booking code (Busy, WriteEvent, DeleteEvent, DeleteOccurrence) take the
// account and user IDs and trust their caller, which has already decided.
//
// # Limits and secrets
//
// A user's built-in calendar holds at most Limits.MaxUserObjects events and
// Limits.MaxUserBytes bytes, each event at most Limits.MaxObjectBytes
// (quota.go); meetings Convene books are written past them. The sync worker
// runs Options.SyncWorkers syncs at once, Options.SyncPerAccount of one
// account, the accounts taking turns (worker.go). A source's URL may be its
// only credential: it is shown and logged only through package redact, and
// only its owner and the account's admins learn which source failed.
//
// This package is part of the core: it must never import internal/web or
// another front end; the HTTP handlers and the CalDAV server call into it.
package calendar
