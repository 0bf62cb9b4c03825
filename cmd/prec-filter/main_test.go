package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

func TestRun(t *testing.T) {
	in := `{"uid":0,"argv":["a"],"record_type":"command"}
{"uid":1000,"argv":["b","c,d"],"record_type":"command"}
not json
{"uid":1001,"argv":["e"],"record_type":"fail"}
`
	for _, c := range []struct {
		args           []string
		stdout, stderr string
		code           int
	}{
		{nil, `{"uid":0,"argv":["a"],"record_type":"command"}` + "\n" + `{"uid":1000,"argv":["b","c,d"],"record_type":"command"}` + "\n" + `{"uid":1001,"argv":["e"],"record_type":"fail"}` + "\n", "prec-filter: -:3: bad record", 1},
		{[]string{"uid>=1000", "record_type=command"}, `{"uid":1000,"argv":["b","c,d"],"record_type":"command"}` + "\n", "-:3: bad record", 1},
		{[]string{"argv=b c,d"}, `{"uid":1000,"argv":["b","c,d"],"record_type":"command"}` + "\n", "bad record", 1},
		{[]string{"--jq", `.argv[0] == "e"`}, `{"uid":1001,"argv":["e"],"record_type":"fail"}` + "\n", "bad record", 1},
		{[]string{"--jq", `"x"`, "uid=0"}, `{"uid":0,"argv":["a"],"record_type":"command"}` + "\n", "bad record", 1},
		{[]string{"uid>=x"}, "", `prec-filter: invalid query "uid>=x": value "x" of numeric field uid is not an integer at column 6`, 2},
		{[]string{"--jq", "{"}, "", "prec-filter: invalid --jq expression", 2},
		{[]string{"-x"}, "", "unknown flag `x'", 2},
	} {
		var out, errs bytes.Buffer
		code := run(c.args, cli.Stdio{In: strings.NewReader(in), Out: &out, Err: &errs})
		if code != c.code || out.String() != c.stdout || !strings.Contains(errs.String(), c.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q\nwant %d, %q, %q", c.args, code, out.String(), errs.String(), c.code, c.stdout, c.stderr)
		}
	}
	var out, errs bytes.Buffer
	if code := run([]string{"uid=0"}, cli.Stdio{In: strings.NewReader(`{"uid":0}` + "\n"), Out: &out, Err: &errs}); code != 0 || errs.Len() > 0 {
		t.Errorf("clean input: exit %d, %q", code, errs.String())
	}
}
