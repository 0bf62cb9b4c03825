package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/logio"
)

// TestAllTied: prec-cat -a reads prec.log.1.zst before the newer prec.log.1 (a change of
// compression left both), as the reference orders a rotated set: by modification time, then name.
func TestAllTied(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for i, f := range []struct{ name, compress, n string }{
		{"prec.log.2", "no", "1"}, {"prec.log.1.zst", "zstd", "15"}, {"prec.log.1", "no", "3"}, {"prec.log", "no", "4"},
	} {
		p := filepath.Join(dir, f.name)
		w, err := logio.Create(p, f.compress, logio.DefaultLevel(f.compress))
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(`{"n":` + f.n + "}\n"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		mt := now.Add(-time.Duration(4-i) * time.Hour)
		os.Chtimes(p, mt, mt)
	}
	log := filepath.Join(dir, "prec.log")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-a", log}, "{\"n\":1}\n{\"n\":15}\n{\"n\":3}\n{\"n\":4}\n"},
		{[]string{"-a", "-n", "2", log}, "{\"n\":3}\n{\"n\":4}\n"},
	} {
		var out, errs bytes.Buffer
		code := run(c.args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errs})
		if code != 0 || errs.Len() > 0 || out.String() != c.want {
			t.Errorf("%v: exit %d, stderr %q, stdout\n%swant\n%s", c.args, code, errs.String(), out.String(), c.want)
		}
	}
}
