package logio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// UnitBytes is how much uncompressed data one unit (zstd frame, gzip member, plain write) holds at
// most: a damaged region costs a reader at most this much, and a bigger window buys little more
// compression.
const UnitBytes = 4 << 20

// Writer appends records to a log as a sequence of self-contained units, one (or more, past
// UnitBytes) per Flush: an index frame and one complete zstd frame, a gzip member with the index in
// its header, or plain lines. A unit is built in memory and written with one write(2) to a file
// opened O_APPEND, so a crash tears at most the unit being written. A unit that cannot be written
// (no space, read-only file system, no file) stays in memory, in order, and Flush tries it again.
// Not safe for concurrent use.
type Writer struct {
	compress string
	level    int
	runID    uint64
	seq      uint64

	zw   *zstd.Encoder
	gw   *gzip.Writer
	gbuf bytes.Buffer

	cur      []byte // records of the unit being built
	curLines int
	unitMax  int // uncompressed bytes a unit holds at most

	queue   []*unit // sealed, not written yet (replays first)
	held    int     // bytes in queue
	last    []*unit // written by the latest Flush: what a copytruncate may have lost
	flushed bool    // last holds this Flush's units already
	free    [][]byte

	f       *os.File
	path    string // Create's path, for Reopen
	end     int64  // where our last unit ended in f; -1: nothing written to f yet
	tornAt  int64  // where a unit cut short began, when ftruncate failed; -1 if none
	newline bool   // plain: the file ends inside a line
	born    time.Time

	rotSize   int64
	rotAge    time.Duration
	rotate    func() (*os.File, error)
	rotFailed bool // until the next Flush

	// Truncated, when set, is called when the file turns out to be shorter than what was written
	// to it (copytruncate): size is its size, end where the last unit ended. The units of the
	// latest Flush are then written again, flagged REPLAY.
	Truncated func(size, end int64)
}

type unit struct {
	b      []byte
	replay bool
}

// NewWriter returns a writer with no file (see SetFile): units compressed as compress (Plain, Gzip or
// Zstd) at level, their indexes carrying runID.
func NewWriter(compress string, level int, runID uint64) (*Writer, error) {
	if err := CheckLevel(compress, level); err != nil {
		return nil, err
	}
	w := &Writer{compress: compress, level: level, runID: runID, end: -1, tornAt: -1, unitMax: UnitBytes}
	switch compress {
	case Zstd:
		zw, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
			zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(true))
		if err != nil {
			return nil, err
		}
		w.zw = zw
	case Gzip:
		gw, err := gzip.NewWriterLevel(&w.gbuf, level)
		if err != nil {
			return nil, err
		}
		w.gw = gw
	}
	return w, nil
}

// DefaultLevel is the compression level used when none is configured.
func DefaultLevel(compress string) int {
	switch compress {
	case Zstd:
		return 3
	case Gzip:
		return gzip.DefaultCompression
	}
	return 0
}

// CheckLevel says whether level is valid for compress.
func CheckLevel(compress string, level int) error {
	switch compress {
	case Zstd:
		if level < 1 || level > 22 {
			return fmt.Errorf("invalid compress_level for compress=zstd: %d (allowed: 1..22)", level)
		}
	case Gzip:
		if level < -3 || level > 9 {
			return fmt.Errorf("invalid compress_level for compress=gz: %d (allowed: -3..9)", level)
		}
	}
	return nil
}

// Create opens path for appending (creating it, mode 0640, and its directory, 0750), compressed as
// compress at level: the writer of tools and tests. precd opens its files itself (NewWriter, SetFile).
// Its units carry a random run id: readers take units with the run id and sequence of one they have
// read already for a copytruncate's replay, so two writers must not share one.
func Create(path, compress string, level int) (*Writer, error) {
	w, err := NewWriter(compress, level, rand.Uint64())
	if err != nil {
		return nil, err
	}
	w.path = path
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	if err := os.MkdirAll(filepath.Dir(w.path), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o640); err != nil {
		f.Close()
		return err
	}
	w.SetFile(f)
	return nil
}

// SetFile makes f, opened O_APPEND, the file units go to, and closes the previous one. Units not
// written yet go to f. A nil f keeps them in memory.
func (w *Writer) SetFile(f *os.File) {
	if w.f != nil {
		same := f != nil && sameFile(w.f, f)
		w.f.Close()
		if same { // SIGHUP without a rotation, or after a copytruncate: a truncation is still noticed
			w.f = f
			return
		}
	}
	w.f, w.end, w.tornAt = f, -1, -1
	w.born = born(f)
	w.recycle(w.last)
	w.last = nil
	w.newline = w.compress == Plain && f != nil && !endsLine(f)
}

