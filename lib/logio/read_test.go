package logio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/prec-dev/prec/lib/jsonl"
)

// The helpers below build logs as the contract's writer does (units) and as the writer before it
// did (one stream per run), without the package's Writer.

const testRun = 20261201173000

func payload(run, seq uint64, flags byte, content []byte) []byte {
	p := make([]byte, indexLen)
	copy(p, "PREC")
	p[4], p[5] = 1, flags
	binary.LittleEndian.PutUint64(p[8:], run)
	binary.LittleEndian.PutUint64(p[16:], seq)
	binary.LittleEndian.PutUint32(p[24:], uint32(bytes.Count(content, []byte("\n"))))
	binary.LittleEndian.PutUint32(p[28:], uint32(len(content)))
	return p
}

var testEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))

// zunit is a zstd unit: the index frame and one data frame holding records from..to-1.
func zunit(run, seq uint64, flags byte, from, to int) []byte {
	content := []byte(want(from, to))
	u := []byte{0x50, 0x2a, 0x4d, 0x18, indexLen, 0, 0, 0}
	u = append(u, payload(run, seq, flags, content)...)
	return testEnc.EncodeAll(content, u)
}

// gunit is a gzip unit: one member with the index in its extra field.
func gunit(run, seq uint64, flags byte, from, to int) []byte {
	content := []byte(want(from, to))
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Header.Extra = append([]byte{'P', 'R', indexLen, 0}, payload(run, seq, flags, content)...)
	zw.Write(content)
	zw.Close()
	return b.Bytes()
}

// legacy is a log as the old writer wrote it: one stream, flushed every 10 records. cuts are the
// stream's length after each flush.
func legacy(t testing.TB, compress string, from, to int) (data []byte, cuts []int) {
	var b bytes.Buffer
	var w interface {
		io.Writer
		Flush() error
		Close() error
	}
	switch compress {
	case Zstd:
		w, _ = zstd.NewWriter(&b, zstd.WithEncoderConcurrency(1))
	case Gzip:
		w = gzip.NewWriter(&b)
	}
	for i := from; i < to; i++ {
		io.WriteString(w, rec(i)+"\n")
		if i%10 == 9 {
			w.Flush()
			cuts = append(cuts, b.Len())
		}
	}
	w.Close()
	return b.Bytes(), cuts
}

func cat1(t *testing.T, data []byte) (out, errs string, err error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prec.log")
	os.WriteFile(path, data, 0o644)
	out, errs, err = cat(t, CatOptions{Paths: []string{path}})
	for _, m := range strings.SplitAfter(errs, "\n") {
		if m != "" && !strings.HasPrefix(m, path) {
			t.Errorf("message names no file: %q", m)
		}
	}
	return out, strings.ReplaceAll(errs, path, "LOG"), err
}

func cat2(b ...[]byte) []byte { return bytes.Join(b, nil) }

// gzPrefix is what a plain gzip decoder reads of a member cut short: its whole lines.
func gzPrefix(b []byte) string {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	out, _ := io.ReadAll(zr)
	return string(out[:bytes.LastIndexByte(out, '\n')+1])
}

