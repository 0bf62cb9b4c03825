package logio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

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
	// Problems gets damaged regions and torn records. Nil: they are skipped silently.
	Problems *jsonl.Problems
}

// Cat writes the records of the logs to out, one per line, decompressed. Damage is reported and
// skipped (see decodeFile); a torn last record is dropped with a warning. It returns an error when a
// file cannot be read, and otherwise the error of Problems.Err.
func Cat(ctx context.Context, stdin io.Reader, out io.Writer, opt CatOptions) error {
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
	s := &lines{out: out, problems: opt.Problems, last: opt.Last, ring: opt.Last > 0 || opt.Follow && opt.Last == 0}
	for i, p := range paths {
		if opt.Follow && i == len(paths)-1 && p != "-" {
			return errors.Join(followFile(ctx, p, s, opt), opt.Problems.Err())
		}
		if err := catOne(p, stdin, s); err != nil {
			return err
		}
	}
	if err := s.flushRing(); err != nil {
		return err
	}
	return opt.Problems.Err()
}

func catOne(path string, stdin io.Reader, s *lines) error {
	s.name, s.lineNo = path, 0
	if path == "-" {
		s.name = "-"
		err := inner(stdin, s, s.damage, 0)
		return errors.Join(err, s.endOfInput())
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := decodeFile(f, s, s.damage); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return s.endOfInput()
}

// lines cuts decoded bytes into records and writes them out, or into a ring of the last ones.
type lines struct {
	out      io.Writer
	problems *jsonl.Problems
	name     string
	lineNo   int64
	part     []byte // an unfinished line
	skipping bool   // in a line over the size limit
	ring     bool   // keep the last ones instead of writing
	last     int
	kept     [][]byte
	next     int
}

func (s *lines) damage(format string, args ...any) { s.problems.Warnf(format, args...) }

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

func (s *lines) emit(line []byte) error {
	s.lineNo++
	if err := record.Valid(line); err != nil {
		s.problems.Addf(s.name, s.lineNo, "bad record: %v", err)
		return nil
	}
	if s.ring {
		if s.last <= 0 {
			return nil
		}
		if len(s.kept) < s.last {
			s.kept = append(s.kept, bytes.Clone(line))
		} else {
			s.kept[s.next] = append(s.kept[s.next][:0], line...)
			s.next = (s.next + 1) % s.last
		}
		return nil
	}
	if _, err := s.out.Write(line); err != nil {
		return err
	}
	_, err := s.out.Write([]byte{'\n'})
	return err
}

// flushRing writes the kept lines and from then on writes lines as they come.
func (s *lines) flushRing() error {
	if !s.ring {
		return nil
	}
	s.ring = false
	for i := range s.kept {
		if err := s.emit(s.kept[(s.next+i)%len(s.kept)]); err != nil {
			return err
		}
	}
	s.kept = nil
	return nil
}

// Break drops an unfinished line at a gap in the data.
func (s *lines) Break(reason string) {
	if len(s.part) > 0 {
		s.problems.Warnf("%s: a record cut by a %s was skipped", s.name, reason)
	}
	s.part, s.skipping = s.part[:0], false
}

// endOfInput handles a last line without a newline: kept if it is a whole record, else reported torn.
func (s *lines) endOfInput() error {
	defer func() { s.part, s.skipping = s.part[:0], false }()
	if len(s.part) == 0 {
		return nil
	}
	if record.Scan(s.part, func(k, v []byte) bool { return true }) == nil {
		return s.emit(s.part)
	}
	s.problems.Warnf("%s:%d: last record is incomplete (writer stopped mid-record?): skipped", s.name, s.lineNo+1)
	return nil
}

// followFile reads path and then follows it like tail -F: across rename rotation (a new file at the
// path: the old one is read to its end first) and copytruncate (the file shrank: read from its start),
// compressed or not. A line being written is held until its newline arrives.
func followFile(ctx context.Context, path string, s *lines, opt CatOptions) error {
	s.name, s.lineNo = path, 0
	first := true
	for {
		f, err := openWhenThere(ctx, path, opt.Poll, first)
		if err != nil {
			return err
		}
		if first && opt.Last == 0 && s.ring {
			// Nothing to show from before: plain files need not be read at all.
			if head := peek(f); Detect(head) == Plain {
				if _, err := f.Seek(0, io.SeekEnd); err != nil {
					f.Close()
					return err
				}
			}
		}
		t := &tailReader{ctx: ctx, f: f, path: path, poll: opt.Poll, out: s.out}
		t.caughtUp = func() error { return s.flushRing() }
		if !first {
			s.ring = false
		}
		first = false
		err = inner(t, s, s.damage, 0)
		f.Close()
		if ctx.Err() != nil {
			return nil // stopped by the user: not an error
		}
		if err != nil && !errors.Is(err, errRotated) {
			return err
		}
		s.Break("rotation")
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

// tailReader reads a growing file; at its end it waits for more, and ends (io.EOF) when the path names
// another file or the file shrank.
type tailReader struct {
	ctx      context.Context
	f        *os.File
	path     string
	poll     time.Duration
	pos      int64
	out      io.Writer
	caughtUp func() error
	idle     int
}

func (t *tailReader) Read(p []byte) (int, error) {
	for {
		n, err := t.f.Read(p)
		if n > 0 {
			t.pos += int64(n)
			t.idle = 0
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if t.caughtUp != nil {
			if err := t.caughtUp(); err != nil {
				return 0, err
			}
			t.caughtUp = nil
		}
		if fl, ok := t.out.(interface{ Flush() error }); ok {
			if err := fl.Flush(); err != nil {
				return 0, err
			}
		}
		if t.changed() {
			// Read the old file once more after a quiet interval: its writer may not have
			// reopened yet.
			if t.idle++; t.idle > 1 {
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
