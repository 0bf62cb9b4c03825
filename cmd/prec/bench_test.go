package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

// BenchmarkPrec runs `prec -A -q uid>=1000 -o json` in-process on a generated log of 100,000
// records (tests/bench/gen); tests/bench/query.sh measures a million against jq.
func BenchmarkPrec(b *testing.B) {
	log := filepath.Join(b.TempDir(), "prec.log")
	gen := exec.Command("go", "run", "../../tests/bench/gen", "-n", "100000", "-o", log)
	gen.Stderr = os.Stderr
	if err := gen.Run(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if code := run([]string{"-A", "-q", "uid>=1000", "-o", "json", "-i", log}, cli.Stdio{Out: io.Discard, Err: os.Stderr}); code != 0 {
			b.Fatal(code)
		}
	}
	b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "records/s")
}
