package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

type row struct {
	name   string
	args   []string
	stdout string // exact, unless it starts with "~": then a substring
	stderr string // substring; "" means none at all
	code   int
}

func check(t *testing.T, r row, stdin string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(r.args, cli.Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errs, Getenv: func(string) string { return "" }})
	if code != r.code {
		t.Errorf("%s: exit %d, want %d (stderr %q)", r.name, code, r.code, errs.String())
	}
	if s, ok := strings.CutPrefix(r.stdout, "~"); ok {
		if !strings.Contains(out.String(), s) {
			t.Errorf("%s: stdout %q does not contain %q", r.name, out.String(), s)
		}
	} else if out.String() != r.stdout {
		t.Errorf("%s: stdout\n%s\nwant\n%s", r.name, out.String(), r.stdout)
	}
	if r.stderr == "" && errs.Len() > 0 || r.stderr != "" && !strings.Contains(errs.String(), r.stderr) {
		t.Errorf("%s: stderr %q, want %q", r.name, errs.String(), r.stderr)
	}
	if n := strings.Count(errs.String(), "\n"); r.stderr != "" && n != 1 && r.code == 2 {
		t.Errorf("%s: %d lines on stderr, want 1", r.name, n)
	}
}

func TestPrec(t *testing.T) {
	log := "testdata/demo.jsonl"
	conf := filepath.Join(t.TempDir(), "precd.conf")
	os.WriteFile(conf, []byte(`log_path = "testdata/demo.jsonl"`+"\n"), 0o644)
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(bad, []byte("{\"record_type\":\"start\",\"event_id\":\"x\",\"source\":\"user\",\"argv\":[\"ok\"],\"timestamp\":\"2026-11-22T00:00:00Z\"}\nnot json\n"), 0o644)
	for _, r := range []row{
		{"default: user commands", []string{"-i", log}, "2026-11-22 13:33:29 root root ls -la\n2026-11-22 13:33:32 root root /bin/echo a,b 'x>=y'\n", "", 0},
		{"config gives the log", []string{"-c", conf, "-n", "1"}, "2026-11-22 13:33:32 root root /bin/echo a,b 'x>=y'\n", "", 0},
		{"-A and fields", []string{"-i", log, "-A", "-f", "+exit_status,record_type"},
			"2026-11-22 13:33:29 root root ls -la 0 command\n2026-11-22 13:33:29 alice alice make all 2 command\n2026-11-22 13:33:30 alice alice cc - fail\n2026-11-22 13:33:32 root root /bin/echo a,b 'x>=y' - command\n", "", 0},
		{"-s system", []string{"-i", log, "-s", "system", "-f", "command"}, "make all\ncc\n", "", 0},
		{"query names source", []string{"-i", log, "-q", "source=system", "-f", "command"}, "make all\ncc\n", "", 0},
		{"commas and operators in values", []string{"-i", log, "-q", "argv~=a,b && argv~=x>=y", "-f", "pid"}, "13\n", "", 0},
		{"repeated -q is AND", []string{"-i", log, "-A", "-q", "uid=1000", "-q", "exit_status!=0", "-f", "command,exit_status,duration"}, "make all 2 0000-00-00 00:00:01\n", "", 0},
		{"--jq", []string{"-i", log, "-A", "--jq", `.argv[0] == "cc"`, "-f", "exec_error"}, "'no such file or directory'\n", "", 0},
		{"csv", []string{"-i", log, "-o", "csv", "-f", "command,tty", "-n", "1"}, "command,tty\n\"/bin/echo a,b x>=y\",/dev/pts/0\n", "", 0},
		{"json", []string{"-i", log, "-o", "json", "-f", "argv,exit_status", "-n", "1"}, `{"argv":["/bin/echo","a,b","x>=y"],"exit_status":null}` + "\n", "", 0},
		{"tree", []string{"-i", log, "-A", "--tree", "-f", "command"}, "ls -la\nmake all\n`- cc\n/bin/echo a,b 'x>=y'\n", "", 0},
		{"nothing matches", []string{"-i", log, "-q", "uid=12345"}, "", "", 0},
		{"missing log", []string{"-i", "/nonexistent/prec.log"}, "", "prec: cat: open /nonexistent/prec.log: no such file or directory\n", 1},
		{"bad record: reported, rest shown, exit 1", []string{"-i", bad, "-f", "command"}, "ok\n", "prec: cat: " + bad + ":2: bad record", 1},
		{"bad query", []string{"-i", log, "-q", "foo=bar"}, "", `prec: invalid query "foo=bar": unknown field "foo" at column 1`, 2},
		{"bad jq", []string{"-i", log, "--jq", ".a |"}, "", "invalid --jq expression", 2},
		{"bad output", []string{"-i", log, "-o", "JSON"}, "", "prec: invalid --output value: JSON", 2},
		{"bad fields", []string{"-i", log, "-f", "bogus"}, "", `unknown field "bogus"`, 2},
		{"bad source", []string{"-i", log, "-s", "all"}, "", "invalid --source value: all", 2},
		{"tree and follow", []string{"-i", log, "-F", "--tree"}, "", "--tree cannot be used with --follow (-F)", 2},
		{"negative limit", []string{"-i", log, "--limit=-1"}, "", "invalid --limit -1", 2},
		{"unknown flag", []string{"--bogus"}, "", "prec: unknown flag `bogus'", 2},
		{"stray argument", []string{"-i", log, "extra"}, "", `unexpected argument "extra"`, 2},
		{"help", []string{"-h"}, "~Usage:\n  prec [OPTIONS]", "", 0},
		{"help: prec's own -F", []string{"-h"}, "~  -F, --follow                     Follow the log: print each command when it", "", 0},
		{"version", []string{"--version"}, "~prec dev (commit none", "", 0},
	} {
		check(t, r, "")
	}
}

