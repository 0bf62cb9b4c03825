package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

// The daemon itself is tested end to end in tests/e2e; these are the paths that stop before BPF.
func TestRun(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(bad, []byte("max_args = \"many\"\n"), 0o644)
	for _, c := range []struct {
		args           []string
		stdout, stderr string
		code           int
	}{
		{[]string{"--version"}, "precd dev (commit none, built unknown)\n", "", 0},
		{[]string{"-c", bad}, "", "precd: " + bad + ": ", 1},
		{[]string{"--nope"}, "", "precd: unknown flag `nope'", 2},
		{[]string{"extra"}, "", `precd: unexpected argument "extra"`, 2},
	} {
		var out, errs bytes.Buffer
		code := run(c.args, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errs})
		if code != c.code || out.String() != c.stdout || !strings.Contains(errs.String(), c.stderr) || c.stderr == "" && errs.Len() > 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant %d, %q, %q", c.args, code, out.String(), errs.String(), c.code, c.stdout, c.stderr)
		}
	}
}