func TestScan(t *testing.T) {
	u1, u2, u3 := zunit(testRun, 1, 0, 0, 30), zunit(testRun, 2, 0, 30, 60), zunit(testRun, 3, 0, 60, 90)
	g1, g2, g3 := gunit(testRun, 1, 0, 0, 30), gunit(testRun, 2, 0, 30, 60), gunit(testRun, 3, 0, 60, 90)
	lz, lzCuts := legacy(t, Zstd, 0, 90)
	lg, lgCuts := legacy(t, Gzip, 0, 90)
	lz2, _ := legacy(t, Zstd, 100, 200)
	lg2, _ := legacy(t, Gzip, 100, 200)
	garbage := make([]byte, 3000)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i] ^= 0x10
		return b
	}
	g2half := gzPrefix(g2[:len(g2)/2])
	var nested bytes.Buffer
	gw := gzip.NewWriter(&nested)
	gw.Write(cat2(u1, u2, u3))
	gw.Close()
	for _, c := range []struct {
		name string
		data []byte
		want string
		msgs []string // one line each, in order ("LOG" is the file's path)
	}{
		{"units", cat2(u1, u2, u3), want(0, 90), nil},
		{"gzip units", cat2(g1, g2, g3), want(0, 90), nil},
		{"legacy zstd", lz, want(0, 90), nil},
		{"legacy gzip", lg, want(0, 90), nil},
		{"plain", []byte(want(0, 90)), want(0, 90), nil},
		{"mixed", cat2([]byte(want(0, 10)), zunit(testRun, 1, 0, 10, 20), gunit(testRun, 2, 0, 20, 30), lz2, []byte(want(200, 210))),
			want(0, 30) + want(100, 210), nil},
		{"nested", nested.Bytes(), want(0, 90), nil},

		{"junk byte before units", cat2([]byte("x"), u1, u2, u3), want(0, 90),
			[]string{"LOG: bytes 0-1 damaged (unreadable bytes): probably no records lost"}},
		{"junk byte before legacy zstd", cat2([]byte{0}, lz), want(0, 90),
			[]string{"LOG: bytes 0-1 damaged (unreadable bytes): probably no records lost"}},
		{"junk byte before gzip units", cat2([]byte{0xff}, g1, g2, g3), want(0, 90),
			[]string{"LOG: bytes 0-1 damaged (unreadable bytes): probably no records lost"}},
		{"junk byte before legacy gzip", cat2([]byte("\n\x01"), lg), want(0, 90),
			[]string{"LOG: bytes 1-2 damaged (unreadable bytes): probably no records lost"}},
		{"junk line before a unit", cat2([]byte("hello\n"), u1), want(0, 30),
			[]string{"LOG:1: bad record: byte 1: not a JSON object"}},
		{"cut line before a unit", cat2([]byte(rec(0)[:10]), u1), want(0, 30),
			[]string{"LOG: bytes 0-10 damaged (line cut short): 1 record lost"}},
		{"garbage between units", cat2(u1, garbage, u2, u3), want(0, 90),
			[]string{fmt.Sprintf("LOG: bytes %d-%d damaged (unreadable bytes): about N records lost", len(u1), len(u1)+len(garbage))}},
		{"garbage between gzip units", cat2(g1, garbage, g2, g3), want(0, 90),
			[]string{fmt.Sprintf("LOG: bytes %d-%d damaged (unreadable bytes): about N records lost", len(g1), len(g1)+len(garbage))}},
		{"garbage in legacy zstd", cat2(lz, garbage, lz2), want(0, 90) + want(100, 200),
			[]string{fmt.Sprintf("LOG: bytes %d-%d damaged (unreadable bytes): about N records lost", len(lz), len(lz)+len(garbage))}},
		{"junk after units", cat2(u1, u2, u3, []byte("\x00junk")), want(0, 90),
			[]string{"LOG: bytes X damaged (unreadable bytes): about 1 record lost"}},

		{"flipped index magic", flip(cat2(u1, u2, u3), 2), want(0, 90),
			[]string{"LOG: bytes 0-4 damaged (index frame magic altered): no records lost"}},
		{"flipped zstd magic", flip(lz, 0), want(0, 90),
			[]string{"LOG: bytes 0-4 damaged (zstd frame magic altered): no records lost"}},
		{"flipped zstd magic byte 3", flip(lz, 3), want(0, 90),
			[]string{"LOG: bytes 0-4 damaged (zstd frame magic altered): no records lost"}},
		{"flipped gzip magic", flip(g1, 1), want(0, 30),
			[]string{"LOG: bytes 0-3 damaged (gzip magic altered): no records lost"}},
		{"flipped legacy gzip magic", flip(lg, 0), want(0, 90),
			[]string{"LOG: bytes 0-3 damaged (gzip magic altered): no records lost"}},

		{"torn unit then units", cat2(u1, u2[:len(u2)/2], u3), want(0, 30) + want(60, 90),
			[]string{"LOG: bytes X damaged (zstd frame cut short): 30 records lost"}},
		{"torn gzip unit then units", cat2(g1, g2[:len(g2)/2], g3), want(0, 30) + g2half + want(60, 90),
			[]string{fmt.Sprintf("LOG: bytes %d-%d damaged (gzip member cut short): %d records lost", len(g1), len(g1)+len(g2)/2, 30-strings.Count(g2half, "\n"))}},
		{"torn index then units", cat2(u1, u2[:20], u3), want(0, 30) + want(60, 90),
			[]string{"LOG: bytes X damaged (zstd unit cut short): records unknown"}},
		{"torn legacy zstd then a new stream", cat2(lz[:(lzCuts[4]+lzCuts[5])/2], lz2), want(0, 50) + want(100, 200),
			[]string{"LOG: bytes X damaged (zstd frame cut short): about N records lost"}},
		{"torn legacy gzip then a new stream", cat2(lg[:lgCuts[4]+7], lg2), gzPrefix(lg[:lgCuts[4]+7]) + want(100, 200),
			[]string{"LOG: bytes X damaged (gzip member cut short): about N records lost"}},
		{"torn unit at the end", cat2(u1, u2, u3[:len(u3)-30]), want(0, 60),
			[]string{"LOG: bytes X damaged (zstd frame cut short): 30 records lost"}},

		{"checksum cut", cat2(u1, u2, u3[:len(u3)-3]), want(0, 90),
			[]string{"LOG: bytes X damaged (zstd checksum cut short): no records lost"}},
		{"legacy checksum cut", lz[:len(lz)-4], want(0, 90),
			[]string{"LOG: bytes X damaged (zstd checksum cut short): no records lost"}},
		{"legacy end block cut", lz[:len(lz)-6], want(0, 90),
			[]string{"LOG: bytes X damaged (zstd frame cut short): probably no records lost"}},

		{"checksum flipped", cat2(u1, flip(u2, len(u2)-2), u3), want(0, 90),
			[]string{"LOG: bytes X damaged (zstd checksum mismatch): records kept, some may be altered"}},
		{"gzip checksum flipped", cat2(g1, flip(g2, len(g2)-6), g3), want(0, 90),
			[]string{"LOG: bytes X damaged (gzip checksum mismatch): records kept, some may be altered"}},
		{"data flipped", cat2(u1, flip(u2, 60), u3), want(0, 30) + want(60, 90),
			[]string{"LOG: bytes X damaged (zstd frame damaged): 30 records lost"}},

		{"replay within a file", cat2(u1, u2, zunit(testRun, 2, indexReplay, 30, 60), u3), want(0, 90), nil},
		{"replay not seen before", cat2(u1, zunit(testRun, 2, indexReplay, 30, 60), u3), want(0, 90), nil},
		{"another run", cat2(u1, zunit(testRun+1, 1, 0, 100, 110)), want(0, 30) + want(100, 110), nil},

		{"plain with a bad line", []byte(want(0, 5) + "garbage\n" + want(5, 10)), want(0, 10),
			[]string{"LOG:6: bad record: byte 1: not a JSON object"}},
		{"plain with a junk line", []byte(want(0, 5) + "\x00\x01\xfe\n" + want(5, 10)), want(0, 10),
			[]string{"LOG: bytes X damaged (unreadable bytes): probably no records lost"}},
		{"plain torn last line", []byte(want(0, 5) + rec(5)[:20]), want(0, 5),
			[]string{"LOG: bytes X damaged (last line cut short): 1 record lost"}},
		{"plain last line without newline", []byte(want(0, 5) + rec(5)), want(0, 6), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, errs, err := cat1(t, c.data)
			if out != c.want {
				t.Errorf("read %d records, want %d:\n%.600s", strings.Count(out, "\n"), strings.Count(c.want, "\n"), out)
			}
			got := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
			if errs == "" {
				got = nil
			}
			if len(got) != len(c.msgs) {
				t.Fatalf("messages:\n%s\nwant %d: %q", errs, len(c.msgs), c.msgs)
			}
			for i, m := range got {
				if !matchMsg(m, c.msgs[i]) {
					t.Errorf("message %q, want %q", m, c.msgs[i])
				}
			}
			if (err != nil) != (len(c.msgs) > 0) {
				t.Errorf("err %v with messages %q", err, errs)
			}
		})
	}
}

