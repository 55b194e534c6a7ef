package web

import (
	"context"
	_ "embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/convene/convene/internal/assistant"
	"github.com/convene/convene/internal/failure"
)

// ChoiceLinks serves the guests' one-click choice links (the assistant's
// mail); *assistant.Service is one.
type ChoiceLinks interface {
	// Describe reads a link for the page; it changes nothing.
	Describe(ctx context.Context, token string) (*assistant.LinkView, error)
	// Choose acts on a link: the guest's answer.
	Choose(ctx context.Context, token string) (*assistant.LinkView, error)
}

// choiceRoutes: the page a guest's choice link lands on. GET shows the
// time and a button and never books (mail scanners fetch links); POST,
// the button, books. No JavaScript; English or French by the guest's
// language.
func (s *Server) choiceRoutes() []route {
	return []route{
		{method: "GET", path: "/choose/{token}", summary: "A guest's choice link: the time offered and a button to confirm it (HTML, JSON with Accept: application/json; books nothing)",
			resp: map[int]string{200: ""}, handle: s.showChoice},
		{method: "POST", path: "/choose/{token}", summary: "Confirm the time of a guest's choice link (an HTML form; the link works once)",
			resp: map[int]string{200: ""}, handle: s.confirmChoice},
	}
}

//go:embed choose.html
var chooseHTML string

var choosePage = template.Must(template.New("choose").Parse(chooseHTML))

// choiceText are the page's words.
var choiceText = map[string]map[string]string{
	"en": {
		"meeting": "Meeting:", "confirm": "Confirm this time",
		"confirm.title": "Does this time suit you?", "confirm.detail": "Confirm it and the organizer's assistant takes care of the rest.",
		"booked.title": "Booked, thank you!", "booked.detail": "The invitation is on its way to everyone.",
		"accepted.title": "Thank you!", "accepted.detail": "Your answer is recorded. The meeting will be confirmed once everyone has answered.",
		"taken.title": "This time was just taken", "taken.detail": "New times are on their way to you by e-mail.",
		"failed.title": "This did not work", "failed.detail": "The meeting could not be booked; the organizer is told.",
		"invalid.title": "This link is not valid", "invalid.detail": "It may be incomplete: open it again from the e-mail, or reply to the e-mail instead.",
		"expired.title": "This link has expired", "expired.detail": "Reply to the e-mail to answer.",
		"used.title": "This link was already used", "used.detail": "Your answer is recorded; there is nothing more to do.",
		"replaced.title": "These times were replaced", "replaced.detail": "Newer times were sent to you: use the latest e-mail.",
		"closed.title": "This meeting is settled", "closed.detail": "It is already booked or cancelled; there is nothing more to choose.",
		"busy.title": "Please try again", "busy.detail": "Another answer is being recorded right now. Try again in a moment.",
	},
	"fr": {
		"meeting": "Réunion :", "confirm": "Confirmer ce créneau",
		"confirm.title": "Ce créneau vous convient-il ?", "confirm.detail": "Confirmez-le et l'assistant de l'organisateur s'occupe du reste.",
		"booked.title": "C'est réservé, merci !", "booked.detail": "L'invitation est en route pour tout le monde.",
		"accepted.title": "Merci !", "accepted.detail": "Votre réponse est enregistrée. La réunion sera confirmée quand tout le monde aura répondu.",
		"taken.title": "Ce créneau vient d'être pris", "taken.detail": "De nouveaux créneaux vous sont envoyés par e-mail.",
		"failed.title": "Cela n'a pas fonctionné", "failed.detail": "La réunion n'a pas pu être réservée ; l'organisateur est prévenu.",
		"invalid.title": "Ce lien n'est pas valide", "invalid.detail": "Il est peut-être incomplet : ouvrez-le à nouveau depuis l'e-mail, ou répondez plutôt à l'e-mail.",
		"expired.title": "Ce lien a expiré", "expired.detail": "Répondez à l'e-mail pour donner votre réponse.",
		"used.title": "Ce lien a déjà servi", "used.detail": "Votre réponse est enregistrée ; il n'y a rien d'autre à faire.",
		"replaced.title": "Ces créneaux ont été remplacés", "replaced.detail": "De nouveaux créneaux vous ont été envoyés : utilisez le dernier e-mail.",
		"closed.title": "Cette réunion est réglée", "closed.detail": "Elle est déjà réservée ou annulée ; il n'y a plus rien à choisir.",
		"busy.title": "Veuillez réessayer", "busy.detail": "Une autre réponse est en cours d'enregistrement. Réessayez dans un instant.",
	},
}

// choiceKind is the failure kind of each outcome that is not a success:
// the page's status, and the problem's for a client that asks for JSON.
var choiceKind = map[string]failure.Kind{
	assistant.LinkTaken: failure.Conflict, assistant.LinkFailed: failure.Conflict,
	assistant.ProblemInvalid: failure.NotFound, assistant.ProblemExpired: failure.Conflict, assistant.ProblemUsed: failure.Conflict,
	assistant.ProblemReplaced: failure.Conflict, assistant.ProblemClosed: failure.Conflict, assistant.ProblemBusy: failure.Unavailable,
}

func (s *Server) showChoice(w http.ResponseWriter, r *http.Request) error {
	if s.Links == nil {
		return writeChoice(w, r, &assistant.LinkView{State: assistant.LinkRefused, Problem: assistant.ProblemInvalid})
	}
	v, err := s.Links.Describe(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	return writeChoice(w, r, v)
}

func (s *Server) confirmChoice(w http.ResponseWriter, r *http.Request) error {
	if s.Links == nil {
		return writeChoice(w, r, &assistant.LinkView{State: assistant.LinkRefused, Problem: assistant.ProblemInvalid})
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10) // the form has no fields
	v, err := s.Links.Choose(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	return writeChoice(w, r, v)
}

// writeChoice renders the page of a link's state; a client that asks for
// JSON gets the state as JSON, or a problem document.
func writeChoice(w http.ResponseWriter, r *http.Request, v *assistant.LinkView) error {
	lang := v.Lang
	if lang != "fr" && lang != "en" {
		lang = "en"
		if al := strings.ToLower(r.Header.Get("Accept-Language")); strings.HasPrefix(al, "fr") {
			lang = "fr"
		}
	}
	key := v.State
	if key == assistant.LinkRefused {
		key = v.Problem
	}
	t := choiceText[lang]
	if _, ok := t[key+".title"]; !ok {
		key = assistant.ProblemInvalid
	}
	status, class := http.StatusOK, "ok"
	if kind, bad := choiceKind[key]; bad {
		status, class = kindStatus[kind], "bad"
		if strings.Contains(r.Header.Get("Accept"), "application/json") {
			return failure.New(kind, "%s", t[key+".title"]+": "+t[key+".detail"]).With("state", v.State).With("problem", v.Problem)
		}
	} else if strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, http.StatusOK, map[string]any{"state": v.State, "language": lang, "subject": v.Subject, "organizer": v.Organizer,
			"when": v.When, "duration": v.Duration})
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The token is in the URL: it must not leak to other sites.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "2")
	}
	w.WriteHeader(status)
	return choosePage.Execute(w, map[string]any{"Lang": lang, "V": v, "T": t, "Title": t[key+".title"], "Detail": t[key+".detail"], "Class": class})
}
