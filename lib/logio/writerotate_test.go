package logio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// renamer is a rotate function for tests: path becomes path.1, path.2, ... in the order rotated
// (not logrotate's numbering: the writer does not care how the file is moved away).
type renamer struct {
	path string
	n    int
	fail error // returned instead of rotating, when set
}

func (r *renamer) rotate() (*os.File, error) {
	if r.fail != nil {
		return nil, r.fail
	}
	r.n++
	if err := os.Rename(r.path, fmt.Sprintf("%s.%d", r.path, r.n)); err != nil {
		return nil, err
	}
	return os.OpenFile(r.path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
}

func (r *renamer) files() []string {
	var out []string
	for i := 1; i <= r.n; i++ {
		out = append(out, fmt.Sprintf("%s.%d", r.path, i))
	}
	return append(out, r.path)
}

// TestWriterRotatesBySize: every file but the last stops within one unit of the size and never
// passes it, and the files read in order hold every record once, in every compression mode.
func TestWriterRotatesBySize(t *testing.T) {
	const size = 64 << 10
	for _, mode := range []string{Zstd, Gzip, Plain} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prec.log")
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := NewWriter(mode, DefaultLevel(mode), 7)
			w.SetFile(f)
			r := &renamer{path: path}
			w.SetRotation(size, 0, r.rotate)
			recs := benchRecords(6000)
			var all strings.Builder
			for i, rec := range recs {
				if err := w.Write(rec); err != nil {
					t.Fatal(err)
				}
				all.Write(rec)
				if i%700 == 699 { // several units per flush
					if err := w.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if r.n < 3 {
				t.Fatalf("rotated %d times, want several", r.n)
			}
			biggest := int64(0)
			for _, p := range r.files() {
				st, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() > size || st.Size() == 0 {
					t.Errorf("%s: %d bytes, want 1..%d", filepath.Base(p), st.Size(), size)
				}
				biggest = max(biggest, st.Size())
			}
			// A unit holds at most size/4 uncompressed (size/16 plain), so a rotated file is
			// at least size minus that.
			slack := int64(size / 4)
			if mode == Plain {
				slack = size / 16
			}
			for _, p := range r.files()[:r.n] {
				st, _ := os.Stat(p)
				if st.Size() <= size-slack {
					t.Errorf("%s: %d bytes, more than a unit (%d) below %d", filepath.Base(p), st.Size(), slack, size)
				}
			}
			out, errs, err := cat(t, CatOptions{Paths: r.files()})
			if err != nil || errs != "" {
				t.Fatalf("cat: %v %s", err, errs)
			}
			if out != all.String() {
				t.Errorf("the files hold %d bytes of records, want the %d written, in order", len(out), all.Len())
			}
			t.Logf("%d files, largest %d bytes", r.n+1, biggest)
		})
	}
}

// TestWriterRotateFails: when rotate fails, units go on to the current file and the next Flush
// tries again; nothing is lost or written twice.
func TestWriterRotateFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	f, _ := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	w, _ := NewWriter(Zstd, 3, 7)
	w.SetFile(f)
	r := &renamer{path: path, fail: errors.New("no")}
	calls := 0
	w.SetRotation(64<<10, 0, func() (*os.File, error) { calls++; return r.rotate() })
	recs := benchRecords(4000)
	var all strings.Builder
	flush := func() {
		t.Helper()
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for _, rec := range recs[:2000] {
		w.Write(rec)
		all.Write(rec)
	}
	flush()
	if calls != 1 || r.n != 0 {
		t.Fatalf("one flush called rotate %d times (rotated %d), want once", calls, r.n)
	}
	flush() // nothing to write: no try
	if calls != 1 {
		t.Fatalf("rotate called with nothing to write")
	}
	st, _ := os.Stat(path)
	if st.Size() <= 64<<10 {
		t.Fatalf("%d bytes: the records did not go on to the current file", st.Size())
	}
	r.fail = nil
	for _, rec := range recs[2000:] {
		w.Write(rec)
		all.Write(rec)
	}
	flush()
	w.Close()
	if r.n == 0 {
		t.Fatal("no rotation once rotate works again")
	}
	out, errs, err := cat(t, CatOptions{Paths: r.files()})
	if err != nil || errs != "" || out != all.String() {
		t.Errorf("cat: %v %s: %d bytes, want %d", err, errs, len(out), all.Len())
	}
}

// TestWriterRotatesByAge: a file older than the age is rotated before the next unit, an empty one
// never.
func TestWriterRotatesByAge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	f, _ := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o640)
	w, _ := NewWriter(Gzip, DefaultLevel(Gzip), 7)
	w.SetFile(f)
	r := &renamer{path: path}
	w.SetRotation(0, 50*time.Millisecond, r.rotate)
	w.Write([]byte(rec(1) + "\n"))
	w.Flush()
	w.Write([]byte(rec(2) + "\n"))
	w.Flush()
	if r.n != 0 {
		t.Fatalf("rotated a young file")
	}
	time.Sleep(60 * time.Millisecond)
	w.Flush() // nothing to write
	if r.n != 0 {
		t.Fatalf("rotated with nothing to write")
	}
	w.Write([]byte(rec(3) + "\n"))
	w.Flush()
	if r.n != 1 {
		t.Fatalf("rotated %d times after the age, want 1", r.n)
	}
	w.Close()
	out, errs, err := cat(t, CatOptions{Paths: r.files()})
	if err != nil || errs != "" || out != want(1, 4) {
		t.Errorf("cat: %v %s %q", err, errs, out)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(out, rec(3)) || len(b) == 0 {
		t.Errorf("the new file holds %d bytes", len(b))
	}
}
