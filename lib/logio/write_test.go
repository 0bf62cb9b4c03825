package logio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// benchRecords returns n records shaped like precd's (start records with their ends), ~330 bytes
// on average, as tests/bench/gen writes them.
func benchRecords(n int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	cmds := []string{`"/usr/bin/ls","-la","/home/user/src"`, `"/usr/bin/git","status","--short"`,
		`"/usr/bin/grep","-rn","TODO","."`, `"/usr/bin/make","-j4","all"`, `"/usr/bin/cc","-O2","-c","main.c","-o","main.o"`,
		`"/usr/bin/ssh","build@10.0.0.7","uptime"`, `"/usr/bin/python3","-m","pytest","-q","tests/"`, `"/usr/sbin/cron","-f"`}
	t0 := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	out := make([][]byte, 0, n)
	for i := 0; len(out) < n; i++ {
		ts := t0.Add(time.Duration(i) * 731 * time.Microsecond).Format(time.RFC3339Nano)
		pid, uid := 1000+r.IntN(60000), []int{0, 1000, 1001, 1002}[r.IntN(4)]
		c := cmds[r.IntN(len(cmds))]
		out = append(out, fmt.Appendf(nil, `{"timestamp":%q,"event_id":"20261122130000-%d","uid":%d,"gid":%d,"auid":%d,"session_id":%d,"user":"u%d","group":"u%d","pid":%d,"ppid":%d,"comm":"x","exe":"/usr/bin/x","cwd":"/home/user/src","argv":[%s],"argc":3,"tty":"pts/%d","tty_nr":%d,"source":"user","record_type":"start","parent_comm":"bash","parent_exe":"/usr/bin/bash","process_key":"%d@%d","parent_key":"%d@%d"}`+"\n",
			ts, i+1, uid, uid, uid, r.IntN(50), uid, uid, pid, pid-1, c, r.IntN(5), 34816+r.IntN(5), pid, r.Int64N(1e12), pid-1, r.Int64N(1e12)))
		out = append(out, fmt.Appendf(nil, `{"timestamp":%q,"event_id":"20261122130000-%d","pid":%d,"source":"user","record_type":"end","exit_status":%d,"duration_ns":%d}`+"\n",
			ts, i+1, pid, []int{0, 0, 0, 1, 2}[r.IntN(5)], r.Int64N(1e9)))
	}
	return out[:n]
}

// BenchmarkWriter writes 100,000 realistic records, flushing every 1,000 as a busy precd does, and
// reports the compression ratio and bytes per record.
func BenchmarkWriter(b *testing.B) {
	recs := benchRecords(100000)
	var raw int64
	for _, r := range recs {
		raw += int64(len(r))
	}
	for _, c := range []string{Zstd, Gzip, Plain} {
		b.Run(c, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "prec.log")
			var size int64
			b.SetBytes(raw)
			for b.Loop() {
				os.Remove(path)
				w, err := Create(path, c, DefaultLevel(c))
				if err != nil {
					b.Fatal(err)
				}
				for i, r := range recs {
					w.Write(r)
					if i%1000 == 999 {
						if err := w.Flush(); err != nil {
							b.Fatal(err)
						}
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				st, _ := os.Stat(path)
				size = st.Size()
			}
			b.ReportMetric(float64(raw)/float64(size), "ratio")
			b.ReportMetric(float64(size)/float64(len(recs)), "B/record")
		})
	}
}

type indexEntry struct {
	flags      byte
	run, seq   uint64
	lines, raw uint32
}

// units walks a zstd log written by Writer and returns the index of each unit, checking that each
// index frame is followed by one data frame holding what the index says.
func units(t *testing.T, path string) []indexEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := zstd.NewReader(nil)
	defer dec.Close()
	var out []indexEntry
	for len(b) > 0 {
		if len(b) < skippableHead+indexLen || !bytes.Equal(b[:4], skippableMagic) || binary.LittleEndian.Uint32(b[4:]) != indexLen {
			t.Fatalf("no index frame at byte %d of %s", len(b), path)
		}
		p := b[skippableHead : skippableHead+indexLen]
		if string(p[:4]) != "PREC" || p[4] != 1 {
			t.Fatalf("bad index payload %x", p)
		}
		e := indexEntry{flags: p[5], run: binary.LittleEndian.Uint64(p[8:]), seq: binary.LittleEndian.Uint64(p[16:]),
			lines: binary.LittleEndian.Uint32(p[24:]), raw: binary.LittleEndian.Uint32(p[28:])}
		b = b[skippableHead+indexLen:]
		var h zstd.Header
		if err := h.Decode(b); err != nil || !h.HasFCS || h.FrameContentSize != uint64(e.raw) || !h.HasCheckSum {
			t.Fatalf("data frame header %+v (%v), index %+v", h, err, e)
		}
		i := bytes.Index(b[4:], zstdMagic) // no later frame: the test's records hold no magic
		j := bytes.Index(b[4:], skippableMagic)
		end := len(b)
		if j >= 0 {
			end = j + 4
		}
		if i >= 0 && i+4 < end {
			t.Fatalf("two data frames after one index")
		}
		data, err := dec.DecodeAll(b[:end], nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != int(e.raw) || bytes.Count(data, []byte{'\n'}) != int(e.lines) {
			t.Fatalf("unit holds %d bytes, %d lines; index %+v", len(data), bytes.Count(data, []byte{'\n'}), e)
		}
		out = append(out, e)
		b = b[end:]
	}
	return out
}

