package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScan(t *testing.T) {
	line := []byte(`{"a":1, "b" : "x\"y" ,"c":[1,{"d":"]"}],"e":null,"f":true,"g":-1.5e3,"h":{}}`)
	var got []string
	if err := Scan(line, func(k, v []byte) bool {
		got = append(got, fmt.Sprintf("%s=%s", k, v))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{`a=1`, `b="x\"y"`, `c=[1,{"d":"]"}]`, `e=null`, `f=true`, `g=-1.5e3`, `h={}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestScanErrors(t *testing.T) {
	for _, line := range []string{
		``, `[]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a":"x}`, `{"a":[1,2}`,
		`{"a":tru}`, `{"a":1} x`, `not json`, `{"a":1}}`, `{a:1}`,
	} {
		if err := Scan([]byte(line), func(k, v []byte) bool { return true }); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

func TestGetAndDecode(t *testing.T) {
	line := []byte(`{"argv":["a","b c","\u00e9\n"],"uid":1000,"s":"\u003cx\u003e","n":null}`)
	f := newFinder("argv", "uid", "s", "n", "missing")
	if err := f.Find(line); err != nil {
		t.Fatal(err)
	}
	raw := f.vals[0]
	args, err := Strings(raw)
	if err != nil || fmt.Sprintf("%q", args) != `["a" "b c" "é\n"]` {
		t.Errorf("Strings = %q, %v", args, err)
	}
	if nums, err := Strings([]byte(`[1, 12,3]`)); err != nil || fmt.Sprintf("%q", nums) != `["1" "12" "3"]` {
		t.Errorf("Strings of numbers = %q, %v", nums, err)
	}
	if n, ok := Int(f.vals[1]); !ok || n != 1000 {
		t.Errorf("Int = %d %v", n, ok)
	}
	if s, err := String(f.vals[2]); err != nil || s != "<x>" {
		t.Errorf("String = %q %v", s, err)
	}
	if _, ok := Int(f.vals[3]); ok {
		t.Error("Int(null) ok")
	}
	if f.vals[4] != nil {
		t.Error("missing key found")
	}
}

// FuzzScan: Scan accepts what encoding/json accepts as an object, never panics, and finds the same keys.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":[1,{"b":"}"}],"c":"\\\""}`, `{}`, `{"a":"\u0000"}`, `[1]`, `{"a":1,}`,
		`{"a": 1, "b": "x"}`, `{"a":1,"b":2,"a":3}`, `{"a":["a"],"b":"a","a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"a":1},"a" : 2 }`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var keys []string
		err := Scan(b, func(k, v []byte) bool { keys = append(keys, string(k)); return true })
		var m map[string]json.RawMessage
		jerr := json.Unmarshal(b, &m)
		if jerr == nil && m != nil && err != nil {
			t.Fatalf("Scan rejects valid %q: %v", b, err)
		}
		if verr := Valid(b); (verr == nil) != (err == nil) {
			t.Fatalf("Valid %v, Scan %v on %q", verr, err, b)
		}
		if err == nil && jerr == nil && m != nil {
			// finder sees what encoding/json sees: the last value of each key, also one spelled with
			// escapes, whether it looks for that key alone or for all of them.
			var all []string
			for k := range m {
				if utf8.ValidString(k) && !strings.ContainsRune(k, utf8.RuneError) {
					all = append(all, k)
				}
			}
			every := newFinder(all...)
			if err := every.Find(b); err != nil {
				t.Fatalf("finder rejects valid %q: %v", b, err)
			}
			for i, k := range all {
				one := newFinder(k)
				if err := one.Find(b); err != nil {
					t.Fatalf("finder rejects valid %q: %v", b, err)
				}
				if !bytes.Equal(one.vals[0], m[k]) || !bytes.Equal(every.vals[i], m[k]) {
					t.Fatalf("finder(%q) = %s, with the others %s; encoding/json: %s, in %q", k, one.vals[0], every.vals[i], m[k], b)
				}
			}
			for _, k := range keys {
				var uk string
				if json.Unmarshal([]byte(`"`+k+`"`), &uk) == nil {
					if _, ok := m[uk]; !ok {
						t.Fatalf("Scan found key %q not in %q", k, b)
					}
				}
			}
		}
	})
}

