package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/record"
)

const (
	recStart = `{"timestamp":"2026-12-01T10:00:00Z","record_type":"daemon","event":"start","host":"h","run_id":"20261201100000","seq":1}`
	recEnd   = `{"timestamp":"2026-12-01T10:00:02.5Z","event_id":"20261201100000-1","pid":7,"source":"user","record_type":"end","duration_ns":1,"host":"h","run_id":"20261201100000","seq":2}`
	recStop  = `{"timestamp":"2026-12-01T10:00:03Z","record_type":"daemon","event":"stop","host":"h","run_id":"20261201100000","seq":3}`
	recOld   = `{"timestamp":"2026-12-01T09:00:00Z","event_id":"20261201090000-4","pid":7,"source":"user","record_type":"end","duration_ns":1}`
)

// writeLog writes lines to path as precd would, compressed with compress.
func writeLog(t *testing.T, path, compress string, lines ...string) {
	t.Helper()
	w, err := logio.Create(path, compress, logio.DefaultLevel(compress))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if err := w.Write([]byte(l + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPrevRun: the crashed record's facts come from the last record of the log as precd finds it at
// start, in every compression: a run that ended with its stop record, one without (its last record
// named), an empty or missing log, a log of the old format (no seq: its stop proves nothing), and a
// log logrotate emptied while precd was down (the rotated file's tail counts).
func TestPrevRun(t *testing.T) {
	crashed := &record.DaemonCrashed{PrevRunID: "20261201100000", PrevLastTimestamp: "2026-12-01T10:00:02.5Z", PrevLastSeq: 2}
	for _, compress := range []string{logio.Plain, logio.Gzip, logio.Zstd} {
		for _, c := range []struct {
			name    string
			lines   []string
			rotated []string // prec.log.1, when set
			want    *record.DaemonCrashed
		}{
			{"clean stop", []string{recOld, recStart, recEnd, recStop}, nil, nil},
			{"no stop", []string{recStop, recStart, recEnd}, nil, crashed},
			{"empty log", nil, nil, nil},
			{"old format", []string{recOld}, nil, nil},
			{"rotated while down, no stop", nil, []string{recStart, recEnd}, crashed},
			{"rotated while down, clean", nil, []string{recStart, recEnd, recStop}, nil},
		} {
			t.Run(compress+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				log := filepath.Join(dir, "prec.log")
				writeLog(t, log, compress, c.lines...)
				if c.rotated != nil {
					writeLog(t, log+".1", compress, c.rotated...)
				}
				got, err := prevRun(log)
				if err != nil {
					t.Fatal(err)
				}
				if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
					t.Errorf("got %+v, want %+v", got, c.want)
				}
			})
		}
	}
	if got, err := prevRun(filepath.Join(t.TempDir(), "missing", "prec.log")); got != nil || err != nil {
		t.Errorf("missing log: %+v, %v", got, err)
	}
}

// TestPrevRunTornTail: a crash that cut the last unit short leaves what its complete part held; a
// plain log's torn last line is not a record.
func TestPrevRunTornTail(t *testing.T) {
	log := filepath.Join(t.TempDir(), "prec.log")
	writeLog(t, log, logio.Plain, recStart, recEnd)
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(recStop[:40]) // the stop record torn: the run did not end cleanly
	f.Close()
	got, err := prevRun(log)
	if err != nil || got == nil || got.PrevLastSeq != 2 {
		t.Errorf("got %+v, %v; want the end record (seq 2)", got, err)
	}
}

// TestPrevRunWindow: the last record is found from the file's end only, whatever the window cuts
// (a unit, a member, a line, a record longer than the window), in every compression.
func TestPrevRunWindow(t *testing.T) {
	defer func(w int64) { tailWindow = w }(tailWindow)
	tailWindow = 300
	long := `{"timestamp":"2026-12-01T10:00:04Z","event_id":"20261201100000-9","pid":7,"argv":["` + strings.Repeat("x", 5000) +
		`"],"source":"user","record_type":"start","host":"h","run_id":"20261201100000","seq":%d}`
	for _, compress := range []string{logio.Plain, logio.Gzip, logio.Zstd} {
		for _, c := range []struct {
			name string
			tail string
			want uint64 // prev_last_seq; 0: no crashed record
		}{
			{"stop last", recStop, 0},
			{"end last", recEnd, 2},
			{"long record last", long, 1001},
		} {
			t.Run(compress+"/"+c.name, func(t *testing.T) {
				log := filepath.Join(t.TempDir(), "prec.log")
				w, err := logio.Create(log, compress, logio.DefaultLevel(compress))
				if err != nil {
					t.Fatal(err)
				}
				for i := 1; i <= 1000; i++ {
					w.Write([]byte(fmt.Sprintf(`{"timestamp":"2026-12-01T09:00:00Z","event_id":"20261201090000-%d","pid":%d,"source":"user","record_type":"end","duration_ns":1,"host":"h","run_id":"20261201090000","seq":%d}`+"\n", i, i, i)))
					if i%37 == 0 {
						w.Flush()
					}
				}
				tail := c.tail
				if strings.Contains(tail, "%d") {
					tail = fmt.Sprintf(tail, 1001)
				}
				w.Write([]byte(tail + "\n"))
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				got, err := prevRun(log)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case c.want == 0 && got != nil:
					t.Errorf("crashed %+v after a stop record", got)
				case c.want != 0 && (got == nil || got.PrevLastSeq != c.want):
					t.Errorf("got %+v, want prev_last_seq %d", got, c.want)
				}
			})
		}
	}
}
