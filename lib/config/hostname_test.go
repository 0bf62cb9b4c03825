package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostname(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "missing.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := os.Hostname(); c.Hostname != h || h == "" {
		t.Errorf("default hostname %q, os.Hostname %q", c.Hostname, h)
	}
	if c, err := Load(write(t, "hostname = \"web-1.example.org\"\n")); err != nil || c.Hostname != "web-1.example.org" {
		t.Errorf("hostname set: %v %+v", err, c)
	}
	for _, bad := range []string{`"a b"`, `"tab\there"`, `"é"`, `"` + strings.Repeat("x", 256) + `"`} {
		if _, err := Load(write(t, "hostname = "+bad+"\n")); err == nil || !strings.Contains(err.Error(), "invalid hostname") {
			t.Errorf("hostname = %s: %v, want invalid hostname", bad, err)
		}
	}
	if got := sanitizeHostname("a b\x00é"); got != "a_b___" {
		t.Errorf("sanitizeHostname: %q", got)
	}
	if got := sanitizeHostname(""); got != "localhost" {
		t.Errorf("sanitizeHostname(\"\"): %q", got)
	}
}