// matchMsg compares a message with a pattern where "bytes X" stands for any range and "about N" for
// any estimate.
func matchMsg(m, pat string) bool {
	for _, p := range []struct{ in, re string }{{"bytes X", "bytes "}, {"about N", "about "}} {
		if i := strings.Index(pat, p.in); i >= 0 {
			if !strings.HasPrefix(m, pat[:i]+p.re) {
				return false
			}
			rest := m[i+len(p.re):]
			j := strings.IndexByte(rest, ' ')
			if j < 0 {
				return false
			}
			return matchMsg(rest[j:], pat[i+len(p.in):])
		}
	}
	return m == pat
}

// lockLog takes the lock a live precd holds on path's lock file, and returns its release.
func lockLog(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}

func TestTornTailLive(t *testing.T) {
	u1, u2 := zunit(testRun, 1, 0, 0, 30), zunit(testRun, 2, 0, 30, 60)
	g1, g2 := gunit(testRun, 1, 0, 0, 30), gunit(testRun, 2, 0, 30, 60)
	for _, c := range []struct {
		name   string
		data   []byte
		want   string
		lock   string // "held", "stale" (not locked), "old" (held, but the log is older than the lock), "" none
		report bool
	}{
		{"zstd live", cat2(u1, u2[:len(u2)-10]), want(0, 30), "held", false},
		{"zstd index only, live", cat2(u1, u2[:30]), want(0, 30), "held", false},
		{"gzip live", cat2(g1, g2[:len(g2)-10]), want(0, 30) + gzPrefix(g2[:len(g2)-10]), "held", false},
		{"plain live", []byte(want(0, 30) + rec(30)[:9]), want(0, 30), "held", false},
		{"zstd not locked", cat2(u1, u2[:len(u2)-10]), want(0, 30), "", true},
		{"zstd stale lock", cat2(u1, u2[:len(u2)-10]), want(0, 30), "stale", true},
		{"zstd lock newer than log", cat2(u1, u2[:len(u2)-10]), want(0, 30), "old", true},
		{"plain stale lock", []byte(want(0, 30) + rec(30)[:9]), want(0, 30), "stale", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "prec.log")
			os.WriteFile(path, c.data, 0o640)
			switch c.lock {
			case "held":
				defer lockLog(t, path)()
				old := time.Now().Add(-time.Hour)
				os.Chtimes(path+".lock", old, old)
			case "stale":
				os.WriteFile(path+".lock", []byte("20261201173000\n"), 0o640)
			case "old":
				defer lockLog(t, path)()
				old := time.Now().Add(-time.Hour)
				os.Chtimes(path, old, old)
			}
			if got := Live(path); got != (c.lock == "held") {
				t.Errorf("Live = %v", got)
			}
			out, errs, err := cat(t, CatOptions{Paths: []string{path}})
			if out != c.want {
				t.Errorf("read %d records, want %d", strings.Count(out, "\n"), strings.Count(c.want, "\n"))
			}
			if c.report != (strings.Count(errs, "\n") == 1) || c.report != (err != nil) {
				t.Errorf("err %v, messages %q; want reported: %v", err, errs, c.report)
			}
			if c.report && !strings.Contains(errs, path+": bytes ") {
				t.Errorf("messages %q", errs)
			}
		})
	}
	// a rotated file's lock is the log's
	dir := t.TempDir()
	for _, n := range []string{"prec.log.1", "prec.log.2.gz", "prec.log-20261201.zst"} {
		p := filepath.Join(dir, n)
		os.WriteFile(p, cat2(u1, u2[:len(u2)-10]), 0o640)
		if Live(p) {
			t.Errorf("%s: live without a lock", n)
		}
		release := lockLog(t, filepath.Join(dir, "prec.log"))
		old := time.Now().Add(-time.Hour)
		os.Chtimes(filepath.Join(dir, "prec.log.lock"), old, old)
		if !Live(p) {
			t.Errorf("%s: not live with prec.log.lock held", n)
		}
		release()
	}
}

func TestDedupeAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prec.log")
	// copytruncate: the copy ends with unit 3; precd replays it at the head of the truncated file
	os.WriteFile(path+".1", cat2(zunit(testRun, 1, 0, 0, 30), zunit(testRun, 2, 0, 30, 60), zunit(testRun, 3, 0, 60, 90)), 0o640)
	os.WriteFile(path, cat2(zunit(testRun, 3, indexReplay, 60, 90), zunit(testRun, 4, 0, 90, 120)), 0o640)
	out, errs, err := cat(t, CatOptions{Paths: []string{path}, All: true})
	if out != want(0, 120) || errs != "" || err != nil {
		t.Errorf("read %d records (want 120), err %v, messages %q", strings.Count(out, "\n"), err, errs)
	}
	// gzip units, and the replay read alone is read
	os.WriteFile(path+".1", cat2(gunit(testRun, 1, 0, 0, 30), gunit(testRun, 2, 0, 30, 60)), 0o640)
	os.WriteFile(path, cat2(gunit(testRun, 2, indexReplay, 30, 60), gunit(testRun, 3, 0, 60, 90)), 0o640)
	out, _, _ = cat(t, CatOptions{Paths: []string{path}, All: true})
	if out != want(0, 90) {
		t.Errorf("gzip: read %d records, want 90", strings.Count(out, "\n"))
	}
	out, _, _ = cat(t, CatOptions{Paths: []string{path}})
	if out != want(30, 90) {
		t.Errorf("the new file alone: read %d records, want 60", strings.Count(out, "\n"))
	}
}

