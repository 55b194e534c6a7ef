package pages

import (
	"fmt"
	"net/http"
	"slices"

	"golang.org/x/text/language"

	"github.com/convene/convene/internal/account"
)

// Locale is the language of one page: its catalog.
type Locale struct {
	// Lang is the language's code: "en" or "fr".
	Lang string
	msgs map[string]string
}

// T returns the message key in the locale, formatted with args
// (fmt.Sprintf) when there are any; a key missing from the catalog shows
// as itself between brackets (the catalog test keeps that from shipping).
func (l *Locale) T(key string, args ...any) string {
	msg, ok := l.msgs[key]
	if !ok {
		msg, ok = catalogs["en"][key]
	}
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether the catalog has key.
func (l *Locale) Has(key string) bool {
	_, ok := l.msgs[key]
	return ok
}

// catalogs are the messages per language (messages.go).
var catalogs = map[string]map[string]string{"en": messagesEN, "fr": messagesFR}

// languages are the pages' languages, the first the default.
var languages = []language.Tag{language.English, language.French}

var matcher = language.NewMatcher(languages)

// langCookie keeps the visitor's choice of language.
const langCookie = "convene_lang"

// maxAcceptLanguage bounds the header the matcher parses.
const maxAcceptLanguage = 512

// locale chooses the language of a page: the visitor's choice on this
// browser (the language switch's cookie), else the signed-in user's
// language, else the browser's Accept-Language (RFC 9110 §12.5.4), else
// English.
func (s *Server) locale(r *http.Request, ws *account.WebSession) *Locale {
	if c, err := r.Cookie(langCookie); err == nil && validLang(c.Value) {
		return localeOf(c.Value)
	}
	if ws != nil && validLang(ws.User.Language) {
		return localeOf(ws.User.Language)
	}
	accept := r.Header.Get("Accept-Language")
	if len(accept) > maxAcceptLanguage {
		accept = accept[:maxAcceptLanguage]
	}
	if accept != "" {
		_, idx, conf := matcher.Match(parseAccept(accept)...)
		if conf != language.No {
			base, _ := languages[idx].Base()
			return localeOf(base.String())
		}
	}
	return localeOf("en")
}

// parseAccept parses an Accept-Language header; a malformed one counts as
// empty.
func parseAccept(h string) []language.Tag {
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil {
		return nil
	}
	return tags
}

func validLang(l string) bool { return slices.Contains(account.Languages, l) && catalogs[l] != nil }

func localeOf(lang string) *Locale { return &Locale{Lang: lang, msgs: catalogs[lang]} }
