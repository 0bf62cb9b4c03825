package forward

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/record"
)

func TestTimestamp(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"2026-11-22T14:00:00.123456789+09:00"`, "2026-11-22T14:00:00.123456+09:00"},
		{`"2026-11-22T14:00:00.123456789Z"`, "2026-11-22T14:00:00.123456Z"},
		{`"2026-11-22T14:00:00.1Z"`, "2026-11-22T14:00:00.1Z"},
		{`"2026-11-22T14:00:00Z"`, "2026-11-22T14:00:00Z"},
		{`"2026-11-22T14:00:00-05:30"`, "2026-11-22T14:00:00-05:30"},
		{`"2026-11-22T14:00:00.Z"`, ""},
		{`"2026-11-22 14:00:00Z"`, ""},
		{`"2026-11-22T14:00:00"`, ""},
		{`"2026-11-22T14:00:00+0900"`, ""},
		{`"2026-11-22T14:00:00.123Z "`, ""},
		{`12`, ""},
		{``, ""},
	} {
		if got := string(timestamp([]byte(tc.in))); got != tc.want {
			t.Errorf("timestamp(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMessage(t *testing.T) {
	b := newBuilder(16, "host1.test", 4242, 4096)
	line := `{"timestamp":"2026-11-22T14:00:00.123456789Z","event_id":"20261122140000-1","argv":["a \"b\" \\ \u00e9 \ufffd \u001b"],"record_type":"start"}`
	for _, tc := range []struct{ name, in, want string }{
		{"start", line + "\n", "<134>1 2026-11-22T14:00:00.123456Z host1.test precd 4242 start - " + line},
		{"no newline", line, "<134>1 2026-11-22T14:00:00.123456Z host1.test precd 4242 start - " + line},
		{"no fields", `{"x":1}`, `<134>1 - host1.test precd 4242 - - {"x":1}`},
		{"odd type", `{"timestamp":"x","record_type":"a b\u0001"}`, `<134>1 - host1.test precd 4242 a_b_ - {"timestamp":"x","record_type":"a b\u0001"}`},
		{"not json", `hello`, `<134>1 - host1.test precd 4242 - - hello`},
		{"key in a value", `{"timestamp":"2026-11-22T14:00:00Z","argv":["\"record_type\":\"x\""],"record_type":"end"}`,
			`<134>1 2026-11-22T14:00:00Z host1.test precd 4242 end - {"timestamp":"2026-11-22T14:00:00Z","argv":["\"record_type\":\"x\""],"record_type":"end"}`},
		{"spaced", `{ "timestamp" : "2026-11-22T14:00:00Z", "record_type" : "loss" }`,
			`<134>1 2026-11-22T14:00:00Z host1.test precd 4242 loss - { "timestamp" : "2026-11-22T14:00:00Z", "record_type" : "loss" }`},
		{"escaped type", `{"timestamp":"2026-11-22T14:00:00Z","record_type":"st\u0061rt"}`,
			`<134>1 2026-11-22T14:00:00Z host1.test precd 4242 start - {"timestamp":"2026-11-22T14:00:00Z","record_type":"st\u0061rt"}`},
	} {
		msg, short := b.message([]byte(tc.in))
		if string(msg) != tc.want || short {
			t.Errorf("%s: message = %q (shortened %v), want %q", tc.name, msg, short, tc.want)
		}
	}
	b = newBuilder(10, "a host", 0, 4096)
	if msg, _ := b.message([]byte(`{}`)); string(msg) != `<86>1 - a_host precd - - - {}` {
		t.Errorf("authpriv, no pid: %q", msg)
	}
	if got := string(appendOctetFrame([]byte("x"), []byte("héllo"))); got != "x6 héllo" {
		t.Errorf("frame: %q", got)
	}
}

// A start record as precd writes it, with n arguments of size bytes each made of odd characters.
func bigStart(id, n, size int) []byte {
	odd := []string{`"`, `\`, "\x00", "\x1b", "\n", "é", "日本", "\u2028", "\xff", "<&>", " ", "%msg%", "#012"}
	argv := make([]string, n)
	for i := range argv {
		var sb strings.Builder
		for j := 0; sb.Len() < size; j++ {
			sb.WriteString(odd[(i+j)%len(odd)])
			sb.WriteString("x")
		}
		argv[i] = sb.String()
	}
	r := record.Start{
		Timestamp: "2026-11-22T14:00:00.123456789+01:00", EventID: fmt.Sprintf("20261122140000-%d", id),
		User: "root", Group: "root", PID: 42, PPID: 1, Comm: "cmd", Exe: "/usr/bin/" + strings.Repeat("e", size),
		Cwd: "/", Argv: argv, Argc: n, Source: "system", RecordType: "start",
		ArgvRaw: []string{"aGVsbG8="},
	}
	return r.AppendJSON(nil)
}

