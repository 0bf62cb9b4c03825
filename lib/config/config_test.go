package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/redact"
)

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "precd.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "missing.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if c.LogPath != DefaultLogPath || c.Compress != "zstd" || c.Level != 3 || c.FilterDefault != "allow" ||
		c.LostSamplesAction != "log" || c.MaxArgs != 128 || c.MaxArgLength != 1024 || c.Flush != time.Second ||
		c.RingBufferSize != 8<<20 {
		t.Errorf("defaults: %+v", c)
	}
	c, _ = Load(write(t, "compress = \" GZ \"\n"))
	if c.Compress != "gz" || c.Level != -1 {
		t.Errorf("gz: %q level %d", c.Compress, c.Level)
	}
}

// TestExample: the shipped example, with every setting uncommented, is valid.
func TestExample(t *testing.T) {
	b, err := os.ReadFile("../../packaging/precd.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	setting := regexp.MustCompile(`^#(\w+ = .*|  ".*",|\])$`)
	var lines []string
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if setting.MatchString(l) {
			l = l[1:]
			n++
		}
		lines = append(lines, l)
	}
	if n < 14 {
		t.Fatalf("only %d settings found in the example", n)
	}
	c, err := Load(write(t, strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Filter) != 3 {
		t.Errorf("filter rules: %q", c.Filter)
	}
	// every key of Config appears in the example
	for _, key := range []string{"log_path", "compress", "compress_level", "filter_default", "filter", "user_only",
		"lost_samples_action", "max_arg_length", "max_args", "ring_buffer_size", "flush_interval", "failed_execs",
		"failed_execs_32bit"} {
		if !strings.Contains(string(b), "#"+key+" = ") {
			t.Errorf("example lacks %s", key)
		}
	}
}

func TestErrors(t *testing.T) {
	for text, want := range map[string]string{
		`compress = "lz4"`:                       `invalid compress: "lz4" (allowed: no, gz, zstd)`,
		"compress = \"gz\"\ncompress_level = 12": `invalid compress_level for compress=gz: 12 (allowed: -3..9)`,
		`compress_level = 0`:                     `invalid compress_level for compress=zstd: 0`,
		`filter_default = "maybe"`:               `invalid filter_default: "maybe"`,
		`lost_samples_action = "panic"`:          `invalid lost_samples_action: "panic"`,
		`filter = ["uid=0"]`:                     `invalid filter rule at index 0: missing action prefix in "uid=0"`,
		`filter = ["+uid=0", "  "]`:              `invalid filter rule at index 1: empty rule`,
		`filter = ["+"]`:                         `empty query expression`,
		`filter = ["+uid=x"]`:                    `invalid filter rule at index 0: invalid query "uid=x"`,
		`exclude_users = ["a"]`:                  `exclude_users is no longer supported; use filter_default and filter`,
		`nonsense = 1`:                           `unknown key "nonsense"`,
		`max_args = "ten"`:                       `max_args`,
		`flush_interval = "5ms"`:                 `invalid flush_interval: "5ms"`,
		`ring_buffer_size = 65537`:               `invalid ring_buffer_size: 65537`,
		`log_path = `:                            `line 1`,
	} {
		_, err := Load(write(t, text+"\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
}

func TestRules(t *testing.T) {
	c, err := Load(write(t, `filter_default = "deny"
filter = ["-argv~=secret", "+uid>=1000", "+record_type=fail"]
`))
	if err != nil {
		t.Fatal(err)
	}
	rs := c.Rules
	for line, want := range map[string]bool{
		`{"uid":1000,"argv":["ls"],"record_type":"start"}`:            true,
		`{"uid":1000,"argv":["echo","secret"],"record_type":"start"}`: false, // first match wins
		`{"uid":0,"argv":["ls"],"record_type":"start"}`:               false, // default deny
		`{"uid":0,"argv":["nope"],"record_type":"fail"}`:              true,
	} {
		if got := rs.Keep([]byte(line), "system"); got != want {
			t.Errorf("%s: %v, want %v", line, got, want)
		}
	}
	rs.UserOnly = true
	if rs.Keep([]byte(`{"uid":1000,"argv":["ls"],"record_type":"start"}`), "system") {
		t.Error("user_only let a system record through")
	}
}

// TestUntrustedConfig: a configuration anyone but root could have written is refused, naming the file
// and its mode; one in a sticky world-writable directory (/tmp) is accepted.
func TestUntrustedConfig(t *testing.T) {
	good := write(t, "compress = \"gz\"\n")
	if _, err := Load(good); err != nil {
		t.Fatalf("a file only its owner writes: %v", err)
	}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string
		want  string
	}{
		{"world-writable file", func(t *testing.T) string {
			p := write(t, "")
			os.Chmod(p, 0o666)
			return p
		}, "configuration file writable by group or others (mode 0666)"},
		{"group-writable file", func(t *testing.T) string {
			p := write(t, "")
			os.Chmod(p, 0o664)
			return p
		}, "(mode 0664)"},
		{"directory writable by others", func(t *testing.T) string {
			p := write(t, "")
			os.Chmod(filepath.Dir(p), 0o777)
			return p
		}, "directory writable by group or others (mode 0777)"},
		{"symlink to a world-writable file", func(t *testing.T) string {
			target := write(t, "")
			os.Chmod(target, 0o646)
			link := filepath.Join(t.TempDir(), "precd.conf")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, "(mode 0646)"},
		{"file owned by another user", func(t *testing.T) string {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give a file to another user")
			}
			p := write(t, "")
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return p
		}, "configuration file owned by uid 65534"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.setup(t)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%s) = %v, want an error with %q", p, err, tc.want)
			}
			if !strings.Contains(err.Error(), "precd.conf") {
				t.Errorf("the error does not name the file: %v", err)
			}
			if _, err := LogPath(p); err != nil {
				t.Errorf("prec reads the log path of any file it can read: %v", err)
			}
		})
	}
}

