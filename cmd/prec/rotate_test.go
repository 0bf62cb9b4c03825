package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/logio"
)

// TestAllLogsTied: -a reads a set where two files share a number (prec.log.1.zst, older, and
// prec.log.1, left by a change of compression) as the reference does: the older first. The pids
// are 1 15 3 4 in that order; by name they would be 1 3 15 4, and -n 2 would keep 15 4.
func TestAllLogsTied(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	for i, f := range []struct {
		name, compress string
		pid            int
	}{{"prec.log.2", "no", 1}, {"prec.log.1.zst", "zstd", 15}, {"prec.log.1", "no", 3}, {"prec.log", "no", 4}} {
		p := filepath.Join(dir, f.name)
		w, err := logio.Create(p, f.compress, logio.DefaultLevel(f.compress))
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.Itoa(f.pid)
		w.Write([]byte(`{"timestamp":"2026-11-22T13:33:29Z","event_id":"e-` + id + `","pid":` + id + `,"argv":["x"],"source":"user","record_type":"start"}` + "\n"))
		w.Write([]byte(`{"timestamp":"2026-11-22T13:33:30Z","event_id":"e-` + id + `","pid":` + id + `,"source":"user","record_type":"end","exit_status":0,"duration_ns":1}` + "\n"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		mt := now.Add(-time.Duration(4-i) * time.Hour)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(dir, "prec.log")
	for _, r := range []row{
		{"-a", []string{"-i", log, "-a", "-f", "pid"}, "1\n15\n3\n4\n", "", 0},
		{"-a -n 2", []string{"-i", log, "-a", "-n", "2", "-f", "pid"}, "3\n4\n", "", 0},
		{"-a -n 2 with the end", []string{"-i", log, "-a", "-n", "2", "-f", "pid,exit_status"}, "3 0\n4 0\n", "", 0},
	} {
		check(t, r, "")
	}
}