// failWriter fails every write after the first n bytes with err.
type failWriter struct {
	n   int
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorIsNotDamage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prec.log")
	lz, _ := legacy(t, Zstd, 0, 90)
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(cat2(zunit(testRun, 1, 0, 0, 30), zunit(testRun, 2, 0, 30, 60)))
	gw.Close()
	os.WriteFile(path+".2.gz", gz.Bytes(), 0o640)
	os.WriteFile(path+".1", lz, 0o640)
	os.WriteFile(path, cat2(gunit(testRun, 3, 0, 60, 90), []byte(want(90, 100))), 0o640)
	for _, werr := range []error{io.ErrClosedPipe, syscall.EPIPE, errors.New("disk on fire")} {
		for _, n := range []int{0, 100, 3000, 6000} {
			var errs bytes.Buffer
			p := jsonl.NewProblems(&errs, "")
			err := Cat(context.Background(), nil, &failWriter{n: n, err: werr}, CatOptions{Paths: []string{path}, All: true, Problems: p})
			if err != werr || errs.Len() > 0 {
				t.Errorf("%v after %d bytes: Cat returned %v, messages %q", werr, n, err, errs.String())
			}
		}
	}
}

func TestFollowCopytruncateUnits(t *testing.T) {
	for _, unit := range []func(run, seq uint64, flags byte, from, to int) []byte{zunit, gunit} {
		dir := t.TempDir()
		path := filepath.Join(dir, "prec.log")
		os.WriteFile(path, cat2(unit(testRun, 1, 0, 0, 10), unit(testRun, 2, 0, 10, 20)), 0o640)
		ctx, cancel := context.WithCancel(context.Background())
		var out syncBuf
		var errs syncBuf
		done := make(chan error, 1)
		go func() {
			done <- Cat(ctx, nil, &out, CatOptions{Paths: []string{path}, Follow: true, Last: -1, Poll: 20 * time.Millisecond,
				Problems: jsonl.NewProblems(&errs, "")})
		}()
		waitFor(t, &out, want(0, 20))
		// logrotate copytruncate: copy, truncate; precd notices and replays its last unit
		data, _ := os.ReadFile(path)
		os.WriteFile(path+".1", data, 0o640)
		os.Truncate(path, 0)
		time.Sleep(100 * time.Millisecond)
		f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		f.Write(unit(testRun, 2, indexReplay, 10, 20))
		f.Write(unit(testRun, 3, 0, 20, 30))
		f.Close()
		waitFor(t, &out, want(0, 30))
		time.Sleep(100 * time.Millisecond)
		cancel()
		if err := <-done; err != nil || errs.String() != "" || out.String() != want(0, 30) {
			t.Errorf("follow: %v, messages %q, %d records", err, errs.String(), strings.Count(out.String(), "\n"))
		}
	}
}

// zPrefix is what a plain zstd decoder reads of a frame cut short: its whole lines.
func zPrefix(b []byte) string {
	zr, _ := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1))
	defer zr.Close()
	out, _ := io.ReadAll(zr)
	return string(out[:bytes.LastIndexByte(out, '\n')+1])
}

func TestTornBigUnit(t *testing.T) {
	// A unit of several blocks cut in its second: the first block's records are read, and the
	// index says exactly how many were lost.
	u1, big, u3 := zunit(testRun, 1, 0, 0, 10), zunit(testRun, 2, 0, 10, 3010), zunit(testRun, 3, 0, 3010, 3020)
	var cut []byte
	var got string
	var n int
	for f := 0.5; f < 1 && (n == 0 || n == 3000); f += 0.05 { // somewhere in the last block
		cut = big[:int(float64(len(big))*f)]
		got = zPrefix(cut[40:])
		n = strings.Count(got, "\n")
	}
	if n == 0 || n >= 3000 {
		t.Fatalf("the test needs a unit of several blocks: %d of 3000 records before the cut", n)
	}
	out, errs, err := cat1(t, cat2(u1, cut, u3))
	if out != want(0, 10)+got+want(3010, 3020) {
		t.Errorf("read %d records, want %d", strings.Count(out, "\n"), 20+n)
	}
	msg := fmt.Sprintf("LOG: bytes X damaged (zstd frame cut short): %d records lost\n", 3000-n)
	if !matchMsg(strings.TrimSuffix(errs, "\n"), strings.TrimSuffix(msg, "\n")) || err == nil {
		t.Errorf("messages %q, want %q", errs, msg)
	}
}