func TestMaxPendingConfig(t *testing.T) {
	dir := t.TempDir()
	for conf, want := range map[string]string{
		"":                          "",
		"max_pending_bytes = 4096":  "",
		"max_pending_bytes = -1":    "invalid max_pending_bytes: -1",
		"max_pending_bytes = \"x\"": "max_pending_bytes",
	} {
		path := filepath.Join(dir, "precd.conf")
		os.WriteFile(path, []byte(conf+"\n"), 0o600)
		c, err := Load(path)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", conf, err, want)
			continue
		}
		if err == nil && (conf == "" && c.MaxPending != 64<<20 || conf != "" && c.MaxPending != 4096) {
			t.Errorf("%q: max_pending_bytes %d", conf, c.MaxPending)
		}
	}
}

func TestRedact(t *testing.T) {
	secret := [][]byte{[]byte("tool"), []byte("--password=S3cret")}
	for _, c := range []struct {
		name, text string
		rules      int // -1: the defaults
		hides      bool
	}{
		{"missing key: the defaults", "", -1, true},
		{"empty list: off", "redact = []\n", 0, false},
		{"own rule", "redact = ['^--pin=(.+)$']\n", 1, false},
	} {
		cfg, err := Load(write(t, c.text))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := c.rules
		if want < 0 {
			want = len(redact.Defaults())
		}
		if cfg.Redactor == nil || cfg.Redactor.Len() != want {
			t.Errorf("%s: %d rules, want %d", c.name, cfg.Redactor.Len(), want)
		}
		if _, idx := cfg.Redactor.Apply("/usr/bin/tool", secret); (idx != nil) != c.hides {
			t.Errorf("%s: redacted %v, want hidden %v", c.name, idx, c.hides)
		}
	}
	p := write(t, "redact = ['^--pin=(.+)$', '[exe=] x']\n")
	_, err := Load(p)
	want := p + `: redact[1] "[exe=] x": option exe is empty`
	if err == nil || err.Error() != want {
		t.Errorf("bad rule: %v\nwant %s", err, want)
	}
}
