package logio

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/prec-dev/prec/lib/jsonl"
)

func rec(i int) string {
	return fmt.Sprintf(`{"i":%d,"record_type":"start","pad":"%s"}`, i, strings.Repeat("x", i%50))
}

// writeLog writes records from..to-1 with the package's Writer, flushing every 10 records.
func writeLog(t *testing.T, path, compress string, from, to int) {
	t.Helper()
	w, err := Create(path, compress, DefaultLevel(compress))
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		if err := w.Write([]byte(rec(i) + "\n")); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func want(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString(rec(i) + "\n")
	}
	return b.String()
}

func cat(t *testing.T, opt CatOptions) (string, string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	opt.Problems = jsonl.NewProblems(&errs, "")
	err := Cat(context.Background(), strings.NewReader(""), &out, opt)
	return out.String(), errs.String(), err
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []string{Plain, Gzip, Zstd} {
		path := filepath.Join(t.TempDir(), "prec.log")
		writeLog(t, path, c, 0, 100)
		writeLog(t, path, c, 100, 150) // appended: a second stream in the same file
		out, errs, err := cat(t, CatOptions{Paths: []string{path}})
		if err != nil || errs != "" || out != want(0, 150) {
			t.Errorf("%s: err %v, messages %q, %d bytes out", c, err, errs, len(out))
		}
		out, _, _ = cat(t, CatOptions{Paths: []string{path}, Last: 3})
		if out != want(147, 150) {
			t.Errorf("%s -n 3: %q", c, out)
		}
	}
}

func TestWriterFlushReachesFile(t *testing.T) {
	// What Flush wrote is readable while the writer is still open: a live log (its lock held).
	for _, c := range []string{Gzip, Zstd} {
		path := filepath.Join(t.TempDir(), "prec.log")
		unlock := lockLog(t, path)
		w, err := Create(path, c, DefaultLevel(c))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			w.Write([]byte(rec(i) + "\n"))
		}
		w.Flush()
		out, errs, err := cat(t, CatOptions{Paths: []string{path}})
		if err != nil || errs != "" || out != want(0, 5) {
			t.Errorf("%s live: err %v, messages %q, out %q", c, err, errs, out)
		}
		w.Close()
		unlock()
		if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
			t.Errorf("mode %v, want 0640", st.Mode().Perm())
		}
	}
}

func TestCompressionRatio(t *testing.T) {
	// Streams, not a frame per record: realistic records compress well.
	path := filepath.Join(t.TempDir(), "prec.log")
	w, _ := Create(path, Zstd, 3)
	var raw int
	for i := 0; i < 5000; i++ {
		line := fmt.Sprintf(`{"timestamp":"2026-11-22T13:33:%02d.%09dZ","event_id":"20261122133327-%d","uid":0,"gid":0,"auid":4294967295,"session_id":4294967295,"user":"root","group":"root","pid":%d,"ppid":22807,"comm":"ls","exe":"/usr/bin/ls","cwd":"/tmp/w","argv":["/usr/bin/ls","-la","/tmp/w/%d"],"argc":3,"source":"user","record_type":"start","parent_comm":"bash","parent_exe":"/usr/bin/bash","parent_cmdline":"bash -i"}`+"\n", i%60, i*7919%1000000000, i, 20000+i, i)
		raw += len(line)
		w.Write([]byte(line))
		if i%20 == 0 {
			w.Flush() // as precd does every second
		}
	}
	w.Close()
	st, _ := os.Stat(path)
	ratio := float64(raw) / float64(st.Size())
	t.Logf("%d bytes -> %d: %.1fx", raw, st.Size(), ratio)
	if ratio < 10 {
		t.Errorf("compression %.1fx, want >= 10x", ratio)
	}
}

