// Package pages is Convene's web front end for people: the first-run setup
// page, signing in (password, password reset by mail, optional single
// sign-on with OpenID Connect), and the pages built on them.
//
// It is a front end: it renders the core's answers and never decides a
// business rule itself (who may do what, what is valid, when a session
// ends: internal/account and the other core packages do). The core never
// imports it; internal/web serves its routes beside the API
// (web.Server.Pages).
//
// How it is built, and what the later pages reuse:
//   - html/template with embedded files: one layout (templates/layout.html:
//     skip link, header with the navigation, main, footer with the
//     language switch); each page is one file defining "title" and "main"
//     (Server.page parses it with the layout and the form partials of
//     templates/forms.html).
//   - One stylesheet and one small script (static/), served with a hash in
//     their URL; no inline style or script, so the Content-Security-Policy
//     forbids both. Every flow works without JavaScript: the script only
//     improves (the browser's time zone, copy buttons).
//   - English and French: a message catalog (messages.go) chosen by the
//     visitor's choice (a cookie), then the user's language, then
//     Accept-Language, then English.
//   - Forms: every POST carries a CSRF token tied to the session (or, before
//     sign-in, to a random cookie) and must come from the same origin
//     (Sec-Fetch-Site/Origin, net/http's CrossOriginProtection); field
//     errors come from the core's failures; flash messages survive one
//     redirect.
//   - Security headers on every answer (headers.go).
//
// Sessions authenticate pages only; the API keeps its tokens. Any JSON a
// page calls is a route of this package and requires the CSRF token in the
// X-CSRF-Token header.
package pages
