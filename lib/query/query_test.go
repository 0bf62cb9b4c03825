package query

import (
	"context"
	"strings"
	"testing"
	"time"
)

const (
	cmd    = `{"timestamp":"2026-11-22T13:33:29.485285684Z","event_id":"e-1","uid":1000,"gid":5,"auid":1000,"user":"alice","group":"users","pid":22,"ppid":21,"comm":"ls","exe":"/usr/bin/ls","cwd":"/tmp/x>=y,z","argv":["/usr/bin/ls","-la","a b"],"argc":3,"tty_nr":34816,"source":"user","record_type":"command","end_timestamp":"2026-11-22T13:33:31Z","exit_status":2,"duration_ns":1500000000}`
	unfin  = `{"timestamp":"2026-11-22T13:33:29Z","event_id":"e-2","uid":0,"gid":0,"user":"root","group":"root","pid":23,"ppid":1,"comm":"sleep","exe":"/bin/sleep","cwd":"/","argv":["/bin/sleep","100"],"argc":2,"source":"system","record_type":"command"}`
	fail   = `{"timestamp":"2026-11-22T13:33:30+09:00","uid":0,"gid":0,"user":"root","group":"root","pid":24,"ppid":23,"comm":"sh","exe":"/nope","cwd":"/","argv":["/nope"],"argc":1,"source":"system","record_type":"fail","exec_errno":2,"exec_error":"no such file or directory"}`
	loss   = `{"timestamp":"2026-11-22T13:34:00Z","uid":0,"gid":0,"user":"root","group":"root","pid":0,"ppid":0,"comm":"precd","exe":"precd","cwd":"","argv":["precd","loss"],"argc":2,"source":"system","record_type":"loss","lost_samples":5,"lost_samples_total":9}`
	noargv = `{"timestamp":"2026-11-22T13:34:00Z","uid":0,"comm":"kworker","exe":"","argv":[],"source":"system","record_type":"command"}`
	setuid = `{"timestamp":"2026-11-22T13:34:00Z","uid":65534,"gid":65534,"euid":0,"argv":["/x"],"source":"system","record_type":"command","argv_truncated":true,"argv_redacted":true,"argv_redacted_idx":[0,12]}`
)

func TestMatch(t *testing.T) {
	rows := map[string]string{"cmd": cmd, "unfin": unfin, "fail": fail, "loss": loss, "noargv": noargv, "setuid": setuid}
	for _, c := range []struct {
		query string
		want  string // names of the rows that match, in this order: cmd unfin fail loss noargv setuid
	}{
		{"uid>=1000", "cmd setuid"},
		{"uid = 0", "unfin fail loss noargv"},
		{"uid!=0", "cmd setuid"},
		{"user=alice", "cmd"},
		{"user~=o", "unfin fail loss"},
		{"user!~=o", "cmd noargv setuid"},
		{"exit_status!=0", "cmd"},                              // absent exit_status: every comparison false
		{"exit_status>=0", "cmd"},                              // unfinished rows never match end fields
		{"exec_error!=x", "cmd unfin fail loss noargv setuid"}, // absent strings are ""
		{"auid=1000", "cmd"},
		{"auid!=1000", ""}, // absent optional numbers: even != is false
		{"argv~=a b", "cmd"},
		{"argv=/bin/sleep 100", "unfin"},
		{"command=/usr/bin/ls -la a b", "cmd"},
		{"command=kworker", "noargv"}, // no argv, no exe: comm
		{"command~=precd", "loss"},
		{"cwd=/tmp/x>=y,z", "cmd"},               // operators and commas inside a value
		{`cwd="/tmp/x>=y,z"`, "cmd"},             // quoted
		{`cwd="a \" b"||uid=1000`, "cmd"},        // escapes in quotes
		{"duration>=0000-00-00 00:00:01", "cmd"}, // reference duration syntax
		{"duration<2s", "cmd"},                   // Go duration syntax
		{"duration_ns>1000", "cmd"},
		{"timestamp>=2026-11-22T13:33:30Z", "loss noargv setuid"}, // fail is 04:33:30Z: offsets honoured
		{"timestamp<2026-11-22T13:33:29.5Z", "cmd unfin fail"},
		{"end_timestamp>2026-11-22T00:00:00Z", "cmd"},
		{"record_type=fail||record_type=loss", "fail loss"},
		{"user=root||uid=1000&&gid=5", "cmd unfin fail loss"}, // && binds tighter
		{"(user=root||uid=1000)&&gid=5", "cmd"},
		{"source=user", "cmd"},
		{"lost_samples>1", "loss"},
		{"euid=0", "unfin fail loss noargv setuid"}, // euid absent: equals uid
		{"argv_truncated=true", "setuid"},
		{"argv_redacted=true", "setuid"},
		{"argv_redacted_idx=0 12", "setuid"}, // numbers, joined by spaces as argv is
		{"argv_redacted_idx~=12", "setuid"},
		{"parent_cmdline_redacted=false", "cmd unfin fail loss noargv setuid"},
		{"tty_nr=34816", "cmd"},
		{"pid>0 && pid<24", "cmd unfin"},
		{"exe=\"\"", "noargv setuid"},
		{"argv~=x)y", ""}, // outside parentheses a ')' is part of the value
		{"(argv~=f(x) || uid=1000)", "cmd"},
	} {
		q, err := Compile(c.query)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		var got []string
		for _, name := range []string{"cmd", "unfin", "fail", "loss", "noargv", "setuid"} {
			ok, err := q.Match([]byte(rows[name]))
			if err != nil {
				t.Fatalf("%s on %s: %v", c.query, name, err)
			}
			if ok {
				got = append(got, name)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s matches [%s], want [%s]", c.query, strings.Join(got, " "), c.want)
		}
	}
}

func TestCompileAND(t *testing.T) {
	q, err := Compile("uid>=0", "user=alice")
	if err != nil {
		t.Fatal(err)
	}
	for row, want := range map[string]bool{cmd: true, unfin: false} {
		if ok, _ := q.Match([]byte(row)); ok != want {
			t.Errorf("%.40s: %v, want %v", row, ok, want)
		}
	}
	if !q.Names("user") || q.Names("source") {
		t.Error("Names")
	}
}

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct{ query, want string }{
		{"", "empty query at column 1"},
		{"foo=bar", `unknown field "foo" at column 1`},
		{"exe", `expected an operator (= != > >= < <= ~= !~=) after "exe" at column 4`},
		{"exe=", "empty value for exe"},
		{"a=b||", "unknown field"},
		{"user=x||", "empty clause at column 9"},
		{"user=x&&&&uid=0", "empty clause at column 9"},
		{"||user=x", "empty clause at column 1"},
		{"uid~=0", "operator ~= does not apply to numeric field uid at column 4"},
		{"user>=x", "operator >= does not apply to string field user"},
		{"argv>x", "operator > does not apply to array field argv"},
		{"uid=abc", `value "abc" of numeric field uid is not an integer at column 5`},
		{"source~=us", `value "us" of source is not user or system`},
		{"record_type=x", "is not command, start, end, fail, loss or daemon"},
		{"timestamp>=2026-11-22", "is not an RFC 3339 time"},
		{"duration>=0000-00-00 00:00:60", "out of range"},
		{"duration>=soon", "neither Y-M-D h:m:s nor like 1m30s"},
		{"(uid=0", "unclosed '(' at column 1"},
		{"uid=0)", `value "0)" of numeric field uid is not an integer`},
		{"(uid=0))", "unmatched ')' at column 8"},
		{`cwd="abc`, "unterminated quoted value"},
		{"=x", "expected a field name"},
		{"argv_truncated=yes", "is not true or false"},
	} {
		_, err := Compile(c.query)
		if err == nil {
			t.Errorf("%q: no error", c.query)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v\nwant it to contain %q", c.query, err, c.want)
		}
	}
}

