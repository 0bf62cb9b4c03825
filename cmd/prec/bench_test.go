package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/cli/fmtflags"
	"github.com/prec-dev/prec/lib/pipeline"
)

// benchLog is a log of n generated records (tests/bench/gen); BENCH_LOG names an existing one instead.
func benchLog(b *testing.B, n string) string {
	if p := os.Getenv("BENCH_LOG"); p != "" {
		return p
	}
	log := filepath.Join(b.TempDir(), "prec.log")
	gen := exec.Command("go", "run", "../../tests/bench/gen", "-n", n, "-o", log)
	gen.Stderr = os.Stderr
	if err := gen.Run(); err != nil {
		b.Fatal(err)
	}
	return log
}

func records(b *testing.B) float64 {
	if os.Getenv("BENCH_LOG") != "" {
		return 1e6 // tests/bench/query.sh passes a log of a million
	}
	return 1e5
}

// BenchmarkPrec runs `prec -A -q uid>=1000 -o json` in-process.
func BenchmarkPrec(b *testing.B) {
	log := benchLog(b, "100000")
	b.ResetTimer()
	for b.Loop() {
		if code := run([]string{"-A", "-q", "uid>=1000", "-o", "json", "-i", log}, cli.Stdio{Out: io.Discard, Err: os.Stderr}); code != 0 {
			b.Fatal(code)
		}
	}
	b.ReportMetric(float64(b.N)*records(b)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkCatJoinFilter runs prec's cat, join and filter stages in-process, without formatting.
func BenchmarkCatJoinFilter(b *testing.B) {
	log := benchLog(b, "100000")
	opt := options{Input: cli.Filename(log), AnySource: true, Query: []string{"uid>=1000"}, Flags: fmtflags.Flags{Output: "json"}, Source: "user"}
	stages, err := plan(&opt, cli.Stdio{Getenv: func(string) string { return "" }})
	if err != nil {
		b.Fatal(err)
	}
	stages = stages[:len(stages)-1] // no fmt
	b.ResetTimer()
	for b.Loop() {
		if err := pipeline.Run(context.Background(), nil, io.Discard, stages...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*records(b)/b.Elapsed().Seconds(), "records/s")
}
