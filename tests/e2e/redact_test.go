package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// redactCase is a row of lib/redact/testdata/cases.json: the default rules applied to argv of an
// exec of exe give want (null: nothing hidden), with the indexes redacted.
type redactCase struct {
	Name     string   `json:"name"`
	Exe      string   `json:"exe"`
	Argv     []string `json:"argv"`
	Want     []string `json:"want"`
	Redacted []int    `json:"redacted"`
}

// TestRedaction: every row of lib/redact/testdata/cases.json run as a real exec (a copy of
// /bin/echo named as the row's exe, with the row's argv, argv[0] included) gives a record with the
// row's redacted argv and indexes, argv_raw redacted too around invalid UTF-8, a fail record is
// redacted by the path it tried, and the decompressed log holds none of the secrets; with
// redact = [] every argument is kept byte-exact.
func TestRedaction(t *testing.T) {
	requireBPF(t)
	b, err := os.ReadFile("../../lib/redact/testdata/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []redactCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	// Beyond the table: an argument that is not UTF-8 beside a secret and inside one (argv_raw).
	cases = append(cases, redactCase{Name: "invalid UTF-8", Exe: "/usr/bin/tool",
		Argv:     []string{"tool", "caf\xe9", "--password=S3cr\xffet", "\xfe", "--token", "T0k\xe9nValue"},
		Want:     []string{"tool", "caf\xe9", "--password=****", "\xfe", "--token", "****"},
		Redacted: []int{2, 5}})
	echo, err := os.ReadFile("/bin/echo")
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []bool{false, true} {
		name := "defaults"
		extra := "max_arg_length = 16384\nmax_args = 512\n"
		if off {
			name, extra = "off", extra+"redact = []\n"
		}
		t.Run(name, func(t *testing.T) {
			d := startPrecd(t, extra)
			root := t.TempDir()
			paths := make([]string, len(cases))
			for i, c := range cases {
				paths[i] = filepath.Join(root, fmt.Sprintf("c%03d", i), filepath.Base(c.Exe))
				if err := os.MkdirAll(filepath.Dir(paths[i]), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(paths[i], echo, 0o755); err != nil {
					t.Fatal(err)
				}
				cmd := &exec.Cmd{Path: paths[i], Args: c.Argv}
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", c.Name, err, out)
				}
			}
			// A failed exec: the program does not exist, only the path tried names mysql.
			failPath := filepath.Join(root, "missing", "mysql")
			failArgv := []string{"client", "-pFailS3cret", "db"}
			if err := (&exec.Cmd{Path: failPath, Args: failArgv}).Run(); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("exec of %s: %v, want ENOENT", failPath, err)
			}
			settle()
			d.stop()
			rows := d.rows()
			logBytes, err := exec.Command(filepath.Join(binDir, "prec-cat"), "-a", d.log).Output()
			if err != nil {
				t.Fatalf("prec-cat: %v", err)
			}
			// what the log holds in clear: every argument as it should be written
			var kept []string
			for _, c := range cases {
				kept = append(kept, c.Argv...)
				if c.Want != nil {
					kept = append(kept[:len(kept)-len(c.Argv)], c.Want...)
				}
			}
			clear, checked := strings.Join(kept, "\x00"), 0
			for i, c := range cases {
				var got []map[string]any
				for _, r := range rows {
					if r["exe"] == paths[i] && r["record_type"] == "command" {
						got = append(got, r)
					}
				}
				if len(got) != 1 {
					t.Errorf("%s: %d records of %s, want 1", c.Name, len(got), paths[i])
					continue
				}
				want, idx := c.Want, c.Redacted
				if want == nil || off {
					want, idx = c.Argv, nil
				}
				checkRedacted(t, c.Name, got[0], want, idx)
				if !off {
					for _, s := range secrets(c) {
						if strings.Contains(clear, s) {
							continue // also in an argument kept in clear: its absence proves nothing
						}
						checked++
						if bytes.Contains(logBytes, jsonText(s)) {
							t.Errorf("%s: the log holds the secret %q", c.Name, s)
						}
					}
				}
			}
			t.Logf("%d execs, %d secrets looked for in the log", len(cases)+1, checked)
			if !off && checked < len(cases)/2 {
				t.Errorf("only %d secrets looked for in the log", checked)
			}
			fails := find(rows, "fail", failPath)
			if len(fails) != 1 {
				t.Fatalf("%d fail records of %s, want 1", len(fails), failPath)
			}
			if off {
				checkRedacted(t, "fail", fails[0], failArgv, nil)
			} else {
				checkRedacted(t, "fail", fails[0], []string{"client", "-p****", "db"}, []int{1})
			}
			if got := bytes.Contains(logBytes, []byte("FailS3cret")); got != off {
				t.Errorf("the log holds the fail record's secret: %v, want %v", got, off)
			}
		})
	}
}