func TestFinder(t *testing.T) {
	f := newFinder("b", "z", "a", "d")
	for _, line := range []string{
		`{"a":1,"b":"x\"y","c":[1,{"d":2}],"d":null}`,
		`  { "a" : 1 , "b" : "x\"y", "c":[1,{"d":2}], "d" : null }  `,
	} {
		if err := f.Find([]byte(line)); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%s|%s|%s|%s", f.vals[0], f.vals[1], f.vals[2], f.vals[3])
		if got != `"x\"y"||1|null` {
			t.Errorf("%s: %s", line, got)
		}
	}
	for _, bad := range []string{``, `[1]`, `{"a":1`, `x{"a":1}`} {
		if err := f.Find([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestFinderLastAndSpaces: the last of repeated keys counts; spaces, escapes in keys and nested
// objects do not fool the compact walk.
func TestFinderLastAndSpaces(t *testing.T) {
	for _, c := range []struct {
		line string
		keys []string
		want string // values joined by |
	}{
		{`{"timestamp": "T", "uid": 1}`, []string{"timestamp"}, `"T"`}, // the first key, then a space
		{`{"uid": 1,"gid":2}`, []string{"uid"}, `1`},
		{`{"uid":1 ,"gid":2}`, []string{"uid"}, `1`},
		{`{"uid":1,"gid":2,"uid":3}`, []string{"uid"}, `3`},
		{`{"uid":1,"gid":2,"uid":3}`, []string{"gid", "uid"}, `2|3`},
		{`{"uid":1,"gid":2, "uid" : 3 }`, []string{"uid"}, `3`},
		{`{"uid":1,"u\u0069d":4}`, []string{"uid"}, `4`},
		{`{"u\u0069d":4,"uid":1}`, []string{"uid"}, `1`},
		{`{"uid":1,"x":{"uid":5}}`, []string{"uid"}, `1`},
		{`{"uid":1,"x":["uid"],"y":"\"uid\""}`, []string{"uid"}, `1`},
		{`{"uid":1,"a\u003cb":"\u003c"}`, []string{"uid"}, `1`},
		{`{"a/b":1,"a\/b":2}`, []string{"a/b"}, `2`},
		{`{"uid":1,"euid":2,"x":"uid\"","y":"\u0075"}`, []string{"uid"}, `1`}, // false alarms: walked on
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"a":6}`, []string{"a", "b", "c", "d", "e"}, `6|2|3|4|5`},
		{`{"a":1,"b":2,"c":3,"d":4,"e":5,"b":7}`, []string{"a", "b", "c", "d"}, `1|7|3|4`},
	} {
		f := newFinder(c.keys...)
		if err := f.Find([]byte(c.line)); err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		var got []string
		for _, v := range f.vals {
			got = append(got, string(v))
		}
		if strings.Join(got, "|") != c.want {
			t.Errorf("%s %v: %s, want %s", c.line, c.keys, strings.Join(got, "|"), c.want)
		}
	}
}

func BenchmarkFinder(b *testing.B) {
	line := []byte(`{"timestamp":"2026-11-22T13:33:29.485285684Z","event_id":"20261122133327-4","uid":0,"gid":0,"auid":4294967295,"session_id":4294967295,"user":"root","group":"root","pid":22808,"ppid":22807,"comm":"ls","exe":"/usr/bin/ls","cwd":"/tmp/w/w-inter","argv":["/usr/bin/ls","-la","/tmp/w/w-inter"],"argc":3,"cgroup":"/system.slice/agent/9df7b2067ca196d37dbc54ce8c3724a8","tty":"/dev/pts/0","tty_nr":34816,"source":"user","record_type":"start","parent_comm":"bash","parent_exe":"/usr/bin/bash","parent_cmdline":"bash --norc --noprofile -i","parent_tty":"/dev/pts/0","parent_tty_nr":34816}`)
	f := newFinder("record_type", "event_id")
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		f.Find(line)
	}
}

func BenchmarkScan(b *testing.B) {
	line := []byte(`{"timestamp":"2026-11-22T13:33:29.485285684Z","event_id":"20261122133327-4","uid":0,"gid":0,"auid":4294967295,"session_id":4294967295,"user":"root","group":"root","pid":22808,"ppid":22807,"comm":"ls","exe":"/usr/bin/ls","cwd":"/tmp/w/w-inter","argv":["/usr/bin/ls","-la","/tmp/w/w-inter"],"argc":3,"cgroup":"/system.slice/agent/9df7b2067ca196d37dbc54ce8c3724a8","tty":"/dev/pts/0","tty_nr":34816,"source":"user","record_type":"start","parent_comm":"bash","parent_exe":"/usr/bin/bash","parent_cmdline":"bash --norc --noprofile -i","parent_tty":"/dev/pts/0","parent_tty_nr":34816}`)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		Scan(line, func(k, v []byte) bool { return true })
	}
}

func BenchmarkValid(b *testing.B) {
	line := []byte(`{"timestamp":"2026-11-22T13:33:29.485285684Z","event_id":"20261122133327-4","uid":0,"gid":0,"auid":4294967295,"session_id":4294967295,"user":"root","group":"root","pid":22808,"ppid":22807,"comm":"ls","exe":"/usr/bin/ls","cwd":"/tmp/w/w-inter","argv":["/usr/bin/ls","-la","/tmp/w/w-inter"],"argc":3,"cgroup":"/system.slice/agent/9df7b2067ca196d37dbc54ce8c3724a8","tty":"/dev/pts/0","tty_nr":34816,"source":"user","record_type":"start","parent_comm":"bash","parent_exe":"/usr/bin/bash","parent_cmdline":"bash --norc --noprofile -i","parent_tty":"/dev/pts/0","parent_tty_nr":34816}`)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		Valid(line)
	}
}
