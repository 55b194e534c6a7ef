package pages

// The admin pages' words (admin_*.go, templates/admin_*.html), merged into
// the catalogs at init.

func init() { addMessages(messagesAdminEN, messagesAdminFR) }

var messagesAdminEN = map[string]string{}

var messagesAdminFR = map[string]string{}
