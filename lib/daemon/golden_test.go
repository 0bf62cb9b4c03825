package daemon

import (
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/logio"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.*.jsonl from the current code")

// TestGolden feeds goldenEvents through the daemon's mapping and compares the records with
// testdata/golden.<config>.jsonl, recorded before the recorder was split out of the daemon.
func TestGolden(t *testing.T) {
	for name, text := range goldenConfigs {
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Load(writeConfig(t, text))
			if err != nil {
				t.Fatal(err)
			}
			got := oldRecords(t, cfg)
			path := filepath.Join("testdata", "golden."+name+".jsonl")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("records differ from %s:\n%s", path, got)
			}
		})
	}
}

func oldRecords(t *testing.T, cfg *config.Config) []byte {
	d := &daemon{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), procs: map[uint32]*proc{}, names: newNames(),
		prefix: "20261201120000", monoOff: monoOff}
	d.rules = cfg.Rules
	var err error
	if d.w, err = logio.NewWriter(logio.Plain, 0, 1); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	d.w.SetFile(f)
	for _, e := range goldenEvents() {
		switch {
		case e.exec != nil && e.exec.Type == bpfexec.EvExecFail:
			err = d.fail(e.exec)
		case e.exec != nil:
			err = d.exec(e.exec)
		case e.exit != nil:
			err = d.exit(e.exit)
		case e.fork != nil:
			d.fork(e.fork)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := d.w.Flush(); err != nil {
		t.Fatal(err)
	}
	d.w.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkExecEnd: one exec and its exit through the mapping, encoding and the writer.
func BenchmarkExecEnd(b *testing.B) {
	cfg, err := config.Load(filepath.Join(b.TempDir(), "none"))
	if err != nil {
		b.Fatal(err)
	}
	d := &daemon{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), procs: map[uint32]*proc{}, names: newNames(),
		prefix: "20261201120000", monoOff: monoOff}
	d.rules = cfg.Rules
	d.w, _ = logio.NewWriter(logio.Plain, 0, 1)
	null, err := os.OpenFile(os.DevNull, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	d.w.SetFile(null)
	evs := goldenEvents()
	bash, fork, ls, exit := evs[0].exec, evs[1].fork, evs[2].exec, evs[3].exit
	d.exec(bash)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.fork(fork)
		if err := d.exec(ls); err != nil {
			b.Fatal(err)
		}
		if err := d.exit(exit); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 0 {
			d.w.Flush()
		}
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "precd.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
