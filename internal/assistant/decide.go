package assistant

import (
	"strings"
	"unicode"

	"github.com/convene/convene/internal/assistant/understand"
)

// role is who wrote a message, in a thread.
type role int

const (
	roleOrganizer role = iota // the user who asked for the meeting
	roleGuest                 // an external attendee of the thread
	roleColleague             // another user of the account invited to it
	roleOther                 // anyone else (authenticated, but not part of the meeting)
)

func (r role) String() string {
	return [...]string{"organizer", "guest", "colleague", "other"}[r]
}

// event is a message in a thread, as decide sees it.
type event struct {
	Role   role
	Intent understand.Intent
	// Option is the current option picked (IntentPick), else -1.
	Option int
	// HasTime: the text says when (a time or a window).
	HasTime bool
	// Continue: the organizer says to go on without someone ("continue",
	// "go ahead without him", "continuez sans elle").
	Continue bool
	// NewTimes: the organizer asks for other times ("propose new times",
	// "d'autres créneaux").
	NewTimes bool
	// Words counts the words of the new text.
	Words int
}

// action is what the assistant does about a message.
type action string

// The actions.
const (
	doNothing       action = "nothing"
	doBook          action = "book"           // (re)try the request with what the organizer added
	doCancel        action = "cancel"         // the organizer calls it off
	doAccept        action = "accept"         // a guest accepts an option
	doAskWhich      action = "ask_which"      // a guest said yes without saying to what
	doNewOptions    action = "new_options"    // new options, in the window asked or the next days
	doDecline       action = "decline"        // a guest or colleague cannot come
	doReschedule    action = "reschedule"     // move a booked meeting
	doDuration      action = "duration"       // change the length
	doProvider      action = "provider"       // change the video provider
	doPick          action = "pick"           // the organizer decides: book option N
	doContinue      action = "continue"       // go on without the silent or declined guests
	doAcceptCounter action = "accept_counter" // move the meeting where a guest proposed
	doTellOrganizer action = "tell_organizer" // pass on what a guest wrote that cannot be acted on
)

// decide says what to do about a message in a thread, from the thread's
// state, what the organizer was asked, and who wrote what. It is pure: the
// table test in decide_test.go runs every intent in every state, for every
// role. The second result says why, for the record admins see.
func decide(state string, d *threadData, ev event) (action, string) {
	switch ev.Role {
	case roleOrganizer:
		return decideOrganizer(state, d, ev)
	case roleGuest:
		return decideGuest(state, d, ev)
	case roleColleague:
		if ev.Intent == understand.IntentDecline && state != stateCancelled {
			return doDecline, "a colleague cannot come: the organizer is told"
		}
		return doNothing, "a colleague wrote; only the organizer changes the meeting"
	}
	return doNothing, "the sender is not part of this meeting: nothing done"
}

func decideOrganizer(state string, d *threadData, ev event) (action, string) {
	if state == stateCancelled {
		return doNothing, "the request was cancelled"
	}
	if ev.Intent == understand.IntentCancel {
		return doCancel, "the organizer cancels"
	}
	if state == stateAsking {
		// Whatever the organizer answers completes the request: new
		// attendees, another window, a name made precise.
		return doBook, "the organizer answered: the request is tried again"
	}
	switch ev.Intent {
	case understand.IntentShorten, understand.IntentLengthen:
		return doDuration, "the organizer changes the length"
	case understand.IntentProvider:
		return doProvider, "the organizer changes the video provider"
	}
	if d.Question == askCounter && state == stateBooked {
		switch {
		case ev.Intent == understand.IntentAccept && !ev.HasTime:
			return doAcceptCounter, "the organizer accepts the guest's proposal"
		case ev.Intent == understand.IntentDecline || ev.Intent == understand.IntentNoneWork:
			return doNothing, "the organizer keeps the time"
		}
	}
	if negotiating(state, d) {
		switch {
		case ev.Intent == understand.IntentPick && ev.Option >= 0:
			return doPick, "the organizer decides which option to book"
		case ev.Continue && (d.Question == askSilent || d.Question == askDeclined):
			return doContinue, "the organizer goes on without the guests who did not answer or cannot come"
		case ev.Intent == understand.IntentAccept && !ev.HasTime && (d.Question == askSilent || d.Question == askDeclined):
			return doContinue, "the organizer goes on without the guests who did not answer or cannot come"
		case ev.Intent == understand.IntentReschedule, ev.Intent == understand.IntentNoneWork, ev.NewTimes,
			ev.HasTime && (ev.Intent == understand.IntentNew || ev.Intent == understand.IntentNone):
			return doNewOptions, "the organizer asks for other times"
		}
		return doNothing, "nothing to act on in the organizer's message"
	}
	// booked
	switch {
	case ev.Intent == understand.IntentReschedule, ev.Intent == understand.IntentNoneWork && ev.HasTime,
		ev.HasTime && ev.Intent == understand.IntentNew:
		return doReschedule, "the organizer moves the meeting"
	}
	return doNothing, "nothing to act on in the organizer's message"
}

