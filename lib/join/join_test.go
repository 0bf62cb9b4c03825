package join

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/jsonl"
)

const (
	s1   = `{"timestamp":"T1","event_id":"e-1","pid":1,"argv":["a"],"source":"user","record_type":"start","extra":{"k":[1]}}`
	e1   = `{"timestamp":"T2","event_id":"e-1","pid":1,"source":"user","record_type":"end","exit_status":0,"duration_ns":5}`
	s2   = `{"timestamp":"T3","event_id":"e-2","pid":2,"argv":["b"],"source":"user","record_type":"start"}`
	e2   = `{"timestamp":"T4","event_id":"e-2","pid":2,"source":"user","record_type":"end","exit_status":137,"duration_ns":9,"signal":"SIGKILL"}`
	f1   = `{"timestamp":"T5","pid":3,"argv":["c"],"source":"system","record_type":"fail","exec_errno":2}`
	l1   = `{"timestamp":"T6","record_type":"loss","lost_samples":1}`
	unk  = `{"timestamp":"T7","record_type":"future","x":1}`
	c1   = `{"timestamp":"T1","event_id":"e-1","pid":1,"argv":["a"],"source":"user","record_type":"command","extra":{"k":[1]},"end_timestamp":"T2","exit_status":0,"duration_ns":5}`
	c2   = `{"timestamp":"T3","event_id":"e-2","pid":2,"argv":["b"],"source":"user","record_type":"command","end_timestamp":"T4","exit_status":137,"duration_ns":9,"signal":"SIGKILL"}`
	c1u  = `{"timestamp":"T1","event_id":"e-1","pid":1,"argv":["a"],"source":"user","record_type":"command","extra":{"k":[1]}}`
	c2u  = `{"timestamp":"T3","event_id":"e-2","pid":2,"argv":["b"],"source":"user","record_type":"command"}`
	s3   = `{"timestamp":"T8","event_id":"r-3","pid":4,"source":"user","record_type":"start","host":"h","run_id":"r","seq":7}`
	e3   = `{"timestamp":"T9","event_id":"r-3","pid":4,"source":"user","record_type":"end","duration_ns":1,"host":"h","run_id":"r","seq":9}`
	c3   = `{"timestamp":"T8","event_id":"r-3","pid":4,"source":"user","record_type":"command","host":"h","run_id":"r","seq":7,"end_timestamp":"T9","duration_ns":1,"end_seq":9}`
	d1   = `{"timestamp":"T8","record_type":"daemon","event":"start","attach":["a"],"host":"h","run_id":"r","seq":1}`
	orph = `{"timestamp":"T0","event_id":"e-0","pid":9,"source":"user","record_type":"end","exit_status":1,"duration_ns":1}`
)

func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }

func TestRun(t *testing.T) {
	for _, c := range []struct {
		name   string
		opt    Options
		in     string
		want   string
		errors string
	}{
		{"pair", Options{}, lines(s1, e1), lines(c1), ""},
		{"interleaved keeps start order", Options{}, lines(s1, s2, e2, e1), lines(c1, c2), ""},
		{"fail and loss wait behind an open start", Options{}, lines(s1, f1, l1, e1), lines(c1, f1, l1), ""},
		{"passthrough unknown types", Options{}, lines(unk, s2, e2), lines(unk, c2), ""},
		{"end without start is dropped", Options{}, lines(orph, s1, e1), lines(c1), ""},
		{"unfinished at end of input", Options{}, lines(s2, s1, e1), lines(c2u, c1), ""},
		{"window: start goes out unfinished, its late end dropped", Options{Window: 2}, lines(s2, f1, l1, unk, e2), lines(c2u, f1, l1, unk), ""},
		{"follow: provisional then final", Options{Follow: true}, lines(s2, f1, e2), lines(c2u, f1, c2), ""},
		{"follow, ends dropped: one row per command", Options{Follow: true, DropEnds: true}, lines(s1, s2, e2, f1, e1, orph), lines(c1u, c2u, f1), ""},
		{"ends dropped: list", Options{DropEnds: true}, lines(s1, f1, e1, s2, l1), lines(c1u, f1, c2u, l1), ""},
		{"bad lines skipped and reported", Options{}, lines(s1, `{"bad`, `[]`, e1), lines(c1), "x:2: bad record"},
		{"identity: the end's seq is end_seq, host and run_id once; daemon records pass", Options{}, lines(d1, s3, e3), lines(d1, c3), ""},
		{"blank lines ignored", Options{}, "\n" + lines(s1, "", e1), lines(c1), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			c.opt.Name = "x"
			c.opt.Problems = jsonl.NewProblems(&errs, "")
			err := Run(context.Background(), strings.NewReader(c.in), &out, c.opt)
			if got := out.String(); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
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

// TestMemoryBounded: an unbounded stream of starts whose ends never come keeps at most Window rows.
func TestMemoryBounded(t *testing.T) {
	var in bytes.Buffer
	for i := 0; i < 50000; i++ {
		in.WriteString(`{"event_id":"e-` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `","record_type":"start","i":` + itoa(i) + "}\n")
	}
	j := newJoiner(&bytes.Buffer{}, Options{Window: 100})
	r := jsonl.NewReader(&in, 0)
	for {
		line, err := r.Next()
		if err != nil {
			break
		}
		if err := j.add(line); err != nil {
			t.Fatal(err)
		}
		if n := len(j.queue) - j.head; n > 101 {
			t.Fatalf("%d rows held, window 100", n)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func BenchmarkJoin(b *testing.B) {
	var in bytes.Buffer
	for i := 0; i < 1000; i++ {
		id := itoa(i)
		in.WriteString(strings.Replace(s1, `"e-1"`, `"e-`+id+`"`, 1) + "\n")
		in.WriteString(strings.Replace(e1, `"e-1"`, `"e-`+id+`"`, 1) + "\n")
	}
	data := in.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Run(context.Background(), bytes.NewReader(data), &bytes.Buffer{}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJoinFlat joins records as precd writes them: flat, compact, keys in the schema's order.
func BenchmarkJoinFlat(b *testing.B) {
	const start = `{"timestamp":"2026-11-22T13:00:00Z","event_id":"E","uid":1006,"gid":1006,"auid":4294967295,"session_id":4294967295,"user":"user1006","group":"user1006","pid":10000,"ppid":9999,"comm":"cron","exe":"/usr/sbin/cron","cwd":"/home/user/src/project","argv":["/usr/sbin/cron","-f"],"argc":2,"cgroup":"/user.slice/user-1000.slice/session-3.scope","tty":"/dev/pts/1","tty_nr":34817,"source":"user","record_type":"start","parent_comm":"bash","parent_exe":"/usr/bin/bash","parent_cmdline":"-bash","parent_tty":"/dev/pts/1","parent_tty_nr":34817,"process_key":"10000@1000000000000","parent_key":"9999@1000000000000"}`
	const end = `{"timestamp":"2026-11-22T13:00:00.000731Z","event_id":"E","pid":10000,"source":"user","record_type":"end","exit_status":127,"duration_ns":731000}`
	var in bytes.Buffer
	for i := 0; i < 1000; i++ {
		id := `"20261122130000-` + itoa(i) + `"`
		in.WriteString(strings.Replace(start, `"E"`, id, 1) + "\n")
		in.WriteString(strings.Replace(end, `"E"`, id, 1) + "\n")
	}
	data := in.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := Run(context.Background(), bytes.NewReader(data), &bytes.Buffer{}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
