package pages

// The pages' words, in English and French. Keys are grouped by page; a
// test checks that both catalogs have the same keys and that every key a
// template or handler uses exists. Messages with %s or %d take arguments
// (Locale.T). The numbers in hint.new_password and err.password_short follow
// account.MinPasswordLength (a test checks).
//
// Each area of the pages keeps its words in a file of its own
// (messages_admin.go…) and merges them at init with addMessages, so that
// work on two areas does not edit one map.

var messagesEN = map[string]string{
	"layout.skip":            "Skip to the content",
	"layout.nav":             "Main",
	"layout.signout":         "Sign out",
	"layout.language":        "Language",
	"layout.language_change": "Change",
	"layout.api":             "API",
	"nav.home":               "Home",
	"error.home":             "Back to the home page",

	"field.account":          "Organization name",
	"field.admin_name":       "Your name",
	"field.admin_email":      "Your e-mail address",
	"field.password":         "Password",
	"field.password_confirm": "Password, again",
	"field.timezone":         "Time zone",
	"field.email":            "E-mail address",
	"field.name":             "Token name",
	"hint.new_password":      "At least 10 characters; a few words you remember are best.",
	"hint.timezone":          "Your meetings are shown in this zone; you can change it later.",
	"hint.name":              "To tell your tokens apart, e.g. “laptop”.",

	"setup.title":          "Set up Convene",
	"setup.intro":          "Convene has no account yet. Create your organization and its first admin: you.",
	"setup.account_legend": "Your organization",
	"setup.admin_legend":   "You, its admin",
	"setup.submit":         "Create and sign in",
	"sandbox.title":        "Built-in Zoom sandbox",
	"sandbox.text":         "Convene runs with its built-in Zoom sandbox, so everything works offline. Managed domains under the names reserved for tests and documentation (.test, .example, example.com, .invalid, .localhost) are verified without DNS here; with real Zoom every domain needs its DNS record.",

	"signin.title":  "Sign in",
	"signin.submit": "Sign in",
	"signin.forgot": "Forgot your password, or never had one?",
	"signin.sso":    "Sign in with your organization's account",

	"reset_request.title":  "Set a new password",
	"reset_request.intro":  "Give your e-mail address: if it is a user's, we send a link to choose a new password. The link works once, for an hour.",
	"reset_request.submit": "Send the link",
	"reset_request.back":   "Back to sign-in",
	"reset.title":          "Choose a new password",
	"reset.intro":          "New password for %s. Your other sessions end when you save it.",
	"reset.invalid":        "This link does not work: it expired, was already used, or was cut in the mail.",
	"reset.again":          "Ask for a new link",
	"reset.submit":         "Save and sign in",

	"dashboard.title":             "Home",
	"dashboard.welcome":           "Welcome, %s",
	"dashboard.account":           "Account: %s",
	"dashboard.no_password":       "You have no password yet.",
	"dashboard.set_password":      "Set one",
	"dashboard.start":             "Getting started",
	"dashboard.start_api":         "Everything can be done through the API, described at",
	"dashboard.start_dav":         "Calendars (Thunderbird, Apple Calendar, DAVx5) connect over CalDAV at",
	"role.owner":                  "owner",
	"role.admin":                  "admin",
	"role.member":                 "member",
	"tokens.title":                "API tokens",
	"tokens.intro":                "A token lets scripts use the API, and calendar apps sign in over CalDAV (with your e-mail address as user name).",
	"tokens.new":                  "Your new token, shown only this once:",
	"tokens.create":               "Create a token",
	"copy":                        "Copy",
	"copy.done":                   "Copied",
	"sessions.title":              "Sessions",
	"sessions.intro":              "Signed in on a computer you no longer use? Sign out on every browser at once. API tokens keep working.",
	"sessions.everywhere":         "Sign out everywhere",
	"flash.welcome":               "Convene is set up, and you are signed in.",
	"flash.setup_done":            "Convene is already set up: sign in.",
	"flash.signed_out":            "You are signed out.",
	"flash.signed_out_everywhere": "You are signed out on every browser.",
	"flash.reset_sent":            "If that address is a user's, a link to set a new password is on its way.",
	"flash.reset_done":            "Your new password is saved, and you are signed in.",

	"err.password_mismatch":    "The two passwords differ.",
	"err.password_short":       "Use at least 10 characters.",
	"err.password_long":        "Use at most 1024 bytes.",
	"err.throttled":            "Too many failed attempts from your address; try again in %s seconds.",
	"err.signin":               "Wrong e-mail address or password.",
	"err.disabled":             "Your user is disabled; ask an admin of your account.",
	"err.internal":             "Convene failed to answer; the error is logged with request ID %s.",
	"err.kind.internal":        "Something went wrong",
	"err.kind.malformed":       "The request could not be read",
	"err.kind.invalid":         "Something is not right",
	"err.kind.unauthenticated": "Sign-in needed",
	"err.kind.forbidden":       "Not allowed",
	"err.kind.not-found":       "Page not found",
	"err.kind.conflict":        "Conflict",
	"err.kind.unavailable":     "Not available now",
	"err.kind.too-large":       "Too large",
	"err.account":              "Give the organization a name of 1 to 200 characters.",
	"err.admin_email":          "Give a bare e-mail address, e.g. ann@example.com.",
	"err.admin_name":           "Give a name of 1 to 200 characters.",
	"err.timezone":             "Choose a time zone from the list.",
	"err.email":                "Give a bare e-mail address, e.g. ann@example.com.",
	"err.name":                 "Use at most 100 characters.",
}

