package logio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/record"
)

// CatOptions says what to read.
type CatOptions struct {
	Paths  []string // files; "-" or none: standard input
	All    bool     // read each file's rotated set, oldest first (RotatedSet)
	Follow bool     // after the files, follow the last one as it grows and rotates, until ctx is done
	Last   int      // start with the last Last records (0: all, or none when following; -1: all)
	Poll   time.Duration
	// Problems gets damaged regions and bad records. Nil: they are skipped silently.
	Problems *jsonl.Problems
}

// Cat writes the records of the logs to out, one per line, decompressed.
//
// Each file is read as a sequence of units found by scanning: zstd units (an index frame and a data
// frame), bare zstd frames, gzip members, plain JSON lines; junk before, between or after them is
// skipped up to the next magic or line. A unit cut short yields what its complete blocks hold and is
// never read together with the unit after it. Each damaged region is reported once through Problems,
// as "FILE: bytes A-B damaged (WHAT): N records lost" (A inclusive, B exclusive); the damaged tail of
// a log a live precd is writing (see Live) is not damage and is not reported. A unit whose run and
// sequence number were read already in this call (a copytruncate replay) is skipped.
//
// Cat returns an error when a file cannot be read, the error of a write to out unchanged, and
// otherwise the error of Problems.Err.
func Cat(ctx context.Context, stdin io.Reader, out io.Writer, opt CatOptions) error {
	err := catAll(ctx, stdin, out, opt)
	var we *writeError
	if errors.As(err, &we) {
		return we.err
	}
	return err
}

func catAll(ctx context.Context, stdin io.Reader, out io.Writer, opt CatOptions) error {
	if opt.Poll == 0 {
		opt.Poll = 250 * time.Millisecond
	}
	paths := opt.Paths
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	if opt.All {
		var all []string
		for _, p := range paths {
			if p == "-" {
				all = append(all, p)
				continue
			}
			set, err := RotatedSet(p)
			if err != nil {
				return err
			}
			all = append(all, set...)
		}
		paths = all
	}
	// Following shows nothing from before unless -n says how much; standard input has no before: a
	// pipe is shown as it comes.
	followsFile := opt.Follow && paths[len(paths)-1] != "-"
	s := &lines{out: out, problems: opt.Problems, kept: jsonl.NewLast(opt.Last), ring: opt.Last > 0 || followsFile && opt.Last == 0}
	c := &reader{ctx: ctx, lines: s, problems: opt.Problems, seen: map[[2]uint64]bool{}, out: newAsync(s)}
	defer c.out.close()
	for i, p := range paths {
		if opt.Follow && i == len(paths)-1 && p != "-" {
			return errors.Join(c.follow(p, opt), opt.Problems.Err())
		}
		if err := c.catOne(p, stdin); err != nil {
			return err
		}
	}
	if err := c.out.close(); err != nil {
		return err
	}
	if err := s.flushRing(); err != nil {
		return err
	}
	return opt.Problems.Err()
}

// reader is the state of one Cat call.
type reader struct {
	ctx      context.Context
	lines    *lines
	out      *async // lines, in a goroutine of its own
	problems *jsonl.Problems
	seen     map[[2]uint64]bool // units read: run id, sequence number
	zdec, pz *zstd.Decoder
	gz, pg   *gzip.Reader
	buf      []byte
	nested   atomic.Int32 // inner layers running
}