func TestNestedDamage(t *testing.T) {
	// logrotate gzipped a zstd log whose middle unit was torn by a crash
	u1, u2, u3 := zunit(testRun, 1, 0, 0, 30), zunit(testRun, 2, 0, 30, 60), zunit(testRun, 3, 0, 60, 90)
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(cat2(u1, u2[:len(u2)-20], u3))
	gw.Close()
	out, errs, err := cat1(t, gz.Bytes())
	if out != want(0, 30)+want(60, 90) {
		t.Errorf("read %d records, want 60", strings.Count(out, "\n"))
	}
	if !matchMsg(strings.TrimSuffix(errs, "\n"), "LOG (decompressed): bytes X damaged (zstd frame cut short): 30 records lost") || err == nil {
		t.Errorf("messages %q", errs)
	}
	// and from standard input
	var o, e bytes.Buffer
	err = Cat(context.Background(), bytes.NewReader(cat2([]byte("x"), u1, u2)), &o, CatOptions{Problems: jsonl.NewProblems(&e, "")})
	if o.String() != want(0, 60) || e.String() != "-: bytes 0-1 damaged (unreadable bytes): probably no records lost\n" || err == nil {
		t.Errorf("stdin: %d records, messages %q, err %v", strings.Count(o.String(), "\n"), e.String(), err)
	}
}

func TestFollowTornThenNew(t *testing.T) {
	// precd killed mid-write, a new precd appends: prec -F shows the new run's records at once
	for _, name := range []string{"zstd", "gzip"} {
		unit := zunit
		if name == "gzip" {
			unit = gunit
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "prec.log")
		u2 := unit(testRun, 2, 0, 10, 3010)
		os.WriteFile(path, cat2(unit(testRun, 1, 0, 0, 10), u2[:len(u2)*9/10]), 0o640)
		ctx, cancel := context.WithCancel(context.Background())
		var out, errs syncBuf
		done := make(chan error, 1)
		go func() {
			done <- Cat(ctx, nil, &out, CatOptions{Paths: []string{path}, Follow: true, Last: -1, Poll: 20 * time.Millisecond,
				Problems: jsonl.NewProblems(&errs, "")})
		}()
		head := want(0, 10) + zPrefix(u2[40:len(u2)*9/10])
		if name == "gzip" {
			head = want(0, 10) + gzPrefix(u2[:len(u2)*9/10])
		}
		for deadline := time.Now().Add(5 * time.Second); !strings.HasPrefix(out.String(), want(0, 10)); {
			if time.Now().After(deadline) {
				t.Fatalf("%s: nothing read", name)
			}
			time.Sleep(20 * time.Millisecond)
		}
		f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		f.Write(unit(testRun+1, 1, 0, 5000, 5010))
		f.Close()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.HasSuffix(out.String(), want(5000, 5010)) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		<-done
		if got := out.String(); got != head+want(5000, 5010) {
			t.Errorf("%s: read %d records:\n%.300s", name, strings.Count(got, "\n"), got)
		}
		if !strings.Contains(errs.String(), path+": bytes ") || strings.Count(errs.String(), "\n") != 1 {
			t.Errorf("%s: messages %q", name, errs.String())
		}
	}
}

func TestLayers(t *testing.T) {
	wrap := func(b []byte, n int) []byte {
		for range n {
			var g bytes.Buffer
			gw := gzip.NewWriter(&g)
			gw.Write(b)
			gw.Close()
			b = g.Bytes()
		}
		return b
	}
	log := cat2(zunit(testRun, 1, 0, 0, 30), zunit(testRun, 2, 0, 30, 60))
	out, errs, err := cat1(t, wrap(log, 3)) // 4 layers
	if out != want(0, 60) || errs != "" || err != nil {
		t.Errorf("4 layers: %d records, messages %q, err %v", strings.Count(out, "\n"), errs, err)
	}
	out, errs, err = cat1(t, wrap(log, 4))
	if out != "" || errs != "LOG (decompressed 3 times): more than 4 layers of compression: the rest is skipped\n" || err == nil {
		t.Errorf("5 layers: %d records, messages %q, err %v", strings.Count(out, "\n"), errs, err)
	}
}