var messagesFR = map[string]string{
	"layout.skip":            "Aller au contenu",
	"layout.nav":             "Principale",
	"layout.signout":         "Se déconnecter",
	"layout.language":        "Langue",
	"layout.language_change": "Changer",
	"layout.api":             "API",
	"nav.home":               "Accueil",
	"error.home":             "Retour à l'accueil",

	"field.account":          "Nom de l'organisation",
	"field.admin_name":       "Votre nom",
	"field.admin_email":      "Votre adresse e-mail",
	"field.password":         "Mot de passe",
	"field.password_confirm": "Mot de passe, à nouveau",
	"field.timezone":         "Fuseau horaire",
	"field.email":            "Adresse e-mail",
	"field.name":             "Nom du jeton",
	"hint.new_password":      "Au moins 10 caractères ; quelques mots dont vous vous souvenez, c'est le mieux.",
	"hint.timezone":          "Vos réunions sont affichées dans ce fuseau ; vous pourrez le changer.",
	"hint.name":              "Pour distinguer vos jetons, par ex. « portable ».",

	"setup.title":          "Installer Convene",
	"setup.intro":          "Convene n'a pas encore de compte. Créez votre organisation et son premier administrateur : vous.",
	"setup.account_legend": "Votre organisation",
	"setup.admin_legend":   "Vous, son administrateur",
	"setup.submit":         "Créer et se connecter",
	"sandbox.title":        "Bac à sable Zoom intégré",
	"sandbox.text":         "Convene fonctionne avec son bac à sable Zoom intégré : tout marche hors ligne. Les domaines gérés sous les noms réservés aux tests et à la documentation (.test, .example, example.com, .invalid, .localhost) sont vérifiés ici sans DNS ; avec le vrai Zoom, chaque domaine a besoin de son enregistrement DNS.",

	"signin.title":  "Se connecter",
	"signin.submit": "Se connecter",
	"signin.forgot": "Mot de passe oublié, ou jamais reçu ?",
	"signin.sso":    "Se connecter avec le compte de votre organisation",

	"reset_request.title":  "Choisir un nouveau mot de passe",
	"reset_request.intro":  "Indiquez votre adresse e-mail : si c'est celle d'un utilisateur, nous envoyons un lien pour choisir un nouveau mot de passe. Le lien sert une fois, pendant une heure.",
	"reset_request.submit": "Envoyer le lien",
	"reset_request.back":   "Retour à la connexion",
	"reset.title":          "Choisissez un nouveau mot de passe",
	"reset.intro":          "Nouveau mot de passe pour %s. Vos autres sessions se terminent quand vous l'enregistrez.",
	"reset.invalid":        "Ce lien ne fonctionne pas : il a expiré, a déjà servi, ou a été coupé dans le message.",
	"reset.again":          "Demander un nouveau lien",
	"reset.submit":         "Enregistrer et se connecter",

	"dashboard.title":             "Accueil",
	"dashboard.welcome":           "Bienvenue, %s",
	"dashboard.account":           "Compte : %s",
	"dashboard.no_password":       "Vous n'avez pas encore de mot de passe.",
	"dashboard.set_password":      "En choisir un",
	"dashboard.start":             "Pour commencer",
	"dashboard.start_api":         "Tout se fait aussi par l'API, décrite à",
	"dashboard.start_dav":         "Les agendas (Thunderbird, Calendrier d'Apple, DAVx5) se connectent en CalDAV à",
	"role.owner":                  "propriétaire",
	"role.admin":                  "administrateur",
	"role.member":                 "membre",
	"tokens.title":                "Jetons d'API",
	"tokens.intro":                "Un jeton permet à des scripts d'utiliser l'API, et aux applications d'agenda de se connecter en CalDAV (avec votre adresse e-mail comme identifiant).",
	"tokens.new":                  "Votre nouveau jeton, affiché cette seule fois :",
	"tokens.create":               "Créer un jeton",
	"copy":                        "Copier",
	"copy.done":                   "Copié",
	"sessions.title":              "Sessions",
	"sessions.intro":              "Connecté sur un ordinateur que vous n'utilisez plus ? Déconnectez-vous de tous les navigateurs d'un coup. Les jetons d'API continuent de fonctionner.",
	"sessions.everywhere":         "Se déconnecter partout",
	"flash.welcome":               "Convene est installé, et vous êtes connecté.",
	"flash.setup_done":            "Convene est déjà installé : connectez-vous.",
	"flash.signed_out":            "Vous êtes déconnecté.",
	"flash.signed_out_everywhere": "Vous êtes déconnecté de tous les navigateurs.",
	"flash.reset_sent":            "Si cette adresse est celle d'un utilisateur, un lien pour choisir un nouveau mot de passe est en route.",
	"flash.reset_done":            "Votre nouveau mot de passe est enregistré, et vous êtes connecté.",

	"err.password_mismatch":    "Les deux mots de passe diffèrent.",
	"err.password_short":       "Utilisez au moins 10 caractères.",
	"err.password_long":        "Utilisez au plus 1024 octets.",
	"err.throttled":            "Trop d'essais manqués depuis votre adresse ; réessayez dans %s secondes.",
	"err.signin":               "Adresse e-mail ou mot de passe incorrect.",
	"err.disabled":             "Votre utilisateur est désactivé ; demandez à un administrateur de votre compte.",
	"err.internal":             "Convene n'a pas pu répondre ; l'erreur est journalisée avec l'identifiant de requête %s.",
	"err.kind.internal":        "Quelque chose s'est mal passé",
	"err.kind.malformed":       "La requête est illisible",
	"err.kind.invalid":         "Quelque chose ne va pas",
	"err.kind.unauthenticated": "Connexion nécessaire",
	"err.kind.forbidden":       "Non autorisé",
	"err.kind.not-found":       "Page introuvable",
	"err.kind.conflict":        "Conflit",
	"err.kind.unavailable":     "Indisponible pour le moment",
	"err.kind.too-large":       "Trop volumineux",
	"err.account":              "Donnez à l'organisation un nom de 1 à 200 caractères.",
	"err.admin_email":          "Saisissez une adresse e-mail simple, par ex. anne@exemple.fr.",
	"err.admin_name":           "Donnez un nom de 1 à 200 caractères.",
	"err.timezone":             "Choisissez un fuseau horaire de la liste.",
	"err.email":                "Saisissez une adresse e-mail simple, par ex. anne@exemple.fr.",
	"err.name":                 "Utilisez au plus 100 caractères.",
}

// addMessages merges an area's messages into the catalogs; it runs from
// the init of the area's messages file. A key defined twice is a
// programming error and panics at start.
func addMessages(en, fr map[string]string) {
	for _, c := range []struct{ into, from map[string]string }{{messagesEN, en}, {messagesFR, fr}} {
		for k, v := range c.from {
			if _, dup := c.into[k]; dup {
				panic("pages: message " + k + " defined twice")
			}
			c.into[k] = v
		}
	}
}
