package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/logio"
)

func TestRotationSteps(t *testing.T) {
	for _, c := range []struct {
		nums []int
		keep int
		want string
	}{
		{nil, 3, "prec.log -> prec.log.1"},
		{[]int{1}, 3, "prec.log.1 -> prec.log.2, prec.log -> prec.log.1"},
		{[]int{1, 2}, 3, "prec.log.2 -> prec.log.3, prec.log.1 -> prec.log.2, prec.log -> prec.log.1"},
		{[]int{1, 2, 3}, 3, "rm prec.log.3, prec.log.2 -> prec.log.3, prec.log.1 -> prec.log.2, prec.log -> prec.log.1"},
		{[]int{1, 2, 3, 4, 5}, 3, "rm prec.log.5, rm prec.log.4, rm prec.log.3, prec.log.2 -> prec.log.3, prec.log.1 -> prec.log.2, prec.log -> prec.log.1"},
		{[]int{1}, 1, "rm prec.log.1, prec.log -> prec.log.1"},
		// gaps a crash left: closed first, moving files down in ascending order
		{[]int{2, 5}, 3, "prec.log.2 -> prec.log.1, prec.log.5 -> prec.log.2, prec.log.2 -> prec.log.3, prec.log.1 -> prec.log.2, prec.log -> prec.log.1"},
		{[]int{1, 3, 4}, 3, "prec.log.3 -> prec.log.2, prec.log.4 -> prec.log.3, rm prec.log.3, prec.log.2 -> prec.log.3, prec.log.1 -> prec.log.2, prec.log -> prec.log.1"},
	} {
		var got []string
		for _, s := range rotation("prec.log", c.nums, c.keep) {
			got = append(got, s.String())
		}
		if g := strings.Join(got, ", "); g != c.want {
			t.Errorf("%v keep %d:\n got %s\nwant %s", c.nums, c.keep, g, c.want)
		}
	}
}

// rotRec is the record with number i; a test set of files holds records 1..n, oldest first.
func rotRec(i int) string { return fmt.Sprintf(`{"record_type":"start","i":%d}`, i) + "\n" }

// fileSet is a log directory for the tests: log.N files (nums) and the log, each with its own
// consecutive records, the higher numbers older; the log holds the newest.
type fileSet struct {
	dir, log string
	next     int // the number of the next record
}

func newFileSet(t *testing.T, compress string, nums []int) *fileSet {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "log")
	os.Mkdir(dir, 0o750)
	s := &fileSet{dir: dir, log: filepath.Join(dir, "prec.log"), next: 1}
	for _, n := range slices.Backward(nums) {
		s.add(t, compress, numbered("prec.log", n), 5)
	}
	s.add(t, compress, "prec.log", 5)
	return s
}

