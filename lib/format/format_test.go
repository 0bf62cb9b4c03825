package format

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/jsonl"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestGolden(t *testing.T) {
	all, _ := ParseFields("all")
	for _, c := range []struct {
		golden string
		opt    Options
	}{
		{"reference.tree.text", Options{Tree: true, Fields: []string{"timestamp", "command"}, FullTime: true}},
		{"basic.text", Options{}},
		{"basic.full-time.text", Options{FullTime: true, Fields: []string{"timestamp", "end_timestamp", "command"}}},
		{"basic.all.text", Options{Fields: all}},
		{"basic.tree.text", Options{Tree: true}},
		{"basic.color.text", Options{Color: true, Fields: []string{"command", "exit_status"}}},
		{"basic.last2.text", Options{Last: 2}},
		{"basic.csv", Options{Output: CSV, Fields: all}},
		{"basic.json", Options{Output: JSON, Fields: all}},
		{"basic.default.json", Options{Output: JSON}},
		{"hostile.csv", Options{Output: CSV, Fields: []string{"command", "exe", "cwd", "exit_status"}}},
		{"hostile.text", Options{Fields: []string{"command", "exe", "cwd", "exit_status"}}},
	} {
		input := "testdata/" + strings.Split(c.golden, ".")[0] + ".jsonl"
		in, err := os.ReadFile(input)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		c.opt.Problems = jsonl.NewProblems(&out, "")
		if err := Run(context.Background(), bytes.NewReader(in), &out, c.opt); err != nil {
			t.Fatalf("%s: %v", c.golden, err)
		}
		path := filepath.Join("testdata", c.golden+".golden")
		if *update {
			os.WriteFile(path, out.Bytes(), 0o644)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./lib/format -update writes it)", err)
		}
		if out.String() != string(want) {
			t.Errorf("%s:\n%s\nwant:\n%s", c.golden, out.String(), want)
		}
	}
}

// TestTextNeverWritesControls: whatever a record holds, text output has no raw control character
// but the newline ending each row.
func TestTextNeverWritesControls(t *testing.T) {
	in := `{"argv":["a\u0007\u001b\r\u007f\u0085b"],"cwd":"\u001b]0;title\u0007","user":"x\ty","exe":"e"}` + "\n"
	var out bytes.Buffer
	fields, _ := ParseFields("command,cwd,user,exe,parent_cmdline")
	if err := Run(context.Background(), strings.NewReader(in), &out, Options{Fields: fields}); err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(out.String(), "\n")
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			t.Fatalf("raw control %U in %q", r, s)
		}
	}
	if want := `$'a\x07\e\r\x7f\xc2\x85b' $'\e]0;title\x07' $'x\ty' e -`; s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
}

// TestCSVSafe: whatever a record holds, a CSV cell never starts as a spreadsheet formula and the
// output has no raw control character but the newline ending each row.
func TestCSVSafe(t *testing.T) {
	in, err := os.ReadFile("testdata/hostile.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := ParseFields("command,exe,cwd,argv,exit_status")
	var out bytes.Buffer
	if err := Run(context.Background(), bytes.NewReader(in), &out, Options{Output: CSV, Fields: fields}); err != nil {
		t.Fatal(err)
	}
	for _, r := range strings.TrimSuffix(out.String(), "\n") {
		if r != '\n' && (r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0) {
			t.Fatalf("raw control %U in %q", r, out.String())
		}
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Count(in, []byte("\n")) + 1; len(rows) != want {
		t.Fatalf("%d rows, want %d (a header and one per record)", len(rows), want)
	}
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+@\t\r", rune(cell[0])) || cell != "" && cell[0] == '-' && !plainNumber(cell[1:]) {
				t.Errorf("cell %q starts a formula", cell)
			}
		}
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "plain": "plain", "a=b": "a=b", "=1+1": "'=1+1", "+1": "'+1", "@x": "'@x", "\tx": `'\tx`,
		"\rx": `'\rx`, "-": "'-", "-5": "-5", "-1.5": "-1.5", "-1.": "'-1.", "-.5": "'-.5", "-1e5": "'-1e5",
		"--help": "'--help", "a\nb": `a\nb`, `c:\x`: `c:\\x`, "\x1b[31m\a": `\e[31m\x07`, "\u009b": `\xc2\x9b`,
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %s, want %s", in, got, want)
		}
	}
}

// referenceAll is "-f all" as the reference's code expands it (allOutputFields in its
// internal/cli/output_formatter.go): the default four first, then its table order.
const referenceAll = "timestamp,user,group,command,end_timestamp,event_id,uid,gid,auid,session_id,pid,ppid," +
	"comm,exe,cwd,argv,argc,cgroup,tty,tty_nr,source,record_type,exit_status,duration_ns,duration," +
	"exec_errno,exec_error,lost_samples,lost_samples_total,parent_comm,parent_exe,parent_cmdline," +
	"parent_tty,parent_tty_nr"

