package dkimsign_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// invitation is shaped like Convene's invitations: multipart with an
// iCalendar part, non-ASCII text, a long folded header.
var invitation = mailtest.CRLF(`From: "Ann Organizer via Acme" <assistant@acme.test>
Reply-To: ann@acme.test
To: bob@partner.example
Subject: =?utf-8?q?Invitation=C2=A0: R=C3=A9union?=
Date: Mon, 02 Mar 2026 09:00:00 +0000
Message-ID: <invite.1@acme.test>
MIME-Version: 1.0
Content-Type: multipart/mixed;
 boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

R=C3=A9union jeudi =C3=A0 10h.
--b1
Content-Type: text/calendar; charset=utf-8; method=REQUEST
Content-Transfer-Encoding: 7bit

BEGIN:VCALENDAR
METHOD:REQUEST
END:VCALENDAR
--b1--
`)

func setup(t testing.TB, engine string) (*dkimsign.Keys, *store.DB) {
	db := storetest.Open(t, engine)
	ctx := context.Background()
	now := time.Now().UTC()
	if err := db.CreateAccount(ctx, &store.Account{ID: "acc_1", Name: "Acme", Language: "en", Created: now}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"acme.test", "pending.test"} {
		if err := db.CreateDomain(ctx, &store.Domain{AccountID: "acc_1", Name: d, TXTValue: "x", Created: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MarkDomainVerified(ctx, "acc_1", "acme.test", now, store.VerifiedByDNS); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	box, _ := seal.New(key)
	return &dkimsign.Keys{Store: db, Box: box, RelayHost: "smtp.relay.example"}, db
}

func TestSignaturesVerifyWithPythonDKIM(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			keys, _ := setup(t, engine)
			ctx := context.Background()
			signed, err := keys.Sign(ctx, invitation)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(signed, invitation) || !bytes.HasPrefix(signed, []byte("DKIM-Signature: ")) {
				t.Fatalf("signed message:\n%s", signed)
			}
			recs, err := keys.Records(ctx, "acc_1", "acme.test")
			if err != nil {
				t.Fatal(err)
			}
			dns := map[string]string{}
			for _, r := range recs {
				if r.Purpose == "dkim" {
					dns[r.Name] = r.Value
				}
			}
			if dns["convene1._domainkey.acme.test"] == "" {
				t.Fatalf("records %+v", recs)
			}
			v := mailtest.Verify(t, signed, dns)
			if !v.OK || v.Domain != "acme.test" || v.Selector != "convene1" {
				t.Fatalf("python3-dkim: %+v", v)
			}
			// The same check fails on a message changed after signing, and
			// with another key published: the test can fail.
			tampered := bytes.Replace(signed, []byte("jeudi"), []byte("lundi"), 1)
			if mailtest.Verify(t, tampered, dns).OK {
				t.Error("python3-dkim accepted a changed body")
			}
			added := append([]byte("From: mallory@evil.test\r\n"), signed...)
			if mailtest.Verify(t, added, dns).OK {
				t.Error("python3-dkim accepted a second From prepended")
			}
			// dkimpy refuses two From fields on its own; go-msgauth does
			// not, so it shows the From is signed twice (RFC 6376 §8.15).
			lookup := func(name string) ([]string, error) { return []string{dns[name]}, nil }
			if vs, err := dkim.VerifyWithOptions(bytes.NewReader(signed), &dkim.VerifyOptions{LookupTXT: lookup}); err != nil || len(vs) != 1 || vs[0].Err != nil {
				t.Fatalf("go-msgauth on the signed message: %v %+v", err, vs)
			}
			if vs, err := dkim.VerifyWithOptions(bytes.NewReader(added), &dkim.VerifyOptions{LookupTXT: lookup}); err == nil && len(vs) == 1 && vs[0].Err == nil {
				t.Error("a From prepended after signing still verifies: From is not oversigned")
			}
			other := mailtest.NewKey(t)
			if mailtest.Verify(t, signed, map[string]string{"convene1._domainkey.acme.test": other.Record}).OK {
				t.Error("python3-dkim accepted the signature under another key")
			}
		})
	}
}

func TestKeysAreMadeOnceAndSealed(t *testing.T) {
	keys, db := setup(t, "sqlite")
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([]*dkimsign.Key, 4)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k, err := keys.Key(ctx, "acc_1", "acme.test")
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = k
		}(i)
	}
	wg.Wait()
	for _, k := range got[1:] {
		if k == nil || got[0] == nil || k.Record != got[0].Record {
			t.Fatal("several keys for one domain")
		}
	}
	row, err := db.DKIMKey(ctx, "acc_1", "acme.test", dkimsign.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if der, err := base64.StdEncoding.DecodeString(row.PrivateKey); err == nil {
		if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			t.Error("the private key is stored in clear")
		}
	}
	other := make([]byte, 32)
	rand.Read(other)
	box, _ := seal.New(other)
	stranger := &dkimsign.Keys{Store: db, Box: box}
	if _, err := stranger.Key(ctx, "acc_1", "acme.test"); err == nil {
		t.Error("the sealed key opened under another data key")
	}
}

func TestOnlyVerifiedDomainsAreSigned(t *testing.T) {
	keys, _ := setup(t, "sqlite")
	for _, from := range []string{"assistant@pending.test", "assistant@convene.invalid"} {
		msg := bytes.Replace(invitation, []byte("assistant@acme.test"), []byte(from), 1)
		out, err := keys.Sign(context.Background(), msg)
		if err != nil || !bytes.Equal(out, msg) {
			t.Errorf("%s: signed or failed: %v", from, err)
		}
	}
}

func TestRecords(t *testing.T) {
	keys, _ := setup(t, "sqlite")
	ctx := context.Background()
	byPurpose := func(k *dkimsign.Keys) map[string]dkimsign.Record {
		recs, err := k.Records(ctx, "acc_1", "acme.test")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]dkimsign.Record{}
		for _, r := range recs {
			m[r.Purpose] = r
		}
		return m
	}
	m := byPurpose(keys)
	if r := m["dkim"]; r.Name != "convene1._domainkey.acme.test" || !strings.HasPrefix(r.Value, "v=DKIM1; k=rsa; p=MII") {
		t.Errorf("dkim %+v", r)
	}
	if r := m["spf"]; r.Name != "acme.test" || r.Value != "v=spf1 a:smtp.relay.example ~all" {
		t.Errorf("spf %+v", r)
	}
	if r := m["dmarc"]; r.Name != "_dmarc.acme.test" || !strings.HasPrefix(r.Value, "v=DMARC1; p=") {
		t.Errorf("dmarc %+v", r)
	}
	keys.RelayHost = "192.0.2.25"
	if r := byPurpose(keys)["spf"]; r.Value != "v=spf1 ip4:192.0.2.25 ~all" {
		t.Errorf("spf for an IP relay: %+v", r)
	}
	keys.RelayHost = ""
	if r := byPurpose(keys)["spf"]; r.Value != "" || !strings.Contains(r.Note, "CONVENE_SMTP_RELAY") {
		t.Errorf("spf without a relay: %+v", r)
	}
}

// BenchmarkSign measures one signature of an invitation by a verified
// domain, key lookups included (the hot path of every sent message).
func BenchmarkSign(b *testing.B) {
	for _, engine := range storetest.Engines {
		b.Run(engine, func(b *testing.B) {
			keys, _ := setup(b, engine)
			ctx := context.Background()
			if _, err := keys.Sign(ctx, invitation); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := keys.Sign(ctx, invitation); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
