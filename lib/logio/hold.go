package logio

import (
	"errors"
	"fmt"
	"io"
)

var errProbed = errors.New("probed")

// holder keeps the content of the unit being decoded until the unit proves intact. It goes out in
// parts before that (a big frame of an old log or of another tool, a frame still being written when
// following) as long as no unit plausibly begins inside what was read of the unit: up to there the
// content is the unit's own, whatever happens after.
type holder struct {
	s        *scanner
	buf      []byte
	active   bool
	discard  bool  // a duplicate: only its end is wanted
	skip     int64 // these first bytes went out already
	spilled  int64 // bytes that went out before the unit ended
	unitFrom int64
	outAt    int64 // input offset up to which the content is in buf
	werr     error
	position func() int64
	safe     func() bool
}

func (h *holder) begin(from int64, position func() int64, safe func() bool) {
	*h = holder{s: h.s, buf: h.buf[:0], active: true, unitFrom: from, position: position, safe: safe}
}

func (h *holder) Write(p []byte) (int, error) {
	n := len(p)
	h.outAt = h.position()
	if h.discard {
		return n, nil
	}
	if h.skip > 0 {
		k := min(h.skip, int64(len(p)))
		p, h.skip = p[k:], h.skip-k
		h.spilled += k
	}
	h.buf = append(h.buf, p...)
	if len(h.buf) >= holdMax && h.safe() || len(h.buf) >= holdLimit {
		if err := h.spill(); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (h *holder) spill() error {
	h.spilled += int64(len(h.buf))
	err := h.emit()
	if err != nil {
		h.werr = err
	}
	return err
}

// emit writes the content held.
func (h *holder) emit() error {
	if len(h.buf) == 0 {
		return nil
	}
	var err error
	h.buf, err = h.s.give(h.buf)
	return err
}

// idle is called while following, when the writer is caught up with: what is held goes out.
func (h *holder) idle() {
	if h.active && !h.discard && h.safe() {
		h.spill()
	}
}

// give is emit handing p over; it returns a buffer to reuse.
func (s *scanner) give(p []byte) ([]byte, error) {
	if a, ok := s.out.(*async); ok && s.decided {
		return a.give(p)
	}
	err := s.emit(p)
	return p[:0], err
}

// emit writes decoded content out, first deciding whether it is itself compressed.
func (s *scanner) emit(p []byte) error {
	if !s.decided {
		s.decided = true
		if len(p) >= 4 && Detect(p) != Plain {
			if s.depth+1 >= maxLayers {
				s.c.problems.Warnf("%s: more than %d layers of compression: the rest is skipped", s.name, maxLayers)
				s.skip = true
			} else if err := s.startNest(); err != nil {
				return err
			}
		}
	}
	if s.skip {
		return nil
	}
	_, err := s.out.Write(p)
	return err
}

// nest is an inner layer: the content of this input, read by its own scanner.
type nest struct {
	pw   *io.PipeWriter
	done chan error
}

func (s *scanner) startNest() error {
	pr, pw := io.Pipe()
	name := s.file + " (decompressed)"
	if s.depth > 0 {
		name = fmt.Sprintf("%s (decompressed %d times)", s.file, s.depth+1)
	}
	in, err := newScanner(s.c, newWindow(pr, 0, nil), name, s.depth+1, s.out)
	if err != nil {
		return err
	}
	in.file = s.file
	n := &nest{pw: pw, done: make(chan error, 1)}
	s.c.nested.Add(1)
	go func() {
		defer s.c.nested.Add(-1)
		err := in.run()
		in.flushRegions(false)
		if err != nil {
			pr.CloseWithError(err)
		} else {
			pr.CloseWithError(io.ErrClosedPipe)
		}
		n.done <- err
	}()
	s.nest, s.out = n, pipeSink{pw}
	return nil
}

func (n *nest) finish() error {
	n.pw.Close()
	return <-n.done
}

type pipeSink struct{ pw *io.PipeWriter }

func (p pipeSink) Write(b []byte) (int, error) { return p.pw.Write(b) }
func (pipeSink) Break() bool                   { return false }
func (pipeSink) Lines() int64                  { return -1 }