// add appends n records to the file name.
func (s *fileSet) add(t *testing.T, compress, name string, n int) {
	t.Helper()
	w, err := logio.Create(filepath.Join(s.dir, name), compress, logio.DefaultLevel(compress))
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		w.Write([]byte(rotRec(s.next)))
		s.next++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// keptFrom returns the first record a rotation keeping keep files leaves: that of the oldest of
// the keep newest files of the set (the log and keep-1 rotated ones) holding any.
func (s *fileSet) keptFrom(t *testing.T, keep int) int {
	t.Helper()
	set, err := logio.RotatedSet(s.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set[max(0, len(set)-keep):] {
		var out bytes.Buffer
		if err := logio.Cat(context.Background(), nil, &out, logio.CatOptions{Paths: []string{p}}); err != nil {
			t.Fatal(err)
		}
		if out.Len() > 0 {
			i := 0
			fmt.Sscanf(out.String(), `{"record_type":"start","i":%d}`, &i)
			return i
		}
	}
	return s.next
}

// read returns what prec-cat -a would: the records of the rotated set, oldest first.
func (s *fileSet) read(t *testing.T) string {
	t.Helper()
	var out, errs bytes.Buffer
	err := logio.Cat(context.Background(), nil, &out, logio.CatOptions{Paths: []string{s.log}, All: true, Problems: jsonl.NewProblems(&errs, "")})
	if err != nil || errs.Len() > 0 {
		t.Fatalf("read the set: %v %s", err, errs.String())
	}
	return out.String()
}

// suffix checks that got is records from..next-1, each once, in order, for some from <= atMost:
// nothing but the oldest is missing, and nothing the rotation keeps.
func (s *fileSet) suffix(t *testing.T, what, got string, atMost int) {
	t.Helper()
	from := s.next
	if got != "" {
		fmt.Sscanf(got, `{"record_type":"start","i":%d}`, &from)
	}
	var want strings.Builder
	for i := from; i < s.next; i++ {
		want.WriteString(rotRec(i))
	}
	if got != want.String() || from > atMost {
		t.Errorf("%s: read records %d.. (%d lines), want each of %d..%d once, in order (from at most %d)\n%s",
			what, from, strings.Count(got, "\n"), from, s.next-1, atMost, got)
	}
}

func (s *fileSet) names(t *testing.T) []string {
	t.Helper()
	es, err := os.ReadDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRotationCrash cuts a rotation short after each of its steps (a crash, kill -9) and checks
// that the set left is readable, every record once and in order, with nothing missing but what the
// rotation removes; then that the next precd puts it in order and rotates it right.
func TestRotationCrash(t *testing.T) {
	for _, mode := range []string{logio.Zstd, logio.Gzip, logio.Plain} {
		for _, c := range []struct {
			nums []int
			keep int
		}{
			{nil, 3}, {[]int{1}, 3}, {[]int{1, 2, 3}, 3}, {[]int{1, 2, 3, 4, 5}, 3}, {[]int{2, 5}, 3}, {[]int{1, 2}, 1},
		} {
			steps := rotation("prec.log", c.nums, c.keep)
			for cut := 0; cut <= len(steps); cut++ {
				what := fmt.Sprintf("%s %v keep %d, cut after %d of %v", mode, c.nums, c.keep, cut, steps)
				s := newFileSet(t, mode, c.nums)
				kept := s.keptFrom(t, c.keep)
				dir, _, err := openDir(s.dir)
				if err != nil {
					t.Fatal(err)
				}
				if err := run(dir, steps[:cut]); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				s.suffix(t, what, s.read(t), kept)

				// The next precd: it opens (creating) the log, puts the set in order, and writes.
				l := &logFiles{dirPath: s.dir, name: "prec.log", dir: dir}
				f, err := l.openLog()
				if err != nil {
					t.Fatal(err)
				}
				f.Close()
				w, _ := logio.NewWriter(mode, logio.DefaultLevel(mode), 1)
				l.rotateBy(w, 1<<20, 0, c.keep, quiet())
				m := numberedCount(t, s.names(t), what+", restarted")
				s.suffix(t, what+", restarted", s.read(t), kept)
				s.add(t, mode, "prec.log", 3)
				kept = s.keptFrom(t, c.keep)
				f, err = l.rotate(c.keep)
				if err != nil {
					t.Fatalf("%s: rotate after the restart: %v", what, err)
				}
				f.Close()
				s.suffix(t, what+", rotated after the restart", s.read(t), kept)
				if n := numberedCount(t, s.names(t), what+", rotated after the restart"); n != min(c.keep, m+1) {
					t.Errorf("%s: %d rotated files after the restart and a rotation, want %d", what, n, min(c.keep, m+1))
				}
				dir.Close()
			}
		}
	}
}

// numberedCount checks that names are the log, its lock, and prec.log.1 .. prec.log.N with no
// gap, and returns N.
func numberedCount(t *testing.T, names []string, what string) int {
	t.Helper()
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	n := 0
	for have[numbered("prec.log", n+1)] {
		n++
	}
	if !have["prec.log"] || !have["prec.log.lock"] && len(names) != n+1 || have["prec.log.lock"] && len(names) != n+2 {
		t.Errorf("%s: files %v, want prec.log and prec.log.1 .. prec.log.N", what, names)
	}
	return n
}

// TestRotationNeverReplaces: a name a rotation needs is taken (here by a directory): the rotation
// stops there, nothing is replaced, and the log is still where it was.
func TestRotationNeverReplaces(t *testing.T) {
	s := newFileSet(t, logio.Zstd, []int{1})
	os.Mkdir(filepath.Join(s.dir, "prec.log.2"), 0o750)
	dir, _, err := openDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	l := &logFiles{dirPath: s.dir, name: "prec.log", dir: dir}
	f, err := l.rotate(3)
	if err == nil || !strings.Contains(err.Error(), "prec.log.1 -> prec.log.2") {
		t.Fatalf("rotate onto a directory: %v, want the step that failed", err)
	}
	if f != nil {
		t.Error("a file returned with the error")
	}
	s.suffix(t, "after the failed rotation", s.read(t), 1)
	if _, err := os.Stat(s.log); err != nil {
		t.Error(err)
	}
}

// TestRotateByFailing: a rotation that cannot be done is logged once, not at every flush, and the
// records go on to the current file; logrotate's names next to the log are warned about.
func TestRotateByFailing(t *testing.T) {
	s := newFileSet(t, logio.Zstd, []int{1})
	os.Mkdir(filepath.Join(s.dir, "prec.log.2"), 0o750)
	os.WriteFile(filepath.Join(s.dir, "prec.log.3.gz"), nil, 0o640)
	dir, _, err := openDir(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	l := &logFiles{dirPath: s.dir, name: "prec.log", dir: dir}
	f, err := l.openLog()
	if err != nil {
		t.Fatal(err)
	}
	var msgs bytes.Buffer
	w, _ := logio.NewWriter(logio.Zstd, 3, 9)
	w.SetFile(f)
	l.rotateBy(w, 64<<10, 0, 3, slog.New(slog.NewTextHandler(&msgs, nil)))
	if !strings.Contains(msgs.String(), "prec.log.3.gz") {
		t.Errorf("no warning about logrotate's names:\n%s", msgs.String())
	}
	before := s.read(t)
	var all strings.Builder
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 { // records that do not compress much: 200 KB of zstd
		var pad strings.Builder
		for range 10 {
			fmt.Fprintf(&pad, "%016x", rnd.Uint64())
		}
		line := fmt.Sprintf(`{"record_type":"start","i":%d,"pad":"%s"}`+"\n", i, pad.String())
		w.Write([]byte(line))
		all.WriteString(line)
		if i%100 == 99 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.Close()
	if n := strings.Count(msgs.String(), "cannot rotate the log"); n != 1 {
		t.Errorf("%d warnings of a failed rotation, want 1:\n%s", n, msgs.String())
	}
	if st, _ := os.Stat(s.log); st.Size() <= 64<<10 {
		t.Errorf("the log holds %d bytes: the records did not go on to it", st.Size())
	}
	os.Remove(filepath.Join(s.dir, "prec.log.3.gz"))
	if got := s.read(t); got != before+all.String() {
		t.Errorf("read %d bytes after the failed rotations, want the %d before and the %d written", len(got), len(before), all.Len())
	}
}

func TestLogrotateFor(t *testing.T) {
	etc := t.TempDir()
	os.Mkdir(filepath.Join(etc, "logrotate.d"), 0o755)
	os.WriteFile(filepath.Join(etc, "logrotate.conf"), []byte("weekly\n/var/log/wtmp {\n\tmonthly\n}\n"), 0o644)
	os.WriteFile(filepath.Join(etc, "logrotate.d", "prec"), []byte("# /var/log/prec/prec.log {\n/var/log/prec/prec.log {\n\tdaily\n}\n"), 0o644)
	os.WriteFile(filepath.Join(etc, "logrotate.d", "glob"), []byte("/var/log/other.log \"/srv/log/*.log\" {\n}\n"), 0o644)
	os.WriteFile(filepath.Join(etc, "logrotate.d", "commented"), []byte("#/srv/log/x.log {\n"), 0o644)
	for _, c := range []struct{ log, want string }{
		{"/var/log/prec/prec.log", "prec"},
		{"/srv/log/x.log", "glob"},
		{"/var/log/elsewhere/prec.log", ""},
	} {
		var got []string
		for _, f := range logrotateFor(etc, c.log) {
			got = append(got, filepath.Base(f))
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s: %v, want %q", c.log, got, c.want)
		}
	}
}