func TestTornZstd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	writeLog(t, path, Zstd, 0, 100)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)-20], 0o644) // the writer died mid-frame
	out, errs, err := cat(t, CatOptions{Paths: []string{path}})
	if !strings.HasPrefix(want(0, 100), out) || len(out) < len(want(0, 90)) {
		t.Errorf("kept %d of %d bytes", len(out), len(want(0, 100)))
	}
	if err == nil || !strings.Contains(errs, "(zstd frame cut short)") {
		t.Errorf("torn frame: err %v, messages %q: want one warning", err, errs)
	}
	if strings.Count(errs, "\n") != 1 {
		t.Errorf("want exactly one warning: %q", errs)
	}
}

func TestCorruptRegion(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []string{Zstd, Gzip} {
		// three separate streams (frames / members), the middle one damaged
		parts := [][2]int{{0, 50}, {50, 100}, {100, 150}}
		var file []byte
		var mid int
		for i, p := range parts {
			path := filepath.Join(dir, fmt.Sprintf("part%d", i))
			writeLog(t, path, c, p[0], p[1])
			b, _ := os.ReadFile(path)
			if i == 1 {
				mid = len(file) + len(b)/2
			}
			file = append(file, b...)
		}
		for k := 0; k < 16; k++ {
			file[mid+k] ^= 0x5a
		}
		path := filepath.Join(dir, "damaged."+c)
		os.WriteFile(path, file, 0o644)
		out, errs, err := cat(t, CatOptions{Paths: []string{path}})
		if err == nil || !strings.Contains(errs, "damaged") || !strings.Contains(errs, path+": bytes ") {
			t.Errorf("%s: err %v, messages %q", c, err, errs)
		}
		if !strings.HasPrefix(out, want(0, 50)) || !strings.HasSuffix(out, want(100, 150)) {
			t.Errorf("%s: records around the damage lost:\n%.300s", c, out)
		}
	}
}

func TestNestedAndStdin(t *testing.T) {
	dir := t.TempDir()
	inner := filepath.Join(dir, "inner")
	writeLog(t, inner, Zstd, 0, 40)
	zdata, _ := os.ReadFile(inner)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(zdata)
	zw.Close()
	path := filepath.Join(dir, "prec.log.2.gz")
	os.WriteFile(path, gz.Bytes(), 0o644)
	out, errs, err := cat(t, CatOptions{Paths: []string{path}})
	if err != nil || errs != "" || out != want(0, 40) {
		t.Errorf("gzip(zstd): err %v %q, %d bytes", err, errs, len(out))
	}
	var o, e bytes.Buffer
	err = Cat(context.Background(), bytes.NewReader(gz.Bytes()), &o, CatOptions{Paths: []string{"-"}, Problems: jsonl.NewProblems(&e, "")})
	if err != nil || o.String() != want(0, 40) {
		t.Errorf("stdin: %v %q", err, e.String())
	}
}

func TestBadLinesAndLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	long := `{"a":"` + strings.Repeat("y", 2<<20) + `"}`
	os.WriteFile(path, []byte(rec(1)+"\nnot json\n"+long+"\n"+rec(2)+"\n{\"torn\":"), 0o644)
	out, errs, err := cat(t, CatOptions{Paths: []string{path}})
	if out != rec(1)+"\n"+long+"\n"+rec(2)+"\n" {
		t.Errorf("out %.200q", out)
	}
	if err == nil || !strings.Contains(errs, path+":2: bad record") || !strings.Contains(errs, path+": bytes 2097251-2097259 damaged (last line cut short): 1 record lost") {
		t.Errorf("err %v, messages %q", err, errs)
	}
}