func decideGuest(state string, d *threadData, ev event) (action, string) {
	switch {
	case state == stateCancelled:
		return doNothing, "the request was cancelled"
	case state == stateAsking:
		return doNothing, "no options are out yet"
	case negotiating(state, d):
		switch ev.Intent {
		case understand.IntentPick:
			if ev.Option >= 0 && ev.Option < len(d.Options) {
				return doAccept, "the guest picks an option"
			}
		case understand.IntentAccept:
			if ev.HasTime {
				return doNewOptions, "the guest offers a time that is not among the options"
			}
			if len(d.Options) == 1 {
				return doAccept, "the guest accepts the only option"
			}
			return doAskWhich, "the guest agrees without saying to which time"
		case understand.IntentDecline, understand.IntentCancel:
			return doDecline, "the guest cannot come"
		case understand.IntentNoneWork:
			return doNewOptions, "none of the options suit the guest"
		case understand.IntentReschedule, understand.IntentNew, understand.IntentNone:
			if ev.HasTime {
				return doNewOptions, "the guest asks for another time"
			}
		}
		if ev.Words >= 3 {
			return doTellOrganizer, "the guest wrote something the assistant cannot act on: the organizer is told"
		}
		return doNothing, "nothing to act on in the guest's message"
	}
	// booked
	switch {
	case ev.Intent == understand.IntentDecline || ev.Intent == understand.IntentCancel:
		return doDecline, "the guest cannot come any more: the organizer is told"
	case ev.HasTime && (ev.Intent == understand.IntentReschedule || ev.Intent == understand.IntentNoneWork || ev.Intent == understand.IntentNew):
		return doTellOrganizer, "the guest asks to move the meeting: the organizer decides"
	}
	return doNothing, "nothing to act on in the guest's message"
}

// continueWords and newTimesWords are how organizers answer the
// questions about silent or declining guests, folded (lower case, no
// accents).
var (
	continueWords = []string{"continue", "continuez", "continuer", "continuons", "go ahead", "proceed", "go on", "without",
		"sans", "poursuivre", "poursuivez", "allez-y", "vas-y", "book it anyway", "reserve quand meme", "quand meme"}
	newTimesWords = []string{"new times", "other times", "new options", "other options", "propose new", "propose other",
		"nouveaux creneaux", "autres creneaux", "nouvelles dates", "autres dates", "nouveaux horaires", "autres horaires",
		"d'autres", "nouvelles propositions", "autres propositions"}
)

// hasWords reports whether the folded text contains one of the phrases at
// word boundaries.
func hasWords(text string, phrases []string) bool {
	t := " " + fold(text) + " "
	for _, p := range phrases {
		i := strings.Index(t, p)
		for i >= 0 {
			before, after := rune(t[i-1]), rune(t[i+len(p)])
			if !unicode.IsLetter(before) && !unicode.IsLetter(after) {
				return true
			}
			j := strings.Index(t[i+1:], p)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

// fold lower-cases s, removes French accents and makes apostrophes plain.
func fold(s string) string {
	r := strings.NewReplacer("à", "a", "â", "a", "ä", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e", "î", "i", "ï", "i",
		"ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ÿ", "y", "œ", "oe", "’", "'")
	return r.Replace(strings.ToLower(s))
}

// wordCount counts the words of s.
func wordCount(s string) int {
	return len(strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
}
