package message

// Keys are what places a message in a thread; the conversation layer
// stores them with every message of a thread (received and sent).
type Keys struct {
	// MessageID is the message's own id, without angle brackets ("" when
	// the sender gave none).
	MessageID string
	// InReplyTo and References are the ids of its parent and of its
	// ancestors (RFC 5322 §3.6.4), oldest first, at most MaxIDs.
	InReplyTo, References []string
	// Forwarded are the ids of the messages it forwards: Thunderbird's
	// X-Forwarded-Message-Id, and the Message-ID of an attached message.
	Forwarded []string
	// ThreadIndex is the conversation part of Outlook's Thread-Index, the
	// same in every message of an Outlook conversation; "" for other
	// clients.
	ThreadIndex string
	// Subject is ThreadSubject of the Subject: no prefixes, lower case.
	Subject string
}

// BelongsTo reports whether a new message belongs to a thread whose stored
// messages have the keys thread (those the assistant received and those it
// sent).
//
// The thread is the set of every id its messages name: their own
// Message-IDs, and the ids in their In-Reply-To, References and Forwarded.
// The new message belongs to it when its own id, its In-Reply-To, any id of
// its References, or an id it forwards is in that set, or when it carries
// the same Outlook conversation index. Any id of the chain is enough,
// because RFC 5322 §3.6.4 makes References the parent's References plus the
// parent's id, so a reply to any message of the thread, however deep,
// names at least one known id even when its client trimmed the list.
//
// How a guest's reply to the organizer's forward is matched: the organizer
// Ann receives Bob's "let's meet next week" (id B) and forwards it to the
// assistant as F. Gmail and Outlook put B, and B's own References, in F's
// References and In-Reply-To; Thunderbird names B in X-Forwarded-Message-Id;
// a forward as attachment carries B's Message-ID in the attached message.
// All of these are stored with F, so B is in the thread's set. When Bob
// then answers in his own thread with Ann (replying to B, or to Ann's
// earlier reply, with the assistant in copy), his References name B: he is
// matched although he never saw F. When Ann forwards the assistant's
// proposal (id P) to Bob and Bob answers her, his References hold P
// (through Ann's forward's References): matched too. A client that drops
// every id (an inline forward from Apple Mail or a webmail that sets
// neither References nor X-Forwarded-Message-Id) leaves only the subject;
// SameSubject says so, and the caller decides with the sender's address
// whether that is enough.
func BelongsTo(thread []Keys, m Keys) bool {
	known := make(map[string]bool)
	indexes := make(map[string]bool)
	for _, k := range thread {
		if k.MessageID != "" {
			known[k.MessageID] = true
		}
		for _, l := range [][]string{k.InReplyTo, k.References, k.Forwarded} {
			for _, id := range l {
				known[id] = true
			}
		}
		if k.ThreadIndex != "" {
			indexes[k.ThreadIndex] = true
		}
	}
	if m.MessageID != "" && known[m.MessageID] {
		return true
	}
	for _, l := range [][]string{m.InReplyTo, m.References, m.Forwarded} {
		for _, id := range l {
			if known[id] {
				return true
			}
		}
	}
	return m.ThreadIndex != "" && indexes[m.ThreadIndex]
}

// SameSubject reports whether a message has the subject of a thread (after
// ThreadSubject). It is weak evidence: "Meeting" threads are many; the
// caller combines it with the sender being a participant of the thread and
// the thread being recent.
func SameSubject(thread []Keys, m Keys) bool {
	if m.Subject == "" {
		return false
	}
	for _, k := range thread {
		if k.Subject == m.Subject {
			return true
		}
	}
	return false
}