func (c *reader) catOne(path string, stdin io.Reader) error {
	c.lines.name, c.lines.lineNo = path, 0
	if path == "-" {
		return c.scan(stdin, 0, "-", nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.scan(f, 0, path, f)
}

// scan reads one input with a scanner; f, when not nil, is the file, for the liveness check.
func (c *reader) scan(r io.Reader, base int64, name string, f *os.File) error {
	s, err := c.newFileScanner(r, base, name)
	if err != nil {
		return err
	}
	err = s.run()
	if serr := c.out.sync(); err == nil {
		err = serr
	}
	c.buf = s.w.buf
	c.finish(s, f, err)
	if err != nil {
		var we *writeError
		if errors.As(err, &we) || errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

func (c *reader) newFileScanner(r io.Reader, base int64, name string) (*scanner, error) {
	if c.buf == nil {
		c.buf = make([]byte, 0, 2*windowChunk)
	}
	return newScanner(c, newWindow(r, base, c.buf), name, 0, c.out)
}

// finish reports what the scanner found damaged. A torn tail is reported unless a live precd is
// writing the file, or reading stopped early.
func (c *reader) finish(s *scanner, f *os.File, err error) {
	live := err != nil
	if !live && f != nil {
		for _, r := range s.regions {
			if r.tail {
				if st, serr := f.Stat(); serr == nil {
					live = live0(f.Name(), st.ModTime())
				}
				break
			}
		}
	}
	s.flushRegions(live)
}

// lines cuts decoded bytes into records and writes them out, or into a ring of the last ones.
type lines struct {
	out      io.Writer
	problems *jsonl.Problems
	name     string
	lineNo   int64
	n        int64       // whole lines received
	part     []byte      // an unfinished line
	skipping bool        // in a line over the size limit
	ring     bool        // keep the last ones instead of writing
	kept     *jsonl.Last // the last ones
}

func (s *lines) Lines() int64 { return s.n }

func (s *lines) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if !s.skipping {
				s.part = append(s.part, p...)
				if len(s.part) > jsonl.MaxLine {
					s.problems.Warnf("%s: record longer than %d bytes skipped", s.name, jsonl.MaxLine)
					s.part, s.skipping = s.part[:0], true
				}
			}
			break
		}
		line := p[:i]
		if len(s.part) > 0 {
			s.part = append(s.part, line...)
			line = s.part
		}
		s.n++
		if !s.skipping && len(line) > 0 {
			if err := s.emit(line); err != nil {
				return 0, err
			}
		}
		s.part, s.skipping = s.part[:0], false
		p = p[i+1:]
	}
	return n, nil
}

// plainLine takes one line of plain text (without its newline): a record is written, a text line
// that is not one is reported as a bad record; junk (binary) is left to the caller to report.
func (s *lines) plainLine(line []byte) (junk bool, err error) {
	s.n++
	if len(line) == 0 {
		return false, nil
	}
	if len(line) > jsonl.MaxLine {
		s.lineNo++
		s.problems.Warnf("%s: record longer than %d bytes skipped", s.name, jsonl.MaxLine)
		return false, nil
	}
	if err := record.Valid(line); err != nil {
		s.lineNo++
		if !textLike(line) {
			return true, nil
		}
		s.problems.Addf(s.name, s.lineNo, "bad record: %v", err)
		return false, nil
	}
	s.lineNo++
	return false, s.write(line)
}

func textLike(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(b)
}

func isRecord(b []byte) bool { return record.Valid(b) == nil }

func (s *lines) emit(line []byte) error {
	s.lineNo++
	if err := record.Valid(line); err != nil {
		s.problems.Addf(s.name, s.lineNo, "bad record: %v", err)
		return nil
	}
	return s.write(line)
}

// write writes a valid record out, or keeps it in the ring.
func (s *lines) write(line []byte) error {
	if s.ring {
		s.kept.Add(line, s.lineNo)
		return nil
	}
	if _, err := s.out.Write(line); err != nil {
		return &writeError{err}
	}
	if _, err := s.out.Write([]byte{'\n'}); err != nil {
		return &writeError{err}
	}
	return nil
}

// flushRing writes the kept lines and from then on writes lines as they come.
func (s *lines) flushRing() error {
	if !s.ring {
		return nil
	}
	s.ring = false
	return s.kept.Drain(func(line []byte, _ int64) error { return s.write(line) })
}

// Break drops an unfinished line at a gap in the data, and says whether there was one.
func (s *lines) Break() bool {
	cut := len(s.part) > 0 || s.skipping
	s.part, s.skipping = s.part[:0], false
	return cut
}

// follow reads path and then follows it like tail -F: across rename rotation (a new file at the
// path: the old one is read to its end first) and copytruncate (the file shrank: read from its start),
// compressed or not. A line being written is held until its newline arrives.
func (c *reader) follow(path string, opt CatOptions) error {
	s := c.lines
	first := true
	for {
		s.name, s.lineNo = path, 0
		f, err := openWhenThere(c.ctx, path, opt.Poll, first)
		if err != nil {
			return err
		}
		var base int64
		if first && opt.Last == 0 && s.ring {
			// Nothing to show from before: plain files need not be read at all.
			if head := peek(f); Detect(head) == Plain {
				if base, err = f.Seek(0, io.SeekEnd); err != nil {
					f.Close()
					return err
				}
			}
		}
		t := &tailReader{ctx: c.ctx, f: f, path: path, poll: opt.Poll, pos: base}
		if !first {
			s.ring = false
		}
		first = false
		sc, err := c.newFileScanner(t, base, path)
		if err != nil {
			f.Close()
			return err
		}
		sc.w.growing = true
		t.idle = func() error {
			if c.nested.Load() > 0 {
				return nil // the inner layer's goroutine writes
			}
			sc.hold.idle()
			if err := sc.hold.werr; err != nil {
				return err
			}
			if err := c.out.sync(); err != nil {
				return err
			}
			if err := s.flushRing(); err != nil {
				return err
			}
			sc.flushRegions(false)
			if err := jsonl.Flush(s.out); err != nil {
				return &writeError{err}
			}
			return nil
		}
		err = sc.run()
		if serr := c.out.sync(); err == nil {
			err = serr
		}
		c.buf = sc.w.buf
		if c.ctx.Err() != nil {
			f.Close()
			return nil // stopped by the user: not an error
		}
		if err != nil && !errors.Is(err, errRotated) {
			f.Close()
			return err
		}
		c.finish(sc, f, nil)
		f.Close()
		s.Break()
		c.out.n = s.n
	}
}

func peek(f *os.File) []byte {
	b := make([]byte, 4)
	n, _ := f.ReadAt(b, 0)
	return b[:n]
}

func openWhenThere(ctx context.Context, path string, poll time.Duration, first bool) (*os.File, error) {
	for {
		f, err := os.Open(path)
		if err == nil {
			return f, nil
		}
		if first || !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

var errRotated = errors.New("rotated")

// tailReader reads a growing file; at its end it calls idle and waits for more, and ends (io.EOF)
// when the path names another file or the file shrank.
type tailReader struct {
	ctx   context.Context
	f     *os.File
	path  string
	poll  time.Duration
	pos   int64
	idle  func() error
	quiet int
}

func (t *tailReader) Read(p []byte) (int, error) {
	for {
		n, err := t.f.Read(p)
		if n > 0 {
			t.pos += int64(n)
			t.quiet = 0
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if t.idle != nil {
			if err := t.idle(); err != nil {
				return 0, err
			}
		}
		if t.changed() {
			// Read the old file once more after a quiet interval: its writer may not have
			// reopened yet.
			if t.quiet++; t.quiet > 1 {
				return 0, io.EOF
			}
		}
		select {
		case <-t.ctx.Done():
			return 0, t.ctx.Err()
		case <-time.After(t.poll):
		}
	}
}

func (t *tailReader) changed() bool {
	cur, err := t.f.Stat()
	if err != nil {
		return true
	}
	if cur.Size() < t.pos { // copytruncate
		return true
	}
	st, err := os.Stat(t.path)
	if err != nil {
		return false // moved away, the new one not there yet: keep reading the old
	}
	return !os.SameFile(cur, st)
}
