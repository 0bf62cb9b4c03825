package recorder

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/redact"
	"golang.org/x/sys/unix"
)

// BenchmarkRedact: precd's CPU per exec (a fork, the exec and its exit through the recorder, the
// encoding and the log writer) with the default redaction rules and with none, measured in the
// same run: blocks of execs alternate between two recorders so that a change in the machine's load
// falls on both. It reports the thread's CPU time per exec for each (none-ns/exec,
// default-ns/exec) and their difference (redact-ns/exec), the cost of the default rules:
//
//	go test ./lib/recorder -run '^$' -bench Redact
func BenchmarkRedact(b *testing.B) {
	build := []string{"cc", "-DHAVE_CONFIG_H", "-I.", "-I../include", "-I/usr/include/glib-2.0",
		"-I/usr/lib/x86_64-linux-gnu/glib-2.0/include", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2", "-g",
		"-pthread", "-fPIC", "-MT", "src/libfoo_la-parser.lo", "-MD", "-MP", "-MF", "src/.deps/libfoo_la-parser.Tpo",
		"-c", "src/parser.c"}
	for _, c := range []struct {
		name string
		argv []string
	}{
		{"ls", []string{"ls", "-la", "/tmp"}},
		{"git-status", []string{"git", "status"}},
		{"build20", build},
		{"git-clone-url", []string{"git", "clone", "https://github.com/prec-dev/prec.git"}},
		{"secret-mysql", []string{"mysql", "-u", "root", "-pS3cret", "db"}},
		{"secret-curl", []string{"curl", "-sS", "-H", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "https://api.example.com/v1/x"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			none, def := newBenchRecorder(b, redact.MustCompile(nil)), newBenchRecorder(b, redact.MustCompile(redact.Defaults()))
			fork, exec, exit := forkKid(t0+ms, 101), mkExec(kid(101, t0+2*ms, c.argv...)), exitSt(t0+3*ms, 101, 0)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			const block = 64
			var cpu [2]time.Duration
			var n int
			for b.Loop() {
				for k, r := range []*Recorder{none, def} {
					t := threadCPU()
					for range block {
						r.Fork(fork.fork)
						if err := r.Exec(exec.exec); err != nil {
							b.Fatal(err)
						}
						if err := r.Exit(exit.exit); err != nil {
							b.Fatal(err)
						}
					}
					cpu[k] += threadCPU() - t
				}
				n += block
			}
			b.ReportMetric(float64(cpu[0])/float64(n), "none-ns/exec")
			b.ReportMetric(float64(cpu[1])/float64(n), "default-ns/exec")
			b.ReportMetric(float64(cpu[1]-cpu[0])/float64(n), "redact-ns/exec")
		})
	}
}

func newBenchRecorder(b *testing.B, set *redact.Set) *Recorder {
	cfg, err := config.Load(filepath.Join(b.TempDir(), "none"))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Redactor = set
	w, _ := logio.NewWriter(logio.Plain, 0, 1)
	null, err := os.OpenFile(os.DevNull, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { null.Close() })
	w.SetFile(null)
	opt := fixedClock()
	opt.Now = nil // the real clock, as precd runs
	r := New(cfg, writerSink{w}, opt)
	r.Exec(mkExec(login()).exec)
	return r
}

// threadCPU is the calling thread's CPU time, which a loaded machine does not inflate as it does
// the wall time. CLOCK_THREAD_CPUTIME_ID counts to the nanosecond; getrusage's RUSAGE_THREAD
// moves only at scheduler ticks, too coarse for blocks of a few hundred microseconds.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
