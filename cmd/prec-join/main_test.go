package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

func TestRun(t *testing.T) {
	in := `{"event_id":"1","record_type":"start"}` + "\n" + `{"event_id":"1","record_type":"end","timestamp":"T","exit_status":0}` + "\n"
	for _, c := range []struct {
		args           []string
		in             string
		stdout, stderr string
		code           int
	}{
		{nil, in, `{"event_id":"1","record_type":"command","end_timestamp":"T","exit_status":0}` + "\n", "", 0},
		{[]string{"--follow"}, in, `{"event_id":"1","record_type":"command"}` + "\n" + `{"event_id":"1","record_type":"command","end_timestamp":"T","exit_status":0}` + "\n", "", 0},
		{[]string{"-F", "--drop-ends"}, in, `{"event_id":"1","record_type":"command"}` + "\n", "", 0},
		{[]string{"--drop-ends"}, in, `{"event_id":"1","record_type":"command"}` + "\n", "", 0},
		{nil, "oops\n" + in, `{"event_id":"1","record_type":"command","end_timestamp":"T","exit_status":0}` + "\n", "prec-join: -:1: bad record: byte 1: not a JSON object\n", 1},
		{[]string{"--window", "0"}, in, "", "prec-join: invalid --window 0", 2},
		{[]string{"x"}, in, "", `prec-join: unexpected argument "x"`, 2},
	} {
		var out, errs bytes.Buffer
		code := run(c.args, cli.Stdio{In: strings.NewReader(c.in), Out: &out, Err: &errs})
		if code != c.code || out.String() != c.stdout || !strings.Contains(errs.String(), c.stderr) || c.stderr == "" && errs.Len() > 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant %d, %q, %q", c.args, code, out.String(), errs.String(), c.code, c.stdout, c.stderr)
		}
	}
}
