// Package assistant is Convene's e-mail assistant: the conversation about
// each meeting request, one thread per request, persisted and resumable. It
// is the inbox's Processor (internal/inbox hands it every message whose
// sender is proven), what answers the guests' page behind its one-click
// choice links (GuestAnswers, for internal/web/pages), booking's
// OnProposal (Adopt: proposals made through the API are mailed to their
// guests too), and a periodic sweep of reminders.
//
// # Who may do what
//
//   - Only a user of the account, whose address the inbox proved (SPF,
//     DKIM, DMARC), starts or changes meetings (inbox.Sender.MayCommand).
//   - An authenticated sender who is not a user and writes outside any
//     thread gets one short, polite refusal (DESIGN.md §2) and nothing is
//     booked; unproven senders never reach the assistant (no backscatter).
//     Either way the inbox record says why (GET /api/v1/inbox).
//   - A guest's answer counts only from that guest's proven address, in
//     that guest's thread; a colleague invited may say they cannot come;
//     anyone else writing in a thread changes nothing.
//   - An iTIP REPLY or COUNTER counts only from the attendee it names.
//
// # The conversation
//
// A new request is read with understand (intents, times, length, zone,
// provider) and internal/mail/message (attendees from To and Cc less the
// assistant and the organizer, colleagues' names resolved among the
// account's users, the forwarded message). What is missing is defaulted:
// the organizer's default length, their zone (a zone named in the text
// wins), the account's provider, the next five working days. Only what
// cannot be defaulted is asked, in one short mail: who to invite, which of
// two colleagues a name means, another window when nothing is free.
//
// With colleagues only, the best slot is booked (booking.CreateWith, the
// API's window booking) and the organizer gets one confirmation once the
// video meeting exists. With external guests the meeting is a proposal:
// every guest gets its 3 to 5 options in their language and zone, each with
// a signed, expiring, single-use link, and one link to all of them (see
// links.go; the page they open answers as a reply would), and may answer
// in words ("Thursday works", "jeudi 10h ça me va", "the second one",
// "none of these, next week?"). The organizer gets the list.
//
// When is it agreed? Each guest's pick adds that option to the options they
// accept. The meeting is booked at the first option every guest still in
// the negotiation accepts (with one guest: their pick), through
// booking.ChooseWith, the path of POST /api/v1/meetings/{id}/choose (video
// meeting, invitations). When every guest has answered and no option suits
// all, the organizer decides: they reply with the number of the option to
// book, "new times" or "cancel". A guest who cannot come is told to the
// organizer and no longer counts; with nobody left the organizer is asked.
// A time taken meanwhile (the organizer's own booking, a colleague's
// calendar) is never double-booked: new options go out.
//
// A guest silent for GuestReminder gets one reminder; silent as long again,
// the organizer is asked (continue without them, new times, cancel), once.
// The organizer can cancel, move, shorten, lengthen or change the video
// provider by replying in the thread (to any of the assistant's mails).
//
// # Exactly once
//
// Every step (a message, a link used, a reminder due) commits in one
// transaction its thread's new state, its mail (the outbox, with dedupe
// keys), its jobs and the record of the step (assistant_steps): a
// redelivered message or a retried job finds the record and changes
// nothing. A booking the step makes commits in the same transaction
// (booking's CreateWith, ChooseWith and Repropose take the step's writes);
// a change made by another transaction (reschedule, cancel, provider) is
// planned first, and a retry carries out the same plan. One worker at a
// time acts on a thread (a lease on its row).
//
// # Mail
//
// Every mail comes from the account's assistant address, through the
// outbox (DKIM-signed as it leaves), keeps the thread (its own Message-ID,
// In-Reply-To and References), carries the account's branding, is short,
// in the recipient's language (English or French), and names only free
// options: never anyone's other appointments. The texts are templates
// (letters/en.tmpl, letters/fr.tmpl).
//
// It is part of the core: front ends (web, the SMTP and IMAP intake) call
// it; it must never import them.
package assistant
