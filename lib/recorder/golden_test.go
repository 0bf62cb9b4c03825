package recorder

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/config"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.*.jsonl")

// lines is a Sink that keeps what it is given.
type lines struct {
	buf   bytes.Buffer
	types []string
	times []string
}

func (l *lines) Write(line []byte, typ, ts string) error {
	l.buf.Write(line)
	l.types = append(l.types, typ)
	l.times = append(l.times, ts)
	return nil
}

// testHost is every test record's host: the tests do not depend on this machine's name.
const testHost = "rec-test-1"

func loadConfig(t testing.TB, text string) *config.Config {
	t.Helper()
	if !strings.Contains(text, "hostname") {
		text += "\nhostname = \"" + testHost + "\"\n"
	}
	p := filepath.Join(t.TempDir(), "precd.conf")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// rootOnly names what os/user named on the machine that recorded the golden files: uid and gid 0
// root, 4242 nothing.
type rootOnly struct{}

func (rootOnly) User(uid uint32) string  { return map[uint32]string{0: "root"}[uid] }
func (rootOnly) Group(gid uint32) string { return map[uint32]string{0: "root"}[gid] }

// fixedClock: wall time monoOff ns after the epoch when the monotonic clock reads 0.
func fixedClock() Options {
	return Options{
		Prefix: "20261201120000",
		Names:  rootOnly{},
		Now:    func() time.Time { return time.Unix(0, monoOff) },
		Mono:   func() int64 { return 0 },
	}
}

func feed(t testing.TB, r *Recorder, evs []ev) {
	t.Helper()
	for _, e := range evs {
		var err error
		switch {
		case e.exec != nil && e.exec.Type == bpfexec.EvExecFail:
			err = r.Fail(e.exec)
		case e.exec != nil:
			err = r.Exec(e.exec)
		case e.exit != nil:
			err = r.Exit(e.exit)
		case e.fork != nil:
			r.Fork(e.fork)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestGolden: goldenEvents through the recorder give, byte for byte, the records in
// testdata/golden.<config>.jsonl, which were written by the daemon's mapping before the recorder
// was split out of it (commit "daemon: golden records …", with os/user's names, as rootOnly gives).
func TestGolden(t *testing.T) {
	for name, text := range goldenConfigs {
		t.Run(name, func(t *testing.T) {
			var out lines
			feed(t, New(loadConfig(t, text), &out, fixedClock()), goldenEvents())
			path := filepath.Join("testdata", "golden."+name+".jsonl")
			if *update {
				if err := os.WriteFile(path, out.buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.buf.String(); got != string(want) {
				t.Errorf("records differ from %s:\n%s", path, got)
			}
		})
	}
}
