package jsonl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestLast(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		add  string // key:line ..., key may be empty
		want string // line/no ...
	}{
		{"fewer than n", 3, ":a :b", "a/1 b/2"},
		{"the last n", 3, ":a :b :c :d :e", "c/3 d/4 e/5"},
		{"none", 0, ":a :b", ""},
		{"a key replaces its line in place", 3, "x:a y:b x:A", "A/3 b/2"},
		{"replaced in place even when it is the oldest", 2, "x:a y:b x:A z:c", "b/2 c/4"},
		{"a dropped line's key is forgotten", 2, "x:a y:b z:c x:A", "c/3 A/4"},
		{"no key: never replaced", 2, ":a :a", "a/1 a/2"},
	} {
		l := NewLast(c.n)
		for i, kv := range strings.Fields(c.add) {
			k, v, _ := strings.Cut(kv, ":")
			buf := []byte(v)
			l.AddKey(k, buf, int64(i+1))
			copy(buf, "#") // Last keeps its own copy
		}
		if l.Len() != len(strings.Fields(c.want)) {
			t.Errorf("%s: Len %d", c.name, l.Len())
		}
		var got []string
		l.Drain(func(line []byte, no int64) error {
			got = append(got, fmt.Sprintf("%s/%d", line, no))
			return nil
		})
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s: got %q, want %q", c.name, strings.Join(got, " "), c.want)
		}
		if l.Len() != 0 {
			t.Errorf("%s: %d kept after Drain", c.name, l.Len())
		}
	}
	l := NewLast(2)
	l.Add([]byte("a"), 1)
	l.Add([]byte("b"), 2)
	boom := errors.New("boom")
	n := 0
	if err := l.Drain(func([]byte, int64) error { n++; return boom }); err != boom || n != 1 || l.Len() != 0 {
		t.Errorf("Drain error: %v after %d, %d kept", err, n, l.Len())
	}
}