func TestRotatedSet(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string, age time.Duration) {
		p := filepath.Join(dir, name)
		os.WriteFile(p, nil, 0o644)
		mt := time.Now().Add(-age)
		os.Chtimes(p, mt, mt)
	}
	touch("prec.log", 0)
	touch("prec.log.1", time.Hour)
	touch("prec.log.2.gz", 2*time.Hour)
	touch("prec.log.10.zst", 3*time.Hour)
	touch("prec.log.lock", 0)
	touch("prec.logger", 0)
	touch("other.log", 0)
	got, err := RotatedSet(filepath.Join(dir, "prec.log"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, " ") != "prec.log.10.zst prec.log.2.gz prec.log.1 prec.log" {
		t.Errorf("numbered: %v", names)
	}
	dir = t.TempDir()
	touch("prec.log", 0)
	touch("prec.log-20260102.zst", 0) // mtimes lie (copied files): names decide
	touch("prec.log-20260101", 0)
	got, _ = RotatedSet(filepath.Join(dir, "prec.log"))
	names = names[:0]
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, " ") != "prec.log-20260101 prec.log-20260102.zst prec.log" {
		t.Errorf("dated: %v", names)
	}
}

// syncBuf is a bytes.Buffer safe for a writer goroutine and a reading test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func waitFor(t *testing.T, buf *syncBuf, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for buf.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("follow output:\n%.400s\nwant:\n%.400s", buf.String(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFollow: -F across a line written in two pieces, rename rotation and copytruncate, for plain and
// compressed logs.
func TestFollow(t *testing.T) {
	for _, c := range []string{Plain, Zstd, Gzip} {
		t.Run(c, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "prec.log")
			writeLog(t, path, c, 0, 10)
			ctx, cancel := context.WithCancel(context.Background())
			var out syncBuf
			done := make(chan error, 1)
			go func() {
				done <- Cat(ctx, nil, &out, CatOptions{Paths: []string{path}, Follow: true, Last: 2, Poll: 20 * time.Millisecond})
			}()
			waitFor(t, &out, want(8, 10))

			w, err := Create(path, c, DefaultLevel(c))
			if err != nil {
				t.Fatal(err)
			}
			line := rec(10) + "\n"
			w.Write([]byte(line[:7]))
			w.Flush()
			time.Sleep(100 * time.Millisecond) // half a line on disk: nothing is printed
			if out.String() != want(8, 10) {
				t.Fatalf("partial line printed: %q", out.String())
			}
			w.Write([]byte(line[7:]))
			w.Flush()
			waitFor(t, &out, want(8, 11))

			// rename rotation: the old file gets one more record before the writer reopens
			os.Rename(path, path+".1")
			w.Write([]byte(rec(11) + "\n"))
			w.Flush()
			w.Reopen()
			w.Write([]byte(rec(12) + "\n"))
			w.Flush()
			waitFor(t, &out, want(8, 13))
			w.Close()

			if c == Plain { // copytruncate
				os.Truncate(path, 0)
				time.Sleep(100 * time.Millisecond)
				f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
				f.Write([]byte(rec(13) + "\n"))
				f.Close()
				waitFor(t, &out, want(8, 14))
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("follow ended with %v", err)
			}
		})
	}
}

// FuzzDecode: any file content: no panic, no hang, and what comes out are whole lines.
func FuzzDecode(f *testing.F) {
	var z bytes.Buffer
	zw, _ := zstd.NewWriter(&z)
	zw.Write([]byte(rec(1) + "\n" + rec(2) + "\n"))
	zw.Close()
	var g bytes.Buffer
	gw := gzip.NewWriter(&g)
	gw.Write([]byte(rec(3) + "\n"))
	gw.Close()
	f.Add(z.Bytes())
	f.Add(g.Bytes())
	f.Add([]byte(rec(4) + "\n"))
	f.Add(append(z.Bytes()[:10:10], g.Bytes()...))
	u := append(zunit(1, 1, 0, 0, 3), gunit(1, 2, 0, 3, 5)...)
	f.Add(u)
	f.Add(append(u[:30:30], zunit(1, 3, indexReplay, 0, 3)...))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "fuzz.log")
		os.WriteFile(path, b, 0o644)
		var out bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = Cat(ctx, nil, &out, CatOptions{Paths: []string{path}, Problems: jsonl.NewProblems(io.Discard, "")})
		if out.Len() > 0 && !bytes.HasSuffix(out.Bytes(), []byte("\n")) {
			t.Fatalf("output does not end with a newline")
		}
	})
}