func TestWriterUnits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	w, err := NewWriter(Zstd, 3, 20261201173000)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	w.SetFile(f)
	recs := benchRecords(30000) // ~9 MB: the second flush is three units
	for _, r := range recs[:10] {
		w.Write(r)
	}
	w.Flush()
	w.Flush() // nothing new: no unit
	for _, r := range recs[10:] {
		w.Write(r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := units(t, path)
	if len(got) != 4 {
		t.Fatalf("%d units, want 4: %+v", len(got), got)
	}
	var lines uint32
	for i, e := range got {
		if e.run != 20261201173000 || e.seq != uint64(i+1) || e.flags != 0 || e.raw > UnitBytes {
			t.Errorf("unit %d: %+v", i, e)
		}
		lines += e.lines
	}
	if lines != 30000 || got[0].lines != 10 {
		t.Errorf("units hold %d lines (first %d), want 30000 (10)", lines, got[0].lines)
	}
	// Today's reader reads it whole.
	out, errs, err := cat(t, CatOptions{Paths: []string{path}})
	if err != nil || errs != "" || out != string(bytes.Join(recs, nil)) {
		t.Errorf("cat: %v %s; %d bytes, want %d", err, errs, len(out), len(bytes.Join(recs, nil)))
	}
}

func TestWriterGzipIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	w, _ := NewWriter(Gzip, DefaultLevel(Gzip), 7)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	w.SetFile(f)
	recs := benchRecords(20)
	for i, r := range recs {
		w.Write(r)
		if i%10 == 9 {
			w.Flush()
		}
	}
	w.Close()
	raw, _ := os.ReadFile(path)
	br := bytes.NewReader(raw)
	zr := new(gzip.Reader)
	for seq := uint64(1); seq <= 2; seq++ {
		if err := zr.Reset(br); err != nil {
			t.Fatalf("member %d: %v", seq, err)
		}
		zr.Multistream(false)
		x := zr.Header.Extra
		if len(x) != 4+indexLen || string(x[:4]) != "PR\x20\x00" || string(x[4:8]) != "PREC" ||
			binary.LittleEndian.Uint64(x[12:]) != 7 || binary.LittleEndian.Uint64(x[20:]) != seq || binary.LittleEndian.Uint32(x[28:]) != 10 {
			t.Errorf("member %d extra %x", seq, x)
		}
		if !bytes.Equal(raw[gzipIndexAt-4:gzipIndexAt], x[:4]) {
			t.Errorf("the index is not at byte %d of the member", gzipIndexAt)
		}
		io.Copy(io.Discard, zr)
	}
	if br.Len() != 0 {
		t.Errorf("%d bytes after two members", br.Len())
	}
	out, errs, err := cat(t, CatOptions{Paths: []string{path}})
	if err != nil || errs != "" || out != string(bytes.Join(recs, nil)) {
		t.Errorf("cat: %v %s %q", err, errs, out)
	}
}

// TestWriterHoldsOnFailure: a write that fails (ENOSPC from /dev/full) keeps the units in memory, in
// order, and a later Flush writes them to the next file.
func TestWriterHoldsOnFailure(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	w, _ := NewWriter(Zstd, 3, 1)
	w.SetFile(full)
	recs := benchRecords(300)
	for i, r := range recs {
		w.Write(r)
		if i%100 == 99 {
			if err := w.Flush(); !errors.Is(err, unix.ENOSPC) {
				t.Fatalf("flush to /dev/full: %v", err)
			}
		}
	}
	if !w.Pending() || w.Held() == 0 {
		t.Fatalf("nothing held after failed writes")
	}
	path := filepath.Join(t.TempDir(), "prec.log")
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	w.SetFile(f)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if w.Pending() || w.Held() != 0 {
		t.Errorf("held %d after a good flush", w.Held())
	}
	w.Close()
	// The first failed flush sealed one unit; the rest waited in the unit being built.
	if u := units(t, path); len(u) != 2 || u[0].lines != 100 || u[1].lines != 200 {
		t.Errorf("units %+v", u)
	}
	out, errs, err := cat(t, CatOptions{Paths: []string{path}})
	if err != nil || errs != "" || out != string(bytes.Join(recs, nil)) {
		t.Errorf("cat: %v %s", err, errs)
	}
}

