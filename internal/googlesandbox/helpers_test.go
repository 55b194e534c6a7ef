package googlesandbox

import (
	_ "golang.org/x/oauth2/google"
	_ "google.golang.org/api/calendar/v3"
	_ "google.golang.org/api/option"
)
