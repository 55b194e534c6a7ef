// Package understand turns the text of a meeting request, in English or
// French, into a structured request: subject, start time or search window,
// duration, time zone, recurrence, attendees, video provider and language,
// and, for a message in a thread, what it asks the assistant to do (new
// request, reschedule, cancel, shorten or lengthen, pick an offered option,
// none of the options, decline, accept).
//
// It follows the conventions of UNDERSTANDING.md (cited as R1..R15 in the
// code). It is pure: no database, no network, no clock (Context.Now and
// Context.Zone are injected), and it must never import a front end
// (internal/web, internal/mail) or the store.
//
// # How it reads
//
// A hand-written tokenizer folds the text once (lower case, accents
// removed), looks every word up once in a lexicon, and a small grammar of
// recognisers turns runs of tokens into atoms (a day, a span of days, a
// clock time, a range, a part of the day, a length, a zone, a recurrence).
// Atoms separated only by glue words ("at", "on", "le", "à") form a group;
// each group is resolved against now on the local calendar of the zone
// into a reading; in an e-mail (rule 15) readings are scored by the cues of
// their sentence ("can we meet", "dispo", a question) and their clause
// ("as discussed", "lands at", "moved from", past tense, "c'est mort"), and
// past readings are dropped. No regular expression runs, and the work is
// linear in the text, which is cut at MaxInput (64 KiB).
//
// # What it understands
//
//   - dates: "March 20", "20 mars 2026", "the 25th", "le 1er", ISO dates,
//     numeric dates (R12: French d/m, English m/d in America/* zones), date
//     ranges ("March 18-20", "du 3 au 5 avril", "from Monday to Wednesday"),
//     months ("in July", "début juillet"), "the first Monday of July",
//     impossible dates (no answer, R14);
//   - weekdays with this/next/last, "X prochain", "X dernier", "X en
//     huit/quinze", "Tuesday week", "a week on/from Friday" (R4), weeks and
//     weekends, "early next week", "fin de semaine" (R5);
//   - relative dates: tomorrow, après-demain, "in 3 weeks", "dans huit
//     jours", "in a fortnight", months clamped to the month's end, elapsed
//     hours and minutes, "same time next week", "à la même heure" (R6);
//   - times: 12/24-hour forms, "15h30", "9.30am", "half nine", "quarter past
//     2", "midi moins le quart", "deux heures et demie de l'après-midi", the
//     business-hours rule for bare hours, noon and midnight (R7); parts of
//     the day and narrowed windows ("after 3", "avant 11h") (R8); ranges
//     (R9); lengths including French number words and "septante" (R10);
//   - DST: a time in a gap moves forward, a repeated time takes its first
//     occurrence (R11); zones named in the text: PT, ET, CET, JST, IST, UTC,
//     "Z", "UTC+2", "London time", "heure de Montréal" (R1); holidays with
//     the Easter computus (R13), plus Christmas (Eve), New Year's Eve and
//     Ascension; "later this week", "in the next two weeks", "dans les 15
//     prochains jours", "end of the month", "fin du mois";
//   - recurrences: "every other Tuesday", "tous les lundis", "every
//     weekday", "twice a week on Mon and Thu", "monthly on the first
//     Monday", "le dernier vendredi de chaque mois", "until June", "for 6
//     weeks", "10 sessions" (RRULE);
//   - the video provider ("on Zoom", "sur Teams", "via Google Meet",
//     "Jitsi"; "in person", "en présentiel" give "none"), the subject ("a
//     meeting about X", "pour parler de X"), e-mail addresses, names after
//     "with"/"avec", the language (a stop-word scorer);
//   - e-mails (ParseEmail, or ParseMail for a message internal/mail/message
//     has read): the Subject, the new text of the body (NewText here is a
//     minimal version; internal/mail/message.NewText is the full reply
//     parser), rule 15's choice of the proposed slot among distractors;
//   - the language alone (DetectLanguage) and the names alone (Names), for
//     callers that need them without reading dates;
//   - thread intents, and options picked by position or by time.
//
// Where UNDERSTANDING.md is silent these choices hold: a zero-padded hour
// ("07:30") is a 24-hour time; a range of times alone is a meeting (start,
// end, duration), and a window only when a shorter length is also stated;
// "after 2" ends at the end of the part of the day named, else of the day,
// "before 11" starts at the start of the part named, else at 00:00; a
// series starts at its first instance strictly after now (timed) or after
// today (untimed), or on or after the start the text gives; UNTIL includes
// the last day named ("until June" ends with 31 May) and is a UTC date-time
// for a timed series, a DATE otherwise; a month alone is the whole month,
// "début"/"early" its days 1-10, "mi"/"mid" 11-20, "fin"/"late" 21 to the
// end; "dîner" is lunch in an America/* zone (Québec) and the evening
// elsewhere; with no date in the text only the time fields are null: the
// zone, language, subject, attendees and provider are still given.
//
// # What it does not understand yet
//
// Relative references to other events ("after the board meeting", "the day
// before the launch": only the date said is read); several proposed slots
// ("Tuesday at 2 or Wednesday at 10": the first is the answer, the others
// are not returned); a part of the day over several days ("between Monday
// and Wednesday afternoon" gives the three days); quarters and fiscal
// periods ("in Q2"); spelled-out ordinals as dates ("the twentieth of
// March"); holidays beyond those above (Thanksgiving, Labour Day, Whit
// Sunday...); "ASAP" and "end of day" as times; exclusions in recurrences
// ("except holidays"); names not introduced by "with", "avec" or "invite";
// HTML-only e-mails in ParseEmail (it wants a text/plain part:
// internal/mail/message turns HTML into text, and ParseMail reads its
// result); languages other than English and French.
package understand
