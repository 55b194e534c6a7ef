// Package message reads one received e-mail (RFC 5322, MIME) into what the
// assistant needs from it: the keys that place it in a thread, the text its
// author wrote in it (without quoted history or signature), the message an
// organizer forwarded, the attendees, the language, and an iTIP part if
// there is one.
//
// It is pure: no database, no network, no clock, no logging; its input is
// the raw bytes the intake stored, bounded in size (Options.MaxSize), in
// MIME parts and in nesting (MaxParts, MaxDepth), so that a hostile message
// costs at most linear work. It must never import the store, a front end
// (internal/web) or the SMTP and IMAP intake: they import it.
//
// # What it recognises
//
// Quoted history and signatures, as the clients write them in text/plain and
// in text/html:
//
//   - Gmail: "On Mon, Mar 2, 2026 at 10:00 AM Ann <ann@x> wrote:" (also
//     wrapped over two or three lines) and the French "Le lun. 2 mars 2026 à
//     10:00, Ann <ann@x> a écrit :"; in HTML the gmail_quote container and
//     the gmail_signature;
//   - Outlook: "-----Original Message-----", "-----Message d'origine-----",
//     the "From: … Sent: … To: … Subject:" block and its French "De : …
//     Envoyé : … À : … Objet :" (also Outlook for Mac's "Date:"), the line
//     of underscores of Outlook on the web, and in HTML the divRplyFwdMsg
//     container, the new Outlook's reference-message container and the div
//     with a top border of Outlook desktop; Outlook's Thread-Index;
//   - Apple Mail: "On 2 Mar 2026, at 10:00, Ann <ann@x> wrote:", "Le 2 mars
//     2026 à 10:00, Ann <ann@x> a écrit :", blockquote type=cite;
//   - Thunderbird: "On 3/2/26 10:00 AM, Ann wrote:", moz-cite-prefix,
//     moz-forward-container; French clients generally ("… a écrit :");
//   - lines quoted with ">", kept when the author answers below or between
//     them (bottom-posting, interleaving);
//   - signatures: the "-- " delimiter, "Sent from my iPhone", "Envoyé de mon
//     iPhone", "Get Outlook for iOS" and their kind, a name block after a
//     closing ("Best,\nBob\n+1 212…": the closing stays, the block goes), a
//     legal disclaimer in a paragraph of its own at the end, and the
//     "external sender" banner some servers put on top.
//
// Yahoo's yahoo_quoted and Proton's protonmail_quote containers are
// history too; "Ann <ann@x> writes:" (Gnus, mutt) and the German, Spanish,
// Italian and Dutch attributions and Outlook blocks are read as well.
//
// Forwarded messages ("---------- Forwarded message ---------", "Begin
// forwarded message:", "-------- Message transféré --------", "Début du
// message réexpédié :", Outlook's header block under a "FW:"/"TR:" subject,
// or a message/rfc822 attachment) are given apart: the organizer's own text
// and the forwarded message's headers and text.
//
// HTML is read with golang.org/x/net/html's tokenizer into lines, keeping
// the structure the reply parser needs (blockquotes, quote containers);
// legacy charsets are decoded with go-message's charset package; format=flowed
// (RFC 3676) is joined.
package message
