package filter

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/jsonl"
)

const (
	alice = `{"uid":1000,"user":"alice","argv":["ls"]}`
	root  = `{"uid":0,"user":"root","argv":["id"]}`
)

func TestRun(t *testing.T) {
	for _, c := range []struct {
		name    string
		queries []string
		jq      string
		in      string
		want    string
		errors  string
	}{
		{"all pass", nil, "", alice + "\n" + root + "\n", alice + "\n" + root + "\n", ""},
		{"query", []string{"uid>=1000"}, "", alice + "\n" + root + "\n", alice + "\n", ""},
		{"jq", nil, `.user == "root"`, alice + "\n" + root + "\n", root + "\n", ""},
		{"query and jq", []string{"uid>=0"}, `.argv[0] == "ls"`, alice + "\n" + root + "\n", alice + "\n", ""},
		{"bad record", nil, "", "{\n" + root + "\n", root + "\n", "x:1: bad record"},
		{"jq error", nil, `error("boom")`, root + "\n", "", "x:1: --jq: error: boom"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opt, err := Compile(c.queries, c.jq)
			if err != nil {
				t.Fatal(err)
			}
			var out, errs bytes.Buffer
			opt.Name, opt.Problems = "x", jsonl.NewProblems(&errs, "")
			err = Run(context.Background(), strings.NewReader(c.in), &out, opt)
			if out.String() != c.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), c.want)
			}
			if c.errors == "" && (err != nil || errs.Len() > 0) {
				t.Errorf("error %v, messages %q", err, errs.String())
			}
			if c.errors != "" && (err == nil || !strings.Contains(errs.String(), c.errors)) {
				t.Errorf("error %v, messages %q, want %q", err, errs.String(), c.errors)
			}
		})
	}
}

// TestRunStopsInJQ: a jq program that never ends does not hold up the stage once ctx is done (SIGINT
// or SIGTERM in cli): Run returns ctx.Err(), not a problem with the record.
func TestRunStopsInJQ(t *testing.T) {
	for _, expr := range []string{`def f: f; f`, `last(range(1e18))`} {
		opt, err := Compile(nil, expr)
		if err != nil {
			t.Fatal(err)
		}
		var out, errs bytes.Buffer
		opt.Name, opt.Problems = "x", jsonl.NewProblems(&errs, "")
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		done := make(chan error, 1)
		go func() { done <- Run(ctx, strings.NewReader(alice+"\n"+root+"\n"), &out, opt) }()
		select {
		case err := <-done:
			if err != context.Canceled || out.Len() > 0 || errs.Len() > 0 {
				t.Errorf("%s: error %v, output %q, messages %q; want context.Canceled and nothing else", expr, err, out.String(), errs.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Run still running 10 s after ctx was cancelled", expr)
		}
		cancel()
	}
}
