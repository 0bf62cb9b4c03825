package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "prec.log")
	os.WriteFile(log, []byte("{\"n\":2}\n{\"n\":3}\n"), 0o644)
	os.WriteFile(log+".1", []byte("{\"n\":1}\n"), 0o644)
	for _, c := range []struct {
		args           []string
		stdin          string
		stdout, stderr string
		code           int
	}{
		{[]string{log}, "", "{\"n\":2}\n{\"n\":3}\n", "", 0},
		{[]string{"-a", log}, "", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", "", 0},
		{[]string{"-n", "1", "-a", log}, "", "{\"n\":3}\n", "", 0},
		{nil, "{\"n\":9}\n", "{\"n\":9}\n", "", 0},
		{[]string{"-F"}, "{\"n\":8}\n{\"n\":9}\n", "{\"n\":8}\n{\"n\":9}\n", "", 0}, // a pipe is shown as it comes
		{[]string{"-F", "-n", "1", "-"}, "{\"n\":8}\n{\"n\":9}\n", "{\"n\":9}\n", "", 0},
		{[]string{"-"}, "{\"n\":9}\nbad\n", "{\"n\":9}\n", "prec-cat: -:2: bad record", 1},
		{[]string{filepath.Join(dir, "none")}, "", "", "prec-cat: open " + filepath.Join(dir, "none") + ": no such file or directory", 1},
		{[]string{"--lines=-2", log}, "", "", "invalid --lines -2", 2},
	} {
		var out, errs bytes.Buffer
		code := run(c.args, cli.Stdio{In: strings.NewReader(c.stdin), Out: &out, Err: &errs})
		if code != c.code || out.String() != c.stdout || !strings.Contains(errs.String(), c.stderr) || c.stderr == "" && errs.Len() > 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant %d, %q, %q", c.args, code, out.String(), errs.String(), c.code, c.stdout, c.stderr)
		}
	}
}