// checkRedacted checks argv (and argv_raw, byte-exact) against want and the redaction fields
// against idx.
func checkRedacted(t *testing.T, name string, r map[string]any, want []string, idx []int) {
	t.Helper()
	valid := true
	shown := make([]string, len(want)) // argv: each invalid byte as U+FFFD
	for i, a := range want {
		valid = valid && utf8.ValidString(a)
		var sb strings.Builder
		for len(a) > 0 {
			c, n := utf8.DecodeRuneInString(a)
			sb.WriteRune(c)
			a = a[n:]
		}
		shown[i] = sb.String()
	}
	if argv := strs(r["argv"]); !slices.Equal(argv, shown) {
		t.Errorf("%s: argv = %q\nwant %q", name, argv, shown)
	}
	raw := strs(r["argv_raw"])
	if valid != (r["argv_raw"] == nil) {
		t.Errorf("%s: argv_raw = %q, want one only when an argument is not UTF-8", name, raw)
	}
	if !valid {
		dec := make([]string, len(raw))
		for i, s := range raw {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				t.Errorf("%s: argv_raw[%d] = %q: %v", name, i, s, err)
			}
			dec[i] = string(b)
		}
		if !slices.Equal(dec, want) {
			t.Errorf("%s: argv_raw decoded = %q\nwant %q", name, dec, want)
		}
	}
	var gotIdx []int
	for _, v := range asSlice(r["argv_redacted_idx"]) {
		gotIdx = append(gotIdx, int(num(v)))
	}
	if !slices.Equal(gotIdx, idx) {
		t.Errorf("%s: argv_redacted_idx = %v, want %v", name, gotIdx, idx)
	}
	if got := r["argv_redacted"] == true; got != (len(idx) > 0) || (!got && r["argv_redacted"] != nil) {
		t.Errorf("%s: argv_redacted = %v, want %v", name, r["argv_redacted"], len(idx) > 0)
	}
}

func asSlice(v any) []any { a, _ := v.([]any); return a }

// jsonText is s as the log writes it inside a JSON string.
func jsonText(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

// secrets returns what the row's redaction hides: for each redacted argument, the parts of the
// argument that its **** markers replace. Secrets shorter than 4 bytes ("a", "T0k") are left out:
// such text is found all over a log; the argv comparison covers them.
func secrets(c redactCase) []string {
	var out []string
	for _, i := range c.Redacted {
		orig, pieces := c.Argv[i], strings.Split(c.Want[i], "****")
		pos := len(pieces[0])
		for k, p := range pieces[1:] {
			end := strings.Index(orig[pos:], p) + pos
			if k == len(pieces)-2 {
				end = len(orig) - len(p) // the last piece ends the argument
			}
			if end < pos {
				break
			}
			if sec := orig[pos:end]; len(sec) >= 4 {
				out = append(out, sec)
			}
			pos = end + len(p)
		}
	}
	return out
}
