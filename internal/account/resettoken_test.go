package account

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseResetToken: a reset token read from a link either fails or has
// the four parts of ACCOUNT.USER.EXPIRES.MAC, each well-formed, and writes
// back to itself.
func FuzzParseResetToken(f *testing.F) {
	f.Add("acc_abc.usr_def.1735689600.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("a.b.c.d")
	f.Add("...")
	f.Add("acc_x.usr_y.-1.AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		rt, err := parseResetToken(s)
		if err != nil {
			return
		}
		if len(s) > maxResetToken || rt.accountID == "" || rt.userID == "" || rt.expires <= 0 || len(rt.mac) != 32 {
			t.Fatalf("parseResetToken(%q) = %+v", s, rt)
		}
		parts := strings.Split(s, ".")
		if parts[0] != rt.accountID || parts[1] != rt.userID || parts[2] != strconv.FormatInt(rt.expires, 10) {
			t.Fatalf("parseResetToken(%q) = %+v", s, rt)
		}
	})
}
