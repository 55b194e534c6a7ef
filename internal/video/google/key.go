package google

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
)

// checkPrivateKey checks that a service account's private_key is a PEM
// block holding an RSA key in PKCS #8 (what Google's console gives) or
// PKCS #1, as golang.org/x/oauth2's JWT signer reads it.
func checkPrivateKey(b []byte) error {
	block, _ := pem.Decode(b)
	if block == nil {
		return errors.New("not PEM")
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return errors.New("not a PKCS #8 or PKCS #1 private key")
}