// endsLine says whether f is empty or ends with a newline: a plain log cut in the middle of a line
// (a crash) gets one before our first line, which would otherwise be glued to the torn one.
func endsLine(f *os.File) bool {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return true
	}
	var b [1]byte
	_, err = f.ReadAt(b[:], st.Size()-1)
	return err != nil || b[0] == '\n'
}

// born is when f was created, as far as the file system says (statx's btime), or else now.
func born(f *os.File) time.Time {
	var st unix.Statx_t
	if f == nil || unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH, unix.STATX_BTIME, &st) != nil || st.Mask&unix.STATX_BTIME == 0 {
		return time.Now()
	}
	return time.Unix(st.Btime.Sec, int64(st.Btime.Nsec))
}

func sameFile(a, b *os.File) bool {
	var sa, sb unix.Stat_t
	return unix.Fstat(int(a.Fd()), &sa) == nil && unix.Fstat(int(b.Fd()), &sb) == nil && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// SetRotation makes the writer call rotate between units: before a unit that would take the file
// past size bytes, or once the file was created age ago or more (0: no such limit); a file holding
// nothing takes any unit. rotate renames the file away and returns the one to append to from then
// on; the writer closes the old one. Before rotate the file is synced (a failure is Flush's error,
// and the unit stays in memory); when rotate fails, units go on to the current file and the next
// Flush tries again. With a size, a unit holds at most a quarter of it uncompressed (a sixteenth in
// plain logs): a file stops within one unit of size.
func (w *Writer) SetRotation(size int64, age time.Duration, rotate func() (*os.File, error)) {
	w.rotSize, w.rotAge, w.rotate = size, age, rotate
	w.unitMax = UnitBytes
	if size > 0 {
		n := size / 4
		if w.compress == Plain {
			n = size / 16
		}
		w.unitMax = int(min(max(n, 4<<10), UnitBytes))
	}
}

func (w *Writer) rotateDue(size int64, n int) bool {
	if w.rotate == nil || w.rotFailed || size == 0 {
		return false
	}
	if w.newline {
		n++
	}
	return w.rotSize > 0 && size+int64(n) > w.rotSize || w.rotAge > 0 && time.Since(w.born) >= w.rotAge
}

// rotateNow syncs the file, whose last unit is complete, and has rotate move it away.
func (w *Writer) rotateNow() error {
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync before rotating: %w", err)
	}
	f, err := w.rotate()
	if err != nil || f == nil {
		w.rotFailed = true
		return nil
	}
	w.SetFile(f)
	return nil
}

// File returns the file units go to, or nil.
func (w *Writer) File() *os.File { return w.f }

// Write adds one record to the unit being built; line must end with a newline. It fails only for a
// record bigger than a unit.
func (w *Writer) Write(line []byte) error {
	if len(line) > UnitBytes {
		return fmt.Errorf("record of %d bytes (at most %d)", len(line), UnitBytes)
	}
	if len(w.cur)+len(line) > w.unitMax {
		w.seal()
	}
	w.cur = append(w.cur, line...)
	w.curLines++
	return nil
}

// Held returns how many bytes of records are in memory: units not written yet and the unit being
// built.
func (w *Writer) Held() int { return w.held + len(w.cur) }

// Pending says whether units wait for a write that failed.
func (w *Writer) Pending() bool { return len(w.queue) > 0 }

// Flush ends the unit being built and writes every unit in memory, oldest first. When a write
// fails it returns the error and keeps the unit that failed and those after it for the next Flush;
// the file holds no part of a unit that failed (it is truncated back where ftruncate can).
func (w *Writer) Flush() error {
	w.flushed, w.rotFailed = false, false
	if err := w.drain(); err != nil {
		return err // the unit being built joins the queue when it is full, or on a later Flush
	}
	if len(w.cur) > 0 {
		w.seal()
	}
	return w.drain()
}

func (w *Writer) drain() error {
	for len(w.queue) > 0 {
		size, err := w.check()
		if err != nil {
			return err
		}
		u := w.queue[0]
		if w.rotateDue(size, len(u.b)) {
			if err := w.rotateNow(); err != nil {
				return err
			}
		}
		if err := w.put(u); err != nil {
			return err
		}
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.held -= len(u.b)
		if u.replay {
			w.recycle([]*unit{u})
			continue
		}
		if !w.flushed {
			w.recycle(w.last)
			w.last, w.flushed = w.last[:0], true
		}
		w.last = append(w.last, u)
	}
	return nil
}