// TestStdin: -i - reads standard input, as a list and as a live stream.
func TestStdin(t *testing.T) {
	demo, err := os.ReadFile("testdata/demo.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []row{
		{"-i -", []string{"-i", "-"}, "2026-11-22 13:33:29 root root ls -la\n2026-11-22 13:33:32 root root /bin/echo a,b 'x>=y'\n", "", 0},
		{"-i - with -a", []string{"-a", "-i", "-", "-n", "1", "-f", "pid"}, "13\n", "", 0},
		{"-i - -F: each start at once, then its end", []string{"-i", "-", "-F", "-f", "pid,exit_status"}, "10 -\n10 0\n13 -\n", "", 0},
		{"-i - -F -n 1", []string{"-i", "-", "-F", "-n", "1", "-f", "pid"}, "13\n", "", 0},
		{"-i - bad record", []string{"-i", "-", "-f", "command"}, "ok\n", "prec: cat: -:2: bad record", 1},
	} {
		in := string(demo)
		if strings.Contains(r.name, "bad") {
			in = "{\"record_type\":\"start\",\"event_id\":\"x\",\"source\":\"user\",\"argv\":[\"ok\"],\"timestamp\":\"2026-11-22T00:00:00Z\"}\nnot json\n"
		}
		check(t, r, in)
	}
}

// TestFollowEnds: following, a command's end makes a second row only when a field shown or queried
// needs it (or with --end-rows), as the reference prints it.
func TestFollowEnds(t *testing.T) {
	demo, err := os.ReadFile("testdata/demo.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	const ls, mk, cc, echo = "2026-11-22 13:33:29 root root ls -la", "2026-11-22 13:33:29 alice alice make all",
		"2026-11-22 13:33:30 alice alice cc", "2026-11-22 13:33:32 root root /bin/echo a,b 'x>=y'"
	for _, r := range []row{
		{"default fields: one row per command", []string{"-i", "-", "-F", "-A"}, lines(ls, mk, cc, echo), "", 0},
		{"+exit_status: the finished row too", []string{"-i", "-", "-F", "-A", "-f", "+exit_status"},
			lines(ls+" -", mk+" -", ls+" 0", cc+" -", mk+" 2", echo+" -"), "", 0},
		{"duration shown", []string{"-i", "-", "-F", "-f", "pid,duration"}, "10 -\n10 0000-00-00 00:00:00\n13 -\n", "", 0},
		{"end field queried, not shown", []string{"-i", "-", "-F", "-A", "-f", "pid", "-q", "exit_status!=0"}, "11\n", "", 0},
		{"end field in the jq expression", []string{"-i", "-", "-F", "-A", "-f", "pid", "--jq", ".exit_status == 2"}, "11\n", "", 0},
		{"other query: one row", []string{"-i", "-", "-F", "-A", "-f", "pid", "-q", "uid=0"}, "10\n13\n", "", 0},
		{"--end-rows", []string{"-i", "-", "-F", "-A", "-f", "pid", "--end-rows"}, "10\n11\n10\n12\n11\n13\n", "", 0},
		{"-n 2: the last two commands", []string{"-i", "-", "-F", "-A", "-f", "pid", "-n", "2"}, "12\n13\n", "", 0},
		{"without -F: finished rows", []string{"-i", "-", "-A", "-f", "pid,exit_status", "--end-rows"}, "10 0\n11 2\n12 -\n13 -\n", "", 0},
	} {
		check(t, r, string(demo))
	}
}

func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

// TestClosedPipe: a reader that goes away (| head) ends the run quietly with status 0.
func TestClosedPipe(t *testing.T) {
	var errs bytes.Buffer
	code := run([]string{"-i", "testdata/demo.jsonl", "-A"}, cli.Stdio{In: strings.NewReader(""), Out: epipeWriter{}, Err: &errs})
	if code != 0 || errs.Len() > 0 {
		t.Errorf("exit %d, stderr %q", code, errs.String())
	}
}

type epipeWriter struct{}

func (epipeWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
}
