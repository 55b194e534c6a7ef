package zoomsandbox

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// randSource serializes reads of the injected random source, which need not
// be safe for concurrent use.
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
		panic(fmt.Sprintf("zoomsandbox: read random source: %v", err))
	}
	return b
}

// intn returns a uniform integer in [0, n).
func (s *randSource) intn(n uint64) uint64 {
	limit := ^uint64(0) - (^uint64(0) % n)
	for {
		v := binary.BigEndian.Uint64(s.bytes(8))
		if v < limit {
			return v % n
		}
	}
}

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	digits = "0123456789"
	// idChars are the characters of Zoom's user IDs (base64url alphabet).
	idChars = alnum + "-_"
)

func (s *randSource) text(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.intn(uint64(len(alphabet)))]
	}
	return string(b)
}

// meetingID is an 11-digit meeting number like Zoom's (zoom-api.md §1.1:
// "IDs can exceed 10 digits", e.g. 92674392836).
func (s *randSource) meetingID() int64 {
	return 80_000_000_000 + int64(s.intn(19_999_999_999))
}

// meetingUUID is 16 random bytes in standard base64, like
// "aDYlohsHRtCd4ii1uC2+hA==" (SPEC23 uuid description).
func (s *randSource) meetingUUID() string {
	return base64.StdEncoding.EncodeToString(s.bytes(16))
}

// userID is a 22-character Zoom user ID like "30R7kT7bTIKSNUFEuH_Qlg".
func (s *randSource) userID() string { return s.text(22, idChars) }

// token is an opaque bearer or refresh token. Zoom's look like JWTs
// (zoom-api.md §4.2: treat them as opaque).
func (s *randSource) token() string {
	return "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0." + base64.RawURLEncoding.EncodeToString(s.bytes(48))
}
