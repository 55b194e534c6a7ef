package zoomsandbox

import (
	"net/http"
	"testing"
)

func conformanceTransport(t *testing.T, rt http.RoundTripper) http.RoundTripper { return rt }
