package record

import (
	"fmt"
	"strings"
	"testing"
)

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		ns   int64
		text string
	}{{0, "0000-00-00 00:00:00"}, {1_500_000_000, "0000-00-00 00:00:01"}, {-5, "0000-00-00 00:00:00"},
		{(366*86400 + 31*86400 + 3661) * 1e9, "0001-01-02 01:01:01"}} {
		if got := FormatDuration(c.ns); got != c.text {
			t.Errorf("FormatDuration(%d) = %s, want %s", c.ns, got, c.text)
		}
	}
	if ns, err := ParseDuration("0001-01-02 01:01:01"); err != nil || ns != (365*86400+30*86400+2*86400+3661)*1e9 {
		t.Errorf("ParseDuration = %d, %v", ns, err)
	}
}

// TestView: each field's value, as Text gives it (what a query compares and CSV prints) and as Int
// gives it for numbers, on rows where it is computed each way.
func TestView(t *testing.T) {
	names := []string{"command", "euid", "egid", "duration", "uid", "auid", "exit_status", "argv", "argv_truncated", "user", "timestamp"}
	for _, c := range []struct {
		line string
		want string // Text of each of names, joined by |
		ints string // Int of euid, uid, auid, duration: value or "-" without one
	}{
		{`{"argv":["ls","-l"],"exe":"/bin/ls","uid":1000,"gid":5,"user":"a","timestamp":"T","duration_ns":1500000000,"exit_status":0,"argv_truncated":true}`,
			"ls -l|1000|5|0000-00-00 00:00:01|1000||0|ls -l|true|a|T", "1000 1000 - 1500000000"},
		{`{"argv":[],"exe":"/x","comm":"x","uid":5,"euid":0,"egid":7,"auid":null}`,
			"/x|0|7||5||||false||", "0 5 - -"},
		{`{"argv":[""],"exe":"","comm":"kw"}`,
			"kw||||0||||false||", "- 0 - -"},
		{`{"argv":["a"],"uid":"x","duration_ns":-5}`,
			`a|"x"||0000-00-00 00:00:00|"x"|||a|false||`, "- - - -5"},
		{`{"uid":1,"uid":2,"user":"b","user":"c","argv":["p"],"argv":["q","r"]}`,
			"q r|2|||2|||q r|false|c|", "2 2 - -"},
	} {
		v, err := NewView(names...)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Load([]byte(c.line)); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range names {
			got = append(got, v.Text(v.Col(n)))
		}
		var ints []string
		for _, n := range []string{"euid", "uid", "auid", "duration"} {
			if i, ok := v.Int(v.Col(n)); ok {
				ints = append(ints, fmt.Sprint(i))
			} else {
				ints = append(ints, "-")
			}
		}
		if g := strings.Join(got, "|"); g != c.want {
			t.Errorf("%s:\n Text %s\n want %s", c.line, g, c.want)
		}
		if g := strings.Join(ints, " "); g != c.ints {
			t.Errorf("%s: Int %s, want %s", c.line, g, c.ints)
		}
	}
	if _, err := NewView("bogus"); err == nil {
		t.Error("unknown field accepted")
	}
}
