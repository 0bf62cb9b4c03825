package recorder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/logio"
)

// writerSink is the daemon's sink without its fault accounting: the log writer.
type writerSink struct{ w *logio.Writer }

func (s writerSink) Write(line []byte, _, _ string) error { return s.w.Write(line) }

// BenchmarkExecEnd: a fork, an exec and its exit through the mapping, the encoding and the log
// writer, as lib/daemon's BenchmarkExecEnd measured them before the recorder was split out.
func BenchmarkExecEnd(b *testing.B) {
	cfg, err := config.Load(filepath.Join(b.TempDir(), "none"))
	if err != nil {
		b.Fatal(err)
	}
	w, _ := logio.NewWriter(logio.Plain, 0, 1)
	null, err := os.OpenFile(os.DevNull, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	w.SetFile(null)
	opt := fixedClock()
	opt.Now = nil // the real clock, as precd runs
	r := New(cfg, writerSink{w}, opt)
	evs := goldenEvents()
	bash, fork, ls, exit := evs[0].exec, evs[1].fork, evs[2].exec, evs[3].exit
	r.Exec(bash)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Fork(fork)
		if err := r.Exec(ls); err != nil {
			b.Fatal(err)
		}
		if err := r.Exit(exit); err != nil {
			b.Fatal(err)
		}
		if i%1024 == 0 {
			w.Flush()
		}
	}
}
