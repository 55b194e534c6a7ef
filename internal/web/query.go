package web

import (
	"net/url"
	"strconv"

	"github.com/convene/convene/internal/failure"
)

// mailPage is how many mails the inbox and outbox lists give by default.
const mailPage = 100

// queryLimit reads the limit query parameter of a list into fs: 0 when it
// is absent (the list's default applies), else a whole number from 1 to
// max. Every list of the API takes and refuses it the same way.
func queryLimit(fs *failure.Fields, q url.Values, max int) int {
	v := q.Get("limit")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		fs.Add("limit", "%q is not a number from 1 to %d", v, max)
		return 0
	}
	return n
}