// check runs before each write: it finishes a truncation that failed before, and notices a file
// truncated under us (copytruncate), which queues the latest Flush's units again. It returns the
// file's size.
func (w *Writer) check() (int64, error) {
	if w.f == nil {
		return 0, errors.New("no log file open")
	}
	fd := int(w.f.Fd())
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	if w.tornAt >= 0 {
		if st.Size > w.tornAt {
			if err := unix.Ftruncate(fd, w.tornAt); err != nil {
				return 0, err
			}
			st.Size = w.tornAt
		}
		w.tornAt = -1
	}
	if w.end >= 0 && st.Size < w.end {
		if w.Truncated != nil {
			w.Truncated(st.Size, w.end)
		}
		w.end = -1
		if w.compress != Plain { // plain lines carry no index: a replay would show them twice
			w.replayLast()
		}
	}
	return st.Size, nil
}

// put writes u with one write(2); when that fails, the file is truncated back to where u began.
func (w *Writer) put(u *unit) error {
	fd := int(w.f.Fd())
	if w.newline {
		u.b = append([]byte{'\n'}, u.b...)
		w.held++
		w.newline = false
	}
	n, err := unix.Write(fd, u.b)
	if err == nil && n == len(u.b) {
		w.end, err = unix.Seek(fd, 0, io.SeekCurrent)
		return err
	}
	if n < 0 {
		n = 0
	}
	if err == nil {
		// A short write: the next one says why (ENOSPC, EIO), or completes the unit.
		m, err2 := unix.Write(fd, u.b[n:])
		if err2 == nil && m == len(u.b)-n {
			w.end, err = unix.Seek(fd, 0, io.SeekCurrent)
			return err
		}
		if m > 0 {
			n += m
		}
		err = err2
		if err == nil {
			err = fmt.Errorf("short write: %d of %d bytes", n, len(u.b))
		}
	}
	if n > 0 {
		pos, serr := unix.Seek(fd, 0, io.SeekCurrent)
		if serr == nil {
			if unix.Ftruncate(fd, pos-int64(n)) != nil {
				w.tornAt = pos - int64(n)
			}
		}
	}
	return err
}

// replayLast puts the units of the latest Flush, flagged REPLAY, before the queue.
func (w *Writer) replayLast() {
	if len(w.last) == 0 {
		return
	}
	q := make([]*unit, 0, len(w.last)+len(w.queue))
	for _, u := range w.last {
		u.replay = true
		switch w.compress {
		case Zstd:
			u.b[skippableHead+5] |= indexReplay
		case Gzip:
			u.b[gzipIndexAt+5] |= indexReplay
		}
		q = append(q, u)
		w.held += len(u.b)
	}
	w.queue = append(q, w.queue...)
	w.last = nil
}

// seal compresses the unit being built into the queue.
func (w *Writer) seal() {
	if len(w.cur) == 0 {
		return
	}
	w.seq++
	var b []byte
	if n := len(w.free); n > 0 {
		b, w.free = w.free[n-1][:0], w.free[:n-1]
	}
	switch w.compress {
	case Zstd:
		b = append(b, skippableMagic...)
		b = binary.LittleEndian.AppendUint32(b, indexLen)
		b = w.appendIndex(b)
		b = w.zw.EncodeAll(w.cur, b)
	case Gzip:
		w.gbuf.Reset()
		w.gw.Reset(&w.gbuf)
		w.gw.Header.Extra = w.appendIndex([]byte{'P', 'R', indexLen, 0})
		w.gw.Write(w.cur) // into memory: no error
		w.gw.Close()
		b = append(b, w.gbuf.Bytes()...)
	default:
		b = append(b, w.cur...)
	}
	w.queue = append(w.queue, &unit{b: b})
	w.held += len(b)
	w.cur, w.curLines = w.cur[:0], 0
}

func (w *Writer) appendIndex(b []byte) []byte {
	return index{run: w.runID, seq: w.seq, records: uint32(w.curLines), size: uint32(len(w.cur))}.append(b)
}

func (w *Writer) recycle(us []*unit) {
	for _, u := range us {
		if len(w.free) < 4 && cap(u.b) <= 2*UnitBytes {
			w.free = append(w.free, u.b)
		}
	}
}

// Close writes what is in memory and closes the file. Units that cannot be written are lost; the
// error says why.
func (w *Writer) Close() error {
	err := w.Flush()
	if w.f != nil {
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
		w.f = nil
	}
	return err
}

// Reopen closes the file and opens Create's path again: after logrotate renamed it, records go to a
// new file.
func (w *Writer) Reopen() error {
	err := w.Flush()
	if oerr := w.open(); oerr != nil {
		return oerr
	}
	return err
}