func TestJQ(t *testing.T) {
	j, err := CompileJQ(`.uid >= 1000 and (.argv | length) == 3`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := j.Match(context.Background(), []byte(cmd)); !ok || err != nil {
		t.Errorf("cmd: %v %v", ok, err)
	}
	if ok, _ := j.Match(context.Background(), []byte(unfin)); ok {
		t.Error("unfin matched")
	}
	// Large numbers stay exact (no float64 rounding).
	j, _ = CompileJQ(`.duration_ns == 1500000000 and .n == 9007199254740993`)
	if ok, err := j.Match(context.Background(), []byte(`{"duration_ns":1500000000,"n":9007199254740993}`)); !ok || err != nil {
		t.Errorf("exact numbers: %v %v", ok, err)
	}
	if _, err := CompileJQ(`.uid >=`); err == nil || !strings.Contains(err.Error(), "invalid --jq expression") {
		t.Errorf("bad jq: %v", err)
	}
	j, _ = CompileJQ(`.argv | error("boom")`)
	if _, err := j.Match(context.Background(), []byte(cmd)); err == nil {
		t.Error("runtime error not returned")
	}
}

// FuzzCompile: the parser never panics, and a query it accepts runs on every kind of row.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"uid>=1000", "a=b||c=d&&e=f", "(user=x||(uid=0))", `cwd="a\"b"`, "duration<1s", "argv~=x)y", "((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Compile(s)
		if err != nil {
			if qe, ok := err.(*Error); !ok || qe.Column < 1 {
				t.Fatalf("%q: error without a position: %v", s, err)
			}
			return
		}
		for _, row := range []string{cmd, unfin, fail, loss, noargv, setuid} {
			if _, err := q.Match([]byte(row)); err != nil {
				t.Fatalf("%q: %v", s, err)
			}
		}
	})
}

// TestJQStops: a jq program that never ends returns ctx.Err() once ctx is done, whether it recurses,
// loops without output or collects without end.
func TestJQStops(t *testing.T) {
	for _, expr := range []string{`def f: f; f`, `def f: 1 + f; f`, `last(range(1e18))`, `until(false; .)`,
		`reduce range(1e18) as $x (0; . + 1)`, `[repeat(1)] | length`, `first(repeat(empty))`} {
		j, err := CompileJQ(expr)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			ctx  func() (context.Context, context.CancelFunc)
			want error
		}{
			{"cancelled", func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			}, context.Canceled},
			{"deadline", func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			}, context.DeadlineExceeded},
		} {
			ctx, cancel := c.ctx()
			done := make(chan error, 1)
			go func() {
				_, err := j.Match(ctx, []byte(cmd))
				done <- err
			}()
			select {
			case err := <-done:
				if err != c.want {
					t.Errorf("%s, %s: error %v, want %v", expr, c.name, err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s, %s: still running 10 s after ctx was done", expr, c.name)
			}
			cancel()
		}
	}
	// A ctx already done: no evaluation at all.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	j, _ := CompileJQ(`true`)
	if _, err := j.Match(ctx, []byte(cmd)); err != context.Canceled {
		t.Errorf("done ctx: %v", err)
	}
}

func BenchmarkJQ(b *testing.B) {
	j, err := CompileJQ(`.uid >= 1000`)
	if err != nil {
		b.Fatal(err)
	}
	cancellable, cancel := context.WithCancel(context.Background())
	defer cancel()
	for name, ctx := range map[string]context.Context{"background": context.Background(), "cancellable": cancellable} {
		b.Run(name, func(b *testing.B) {
			line := []byte(cmd)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.Match(ctx, line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