// TestWriterCopytruncate: a file truncated under the writer gets the latest flush's units again,
// flagged REPLAY, before the new ones.
func TestWriterCopytruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	w, _ := NewWriter(Zstd, 3, 5)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	w.SetFile(f)
	var truncated []int64
	w.Truncated = func(size, end int64) { truncated = append(truncated, size, end) }
	recs := benchRecords(30)
	for i, r := range recs {
		w.Write(r)
		if i%10 == 9 {
			w.Flush()
		}
		if i == 19 {
			os.Truncate(path, 0)
		}
	}
	w.Close()
	u := units(t, path)
	if len(u) != 2 || u[0].seq != 2 || u[0].flags != indexReplay || u[1].seq != 3 || u[1].flags != 0 {
		t.Errorf("units after copytruncate: %+v", u)
	}
	if len(truncated) != 2 || truncated[0] != 0 || truncated[1] == 0 {
		t.Errorf("Truncated called with %v", truncated)
	}
}

// TestWriterShortWrite: a write cut short (here by RLIMIT_FSIZE, as ENOSPC cuts it on a full file
// system) leaves nothing of the unit in the file; the unit is written whole once the file can grow.
func TestWriterShortWrite(t *testing.T) {
	signal.Ignore(syscall.SIGXFSZ)
	defer signal.Reset(syscall.SIGXFSZ)
	var old unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_FSIZE, &old)
	defer unix.Setrlimit(unix.RLIMIT_FSIZE, &old)

	path := filepath.Join(t.TempDir(), "prec.log")
	w, _ := NewWriter(Zstd, 3, 9)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	w.SetFile(f)
	recs := benchRecords(2000)
	for _, r := range recs[:1000] {
		w.Write(r)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	good := st.Size()
	limit := unix.Rlimit{Cur: uint64(good) + 100, Max: old.Max} // room for 100 bytes of the next unit
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &limit); err != nil {
		t.Skip("setrlimit:", err)
	}
	for _, r := range recs[1000:] {
		w.Write(r)
	}
	if err := w.Flush(); !errors.Is(err, unix.EFBIG) {
		t.Fatalf("flush past the size limit: %v", err)
	}
	if st, _ := os.Stat(path); st.Size() != good {
		t.Fatalf("file is %d bytes after a short write, want %d (truncated back)", st.Size(), good)
	}
	unix.Setrlimit(unix.RLIMIT_FSIZE, &old)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if u := units(t, path); len(u) != 2 || u[1].lines != 1000 {
		t.Errorf("units %+v", u)
	}
	out, errs, err := cat(t, CatOptions{Paths: []string{path}})
	if err != nil || errs != "" || out != string(bytes.Join(recs, nil)) {
		t.Errorf("cat: %v %s", err, errs)
	}
}

// TestWriterPlainAfterTornLine: a plain log that ends inside a line (a crash mid-write) gets a
// newline before the next record, which stays whole.
func TestWriterPlainAfterTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	os.WriteFile(path, []byte("{\"a\":1}\n{\"torn\":"), 0o640)
	w, _ := NewWriter(Plain, 0, 1)
	f, _ := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	w.SetFile(f)
	w.Write([]byte("{\"b\":2}\n"))
	w.Close()
	if b, _ := os.ReadFile(path); string(b) != "{\"a\":1}\n{\"torn\":\n{\"b\":2}\n" {
		t.Errorf("log holds %q", b)
	}
}

// TestWriterCopytruncateGzip: the replayed member carries the REPLAY flag in its header's index.
func TestWriterCopytruncateGzip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prec.log")
	w, _ := NewWriter(Gzip, DefaultLevel(Gzip), 5)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	w.SetFile(f)
	recs := benchRecords(30)
	for i, r := range recs {
		w.Write(r)
		if i%10 == 9 {
			w.Flush()
		}
		if i == 19 {
			os.Truncate(path, 0)
		}
	}
	w.Close()
	raw, _ := os.ReadFile(path)
	br := bytes.NewReader(raw)
	zr := new(gzip.Reader)
	var got []string
	for br.Len() > 0 {
		if err := zr.Reset(br); err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		x := zr.Header.Extra
		got = append(got, fmt.Sprintf("seq %d flags %d", binary.LittleEndian.Uint64(x[20:]), x[9]))
		io.Copy(io.Discard, zr)
	}
	if want := []string{"seq 2 flags 1", "seq 3 flags 0"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("members %v, want %v", got, want)
	}
}