func TestShorten(t *testing.T) {
	for _, tc := range []struct{ n, size, limit int }{
		{1, 100 << 10, 8 << 10},
		{128, 1024, 64 << 10},
		{128, 1024, 2048},
		{3, 50 << 10, 100 << 10},
		{20000, 0, 8 << 10}, // cutting strings is not enough: arguments go
		{2, 10, 2000},       // fits: shorten is not called then, but must still hold its promises
	} {
		in := bigStart(7, tc.n, tc.size)
		out := shorten(in, tc.limit)
		name := fmt.Sprintf("%d args of %d bytes into %d", tc.n, tc.size, tc.limit)
		if out == nil {
			t.Errorf("%s: nil", name)
			continue
		}
		if len(out) > tc.limit {
			t.Errorf("%s: %d bytes", name, len(out))
		}
		var got, orig map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Errorf("%s: invalid JSON: %v", name, err)
			continue
		}
		json.Unmarshal(in, &orig)
		if got["forward_truncated"] != true || got["argv_truncated"] != true || got["argv_raw"] != nil {
			t.Errorf("%s: marks: forward_truncated %v argv_truncated %v argv_raw %v", name, got["forward_truncated"], got["argv_truncated"], got["argv_raw"])
		}
		for _, k := range []string{"timestamp", "event_id", "record_type", "argc", "uid", "pid", "source"} {
			if fmt.Sprint(got[k]) != fmt.Sprint(orig[k]) {
				t.Errorf("%s: %s = %v, want %v", name, k, got[k], orig[k])
			}
		}
		ga, oa := got["argv"].([]any), orig["argv"].([]any)
		if len(ga) > len(oa) {
			t.Errorf("%s: argv grew", name)
		}
		for i, a := range ga {
			if !strings.HasPrefix(oa[i].(string), a.(string)) {
				t.Errorf("%s: argv[%d] %q is not a prefix of the original", name, i, a)
			}
		}
		if len(out) < tc.limit*3/4 && tc.limit < len(in) {
			t.Errorf("%s: cut far too much: %d bytes", name, len(out))
		}
		if exe := got["exe"].(string); len(exe) < len(orig["exe"].(string)) && got["exe_truncated"] != true {
			t.Errorf("%s: exe cut without exe_truncated", name)
		}
	}
	if out := shorten([]byte("not json"), 4096); out != nil {
		t.Errorf("not json: %q", out)
	}
}

func TestCutString(t *testing.T) {
	s := []byte(`"ab\u00e9\"日x"`)
	for n, want := range []string{`""`, `"a"`, `"ab"`, `"ab"`, `"ab"`, `"ab"`, `"ab"`, `"ab"`, `"ab\u00e9"`, `"ab\u00e9"`, `"ab\u00e9\""`, `"ab\u00e9\""`, `"ab\u00e9\""`, `"ab\u00e9\"日"`, `"ab\u00e9\"日x"`} {
		if got := string(cutString(s, n)); got != want {
			t.Errorf("cut to %d: %s, want %s", n, got, want)
		}
	}
}

func TestReadFrame(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"2 rsp 6 200 OK\n", "2 rsp \"200 OK\"", ""},
		{"0 serverclose 0\n", "0 serverclose \"\"", ""},
		{"1 rsp 22 200 OK\ncommands=syslog\n", "1 rsp \"200 OK\\ncommands=syslog\"", ""},
		{"x rsp 0\n", "", "relp: bad txnr \"x \""},
		{"1 rsp 3 200 OK\n", "", "relp: frame without its trailing LF"},
		{"1 rsp 6\n", "", "relp: bad data length"},
		{"1 rsp 6 200", "", "unexpected EOF"},
	} {
		fr, err := readFrame(bufio.NewReader(strings.NewReader(tc.in)), new([]byte))
		got := fmt.Sprintf("%d %s %q", fr.txnr, fr.cmd, fr.data)
		if err != nil || tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: err %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
}

func BenchmarkMessage(b *testing.B) {
	bl := newBuilder(16, "host1.test", 4242, DefaultMaxMessage)
	line := bigStart(1, 4, 100)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		bl.message(line)
	}
}

// FuzzShorten: whatever the record and the limit, shorten gives nil or a JSON object within the
// limit that keeps the identity keys and carries the marker.
func FuzzShorten(f *testing.F) {
	f.Add(bigStart(1, 3, 50), 300)
	f.Add([]byte(`{"timestamp":"t","argv":["a","b"],"x":{"y":"zzzzzzzzzzzzzzzzzzzzzzzzzz"}}`), 60)
	f.Add([]byte(`{"a":"\u00e9\u00e9\u00e9\u00e9","b":[]}`), 30)
	f.Fuzz(func(t *testing.T, line []byte, limit int) {
		limit = 100 + int(uint(limit)%5000)
		if !json.Valid(line) {
			return
		}
		out := shorten(line, limit)
		if out == nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil || len(out) > limit || m["forward_truncated"] != true {
			t.Fatalf("shorten(%q, %d) = %q: %v", line, limit, out, err)
		}
		var orig map[string]any
		if json.Unmarshal(line, &orig) == nil {
			for k := range kept {
				if v, ok := orig[k]; ok && fmt.Sprint(m[k]) != fmt.Sprint(v) {
					t.Fatalf("%s changed: %v -> %v", k, v, m[k])
				}
			}
		}
	})
}