// TestAllHeader: the CSV header and the text columns of "-f all" are the reference's, in its order
// (the golden files hold the rows; -update must not move this).
func TestAllHeader(t *testing.T) {
	csv, err := os.ReadFile("testdata/basic.csv.golden")
	if err != nil {
		t.Fatal(err)
	}
	if header, _, _ := strings.Cut(string(csv), "\n"); header != referenceAll {
		t.Errorf("csv header\n%s\nwant\n%s", header, referenceAll)
	}
	all, _ := ParseFields("all")
	in := `{"timestamp":"2026-11-22T13:33:29Z","user":"u","group":"g","argv":["c"],"end_timestamp":"2026-11-22T13:33:30Z","event_id":"e","uid":1}` + "\n"
	var out bytes.Buffer
	if err := Run(context.Background(), strings.NewReader(in), &out, Options{Fields: all}); err != nil {
		t.Fatal(err)
	}
	cols := strings.Split(strings.TrimSuffix(out.String(), "\n"), " ")
	if want := "2026-11-22 13:33:29 u g c 2026-11-22 13:33:30 e 1"; strings.Join(cols[:9], " ") != want {
		t.Errorf("text columns %q, want %q first", cols, want)
	}
}

func TestParseFields(t *testing.T) {
	for _, c := range []struct{ spec, want, err string }{
		{"all", referenceAll, ""},
		{"pid,all", "pid," + strings.Replace(referenceAll, ",pid,", ",", 1), ""},
		{"+all,-uid", strings.Replace(referenceAll, ",uid,", ",", 1), ""},
		{"-user,group,+pid", "timestamp,command,pid", ""},
		{"timestamp,+pid", "timestamp,pid", ""},
		{"+pid,uid,-command,user", "timestamp,group,pid,uid", ""},
		{"command,command,timestamp", "command,timestamp", ""},
		{"all,-end_timestamp,event_id", "", ""},
		{"+exit_status,signal", "timestamp,user,group,command,exit_status,signal", ""},
		{"bogus", "", `unknown field "bogus"`},
		{"+", "", "empty field name"},
		{"user,,pid", "", "empty field name"},
	} {
		got, err := ParseFields(c.spec)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.spec, err)
			continue
		}
		if c.want != "" && strings.Join(got, ",") != c.want {
			t.Errorf("%s = %s, want %s", c.spec, strings.Join(got, ","), c.want)
		}
	}
	all, _ := ParseFields("all,-end_timestamp,event_id")
	if len(all) != 32 || all[0] != "timestamp" || all[4] != "uid" {
		t.Errorf("all minus two = %v", all)
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain/path-1.2": "plain/path-1.2", "": "''", "a b": "'a b'", "it's": `'it'\''s'`,
		"new\nline": `$'new\nline'`, "\xff": `$'\xff'`, "é": "'é'", `back\slash`: `'back\slash'`, "$(x)": "'$(x)'",
	} {
		var b bytes.Buffer
		Quote(&b, in)
		if b.String() != want {
			t.Errorf("Quote(%q) = %s, want %s", in, b.String(), want)
		}
	}
}

// TestFollowLast: with live input, a command's finished row replaces its provisional one among the
// last N, so -F -n N starts with N commands, as the reference's backfill does.
func TestFollowLast(t *testing.T) {
	in := strings.Join([]string{
		`{"event_id":"1","argv":["a"],"record_type":"command"}`,
		`{"event_id":"1","argv":["a"],"record_type":"command","exit_status":0}`,
		`{"event_id":"2","argv":["b"],"record_type":"command"}`,
		`{"argv":["f"],"record_type":"fail"}`,
		`{"event_id":"2","argv":["b"],"record_type":"command","exit_status":1}`,
		`{"event_id":"3","argv":["c"],"record_type":"command"}`,
	}, "\n") + "\n"
	var out bytes.Buffer
	err := Run(context.Background(), strings.NewReader(in), &out, Options{Follow: true, Last: 3, Fields: []string{"command", "exit_status"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "b 1\nf -\nc -\n"; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// TestTreeLastKey: the tree reads repeated keys as every reader does, the last one counting.
func TestTreeLastKey(t *testing.T) {
	in := `{"process_key":"1@1","argv":["a"],"record_type":"command"}` + "\n" +
		`{"process_key":"z", "parent_key":"9@9","argv":["b"],"record_type":"command","parent_key":"1@1","process_key":"2@2"}` + "\n"
	var out bytes.Buffer
	if err := Run(context.Background(), strings.NewReader(in), &out, Options{Tree: true, Fields: []string{"command"}}); err != nil {
		t.Fatal(err)
	}
	if want := "a\n`- b\n"; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
