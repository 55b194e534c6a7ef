package pages

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strings"
)

// contentSecurityPolicy allows nothing but this site's own files: no
// inline script or style (the pages have none), no framing, forms posted
// here only. A page that must allow more (an account's logo from another
// host) adds to it with Request.AllowImages.
var contentSecurityPolicy = strings.Join([]string{
	"default-src 'none'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"form-action 'self'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
}, "; ")

// withHeaders sets the security headers of every answer of the pages:
//   - Content-Security-Policy (above);
//   - X-Content-Type-Options: nosniff;
//   - Referrer-Policy: same-origin (a reset link in the path never leaves
//     the site in a Referer);
//   - X-Frame-Options: DENY, for browsers without frame-ancestors;
//   - Cross-Origin-Opener-Policy: same-origin;
//   - Strict-Transport-Security behind https (RFC 6797);
//   - Cache-Control: no-store on pages (noStore), which carry personal
//     data and CSRF tokens.
func (s *Server) withHeaders(h http.Handler, noStore bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secure {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if noStore {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// AllowImages adds sources to the page's img-src (an account's logo on its
// own host): call it before rendering.
func (req *Request) AllowImages(sources ...string) {
	csp := req.W.Header().Get("Content-Security-Policy")
	req.W.Header().Set("Content-Security-Policy", strings.Replace(csp, "img-src 'self' data:", "img-src 'self' data: "+strings.Join(sources, " "), 1))
}

// deriveKey derives a key for one purpose (HMAC-SHA256), so that no two
// uses share key material.
func deriveKey(key []byte, purpose string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}
