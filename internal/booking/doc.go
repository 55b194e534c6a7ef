// Package booking turns a meeting request into a booked meeting, exactly
// once: the meeting row, the organizer's time holds and the jobs of its
// side effects (create the video meeting, write calendar events, send the
// invitations) commit in one transaction; the jobs then run with retries
// and never create a second video meeting or a second invitation, also
// when the process dies while the provider is still making the meeting
// (see sweep.go).
// Reschedules and cancellations flow to the provider and to every invitee
// the same way, and the providers' webhooks (as neutral video.Events) and
// a periodic reconciler bring back what changed there.
//
// It knows providers only through the catalog of apps (video.Registry):
// their names, their Rules, their events. It is part of the core: it may
// import store, apps, video, invite, jobs and recur, never a front end and
// never a provider's package.
package booking
