package pages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

// staticPrefix is where the stylesheet and the script are served.
const staticPrefix = "/static/"

// staticFile is one embedded file with its content hash.
type staticFile struct {
	body  []byte
	hash  string // first 16 hex digits of its SHA-256
	ctype string
}

// staticFiles are the files of static/, read once.
type staticFiles struct {
	files map[string]*staticFile
}

func loadStatic() (*staticFiles, error) {
	sf := &staticFiles{files: map[string]*staticFile{}}
	entries, err := fs.ReadDir(files, "static")
	if err != nil {
		return nil, fmt.Errorf("pages: static files: %w", err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(files, "static/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("pages: static files: %w", err)
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		sf.files[e.Name()] = &staticFile{body: b, hash: hex.EncodeToString(sum[:8]), ctype: ct}
	}
	return sf, nil
}

// url returns the URL of a static file with its hash as version; an
// unknown name fails the template (and so New).
func (sf *staticFiles) url(name string) (string, error) {
	f, ok := sf.files[name]
	if !ok {
		return "", fmt.Errorf("pages: no static file %q", name)
	}
	return staticPrefix + name + "?v=" + f.hash, nil
}

// serveStatic serves a static file: for good (immutable) when asked with
// its current hash, else to be revalidated.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.static.files[r.PathValue("name")]
	if !ok {
		s.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("ETag", `"`+f.hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
