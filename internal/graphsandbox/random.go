package graphsandbox

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
)

// randSource serializes reads of the injected random source, which need
// not be safe for concurrent use.
type randSource struct {
	mu sync.Mutex
	r  io.Reader
}

func (s *randSource) bytes(n int) []byte {
	b := make([]byte, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.ReadFull(s.r, b); err != nil {
		// A failing random source leaves the sandbox unable to mint
		// identifiers; that is a programming or system error.
		panic(fmt.Sprintf("graphsandbox: read random source: %v", err))
	}
	return b
}

// guid is a random (version 4) GUID, Graph's user, tenant and
// subscription id form.
func (s *randSource) guid() string {
	b := s.bytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// outlookID is an Outlook item id: base64 whose "/" and "+" Outlook writes
// as "-" and "_", with padding, as Graph shows them ("AAMkAG…AAA=").
// Immutable ids start "AAkAL", regular ones "AAMkA".
func (s *randSource) outlookID(immutable bool) string {
	prefix := []byte{0x00, 0x03, 0x24, 0x00}
	if immutable {
		prefix = []byte{0x00, 0x09, 0x00, 0x2e}
	}
	return base64.URLEncoding.EncodeToString(append(prefix, s.bytes(50)...))
}

// accessToken looks like a JWT, as Microsoft's do; clients must treat it as
// opaque.
func (s *randSource) accessToken() string {
	return "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(s.bytes(48)) + "." + base64.RawURLEncoding.EncodeToString(s.bytes(32))
}

// opaque is an opaque token for skip and delta links.
func (s *randSource) opaque() string { return base64.RawURLEncoding.EncodeToString(s.bytes(24)) }
