package config

import (
	"strings"
	"testing"
)

// A failing validator puts back every value of the CONFIG SET and fails
// it with the validator's reason; hooks run only when it passes; it runs
// once for several of its settings.
func TestOnValidateRollsBack(t *testing.T) {
	c := Default()
	runs, hooked := 0, 0
	c.OnValidate([]string{"tls_cert_file", "tls_key_file"}, func() error {
		runs++
		if c.TLSCertFile.Get() == "bad" {
			return errString("no good")
		}
		return nil
	})
	c.OnChange("tls_key_file", func() { hooked++ })
	err := c.Set([][2]string{{"maxmemory-samples", "7"}, {"tls_key_file", "k.pem"}, {"tls_cert_file", "bad"}})
	if err == nil || !strings.Contains(err.Error(), "no good") || !strings.Contains(err.Error(), "tls_key_file") {
		t.Fatalf("error %v", err)
	}
	if c.MaxMemorySamples.Get() != 5 || c.TLSKeyFile.Get() != "" || c.TLSCertFile.Get() != "" || hooked != 0 || runs != 1 {
		t.Fatalf("after a refused set: samples %d key %q cert %q hooks %d runs %d", c.MaxMemorySamples.Get(), c.TLSKeyFile.Get(), c.TLSCertFile.Get(), hooked, runs)
	}
	if err := c.Set([][2]string{{"tls_key_file", "k.pem"}, {"tls_cert_file", "c.pem"}}); err != nil {
		t.Fatal(err)
	}
	if c.TLSKeyFile.Get() != "k.pem" || c.TLSCertFile.Get() != "c.pem" || hooked != 1 || runs != 2 {
		t.Fatalf("after a good set: key %q cert %q hooks %d runs %d", c.TLSKeyFile.Get(), c.TLSCertFile.Get(), hooked, runs)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
