package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

func TestRun(t *testing.T) {
	in := `{"timestamp":"2026-11-22T13:33:29.4Z","user":"root","group":"root","argv":["ls","a b"],"record_type":"command","exit_status":1}` + "\n"
	for _, c := range []struct {
		args           []string
		term           bool
		env            string
		stdout, stderr string
		code           int
	}{
		{nil, false, "", "2026-11-22 13:33:29 root root ls 'a b'\n", "", 0},
		{[]string{"-o", "csv", "-f", "command,exit_status"}, false, "", "command,exit_status\nls a b,1\n", "", 0},
		{[]string{"-o", "json", "--fields=-user,group,+exit_status"}, false, "", `{"command":"ls a b","exit_status":1,"timestamp":"2026-11-22 13:33:29"}` + "\n", "", 0},
		{[]string{"--full-time", "-f", "timestamp"}, false, "", "2026-11-22T13:33:29.4Z\n", "", 0},
		{[]string{"-f", "command"}, true, "", "\x1b[31mls 'a b'\x1b[0m\n", "", 0}, // a terminal: colour
		{[]string{"-f", "command"}, true, "1", "ls 'a b'\n", "", 0},               // NO_COLOR
		{[]string{"-f", "command", "--color", "always"}, false, "", "\x1b[31mls 'a b'\x1b[0m\n", "", 0},
		{[]string{"-o", "yaml"}, false, "", "", "prec-fmt: invalid --output value: yaml (text, csv or json)", 2},
		{[]string{"-f", "nope"}, false, "", "", `prec-fmt: invalid --fields "nope": unknown field "nope"`, 2},
		{[]string{"--tree", "-F"}, false, "", "", "prec-fmt: --tree cannot be used with --follow (-F)\n", 2}, // as prec
		{[]string{"--limit=-1"}, false, "", "", "prec-fmt: invalid --limit -1: must be 0 or more\n", 2},
		{[]string{"--color", "sometimes"}, false, "", "", "prec-fmt: invalid --color value: sometimes", 2},
		{[]string{"-h"}, false, "", "~  -F, --follow                     The input is live", "", 0},
	} {
		var out, errs bytes.Buffer
		env := func(k string) string {
			if k == "NO_COLOR" {
				return c.env
			}
			return ""
		}
		code := run(c.args, cli.Stdio{In: strings.NewReader(in), Out: &out, Err: &errs, Getenv: env, OutTerminal: c.term})
		stdout, sub := strings.CutPrefix(c.stdout, "~")
		if code != c.code || !sub && out.String() != stdout || sub && !strings.Contains(out.String(), stdout) || !strings.Contains(errs.String(), c.stderr) || c.stderr == "" && errs.Len() > 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant %d, %q, %q", c.args, code, out.String(), errs.String(), c.code, c.stdout, c.stderr)
		}
	}
}
