package logio

import (
	"bytes"
	"fmt"
	"io"
	"math"

	"github.com/prec-dev/prec/lib/jsonl"
)

// window buffers a stream, addressed by offsets from its start, so that the scanner can look ahead
// and back within the unit it is reading without the stream being seekable (standard input, a
// decompressed inner layer, a file being followed).
type window struct {
	r    io.Reader
	buf  []byte
	base int64 // offset of buf[0]
	keep int64 // bytes before keep are no longer needed
	eof  bool
	err  error // the read error that ended the stream, if not io.EOF
	// growing: a file being followed, whose next bytes may come late
	growing bool
}

const windowChunk = 256 << 10

func newWindow(r io.Reader, base int64, buf []byte) *window {
	return &window{r: r, buf: buf[:0], base: base, keep: base}
}

func (w *window) end() int64 { return w.base + int64(len(w.buf)) }

// more reads once; false when the stream has ended.
func (w *window) more() bool {
	if w.eof {
		return false
	}
	if cap(w.buf)-len(w.buf) < windowChunk {
		if drop := w.keep - w.base; drop > 0 && drop >= int64(len(w.buf))/4 {
			n := copy(w.buf, w.buf[drop:])
			w.buf, w.base = w.buf[:n], w.keep
		}
		if cap(w.buf)-len(w.buf) < windowChunk {
			nb := make([]byte, len(w.buf), max(2*cap(w.buf), len(w.buf)+windowChunk))
			copy(nb, w.buf)
			w.buf = nb
		}
	}
	n, err := w.r.Read(w.buf[len(w.buf):cap(w.buf)])
	w.buf = w.buf[:len(w.buf)+n]
	if err != nil {
		w.eof = true
		if err != io.EOF {
			w.err = err
		}
	}
	return n > 0 || !w.eof
}

// fill reads until the bytes before end are buffered; false when the stream ends first.
func (w *window) fill(end int64) bool {
	for w.end() < end {
		if !w.more() {
			return w.end() >= end
		}
	}
	return true
}

// slice returns buffered bytes from..to (clipped to what is buffered); valid until the next read.
func (w *window) slice(from, to int64) []byte {
	from = max(from, w.base)
	to = min(to, w.end())
	if from >= to {
		return nil
	}
	return w.buf[from-w.base : to-w.base]
}

func (w *window) release(off int64) { w.keep = max(w.keep, min(off, w.end())) }

// A region is a damaged stretch of a file, reported once when the file has been read (adjacent
// ones merged), with the records it held: exact when an index says, else estimated.
type region struct {
	from, to int64
	what     string
	lost     int64 // exact records lost, when exact
	exact    bool
	est      int64 // bytes to estimate the records lost from, when not exact
	got      int64 // records read from those bytes
	unknown  bool  // nothing to estimate from
	altered  bool  // records were read, but the checksum says some bytes are not what was written
	tail     bool  // it ends where the input ended: a live log's unit still being written
}

func (s *scanner) damaged(r region) {
	if n := len(s.regions); n > 0 {
		// Adjacent regions are one (junk after a torn unit, a run of broken frames), except that
		// a torn tail, which a live log may have, stays apart from damage before it.
		if p := &s.regions[n-1]; p.to == r.from && (!r.tail || r.what == whatJunk || p.tail) {
			if p.what == whatJunk {
				p.what = r.what
			}
			p.to, p.tail = r.to, r.tail
			p.unknown = p.unknown || r.unknown
			if r.exact {
				p.lost += r.lost
			} else {
				p.est, p.got, p.exact = p.est+r.est, p.got+r.got, false
			}
			return
		}
	}
	s.regions = append(s.regions, r)
}

const whatJunk = "unreadable bytes"

// flushRegions reports the damaged regions found so far. At the end of a file whose writer is alive,
// a damaged tail is the unit being written: it is not reported.
func (s *scanner) flushRegions(liveTail bool) {
	for _, r := range s.regions {
		if r.tail && liveTail {
			continue
		}
		s.c.problems.Warnf("%s: bytes %d-%d damaged (%s): %s", s.name, r.from, r.to, r.what, s.count(r))
	}
	s.regions = s.regions[:0]
}

func (s *scanner) count(r region) string {
	n := r.lost
	if r.altered && n == 0 {
		return "records kept, some may be altered"
	}
	switch {
	case r.exact && n == 0:
		return "no records lost"
	case r.exact && n == 1:
		return "1 record lost"
	case r.exact:
		return fmt.Sprintf("%d records lost", n)
	case r.unknown || s.okRecords == 0 || s.okBytes == 0:
		return "records unknown"
	}
	est := int64(math.Round(float64(r.est)*float64(s.okRecords)/float64(s.okBytes))) - r.got
	est = max(est, 0) + n // and the exactly known part of a merged region
	switch est {
	case 0:
		return "probably no records lost"
	case 1:
		return "about 1 record lost"
	}
	return fmt.Sprintf("about %d records lost", est)
}

// plain reads text lines from pos until a unit begins (a magic that proves to start one) or the input
// ends, and returns where it stopped. Lines that are records are written out, text lines that are not
// are reported as bad records, binary junk as a damaged region.
func (s *scanner) plain(pos int64) (int64, error) {
	if s.out.Break() {
		s.damaged(region{from: pos, to: pos, what: "record cut short", lost: 1, exact: true})
	}
	if a, ok := s.out.(*async); ok { // the lines sink is used directly below
		if err := a.sync(); err != nil {
			return 0, err
		}
	}
	line := pos    // start of the line being read
	nl := pos      // no newline in line..nl
	scanned := pos // no magic before here
	find := newFinder(s.w)
	for {
		end := s.w.end()
		if scanned+3 > end {
			if !s.w.more() {
				return s.endOfPlain(line)
			}
			continue
		}
		at := find.next(scanned, end)
		if at >= 0 {
			end = at
		}
		// whole lines before the magic (a magic never straddles a newline)
		for nl < end {
			i := bytes.IndexByte(s.w.slice(nl, end), '\n')
			if i < 0 {
				nl = end
				break
			}
			if err := s.plainLine(line, s.w.slice(line, nl+int64(i))); err != nil {
				return 0, err
			}
			line = nl + int64(i) + 1
			nl = line
		}
		if at >= 0 {
			if s.plausible(at) {
				if at > line {
					s.partialLine(line, at, false)
				}
				return at, nil
			}
			scanned = at + 1
			continue
		}
		scanned = max(line, s.w.end()-3)
		if scanned-line > jsonl.MaxLine {
			s.damaged(region{from: line, to: scanned, what: whatJunk, est: scanned - line})
			line = scanned
			nl = max(nl, line)
		}
		s.w.release(line)
		if err := s.c.ctx.Err(); err != nil {
			return 0, err
		}
		if !s.w.more() {
			return s.endOfPlain(line)
		}
	}
}

func (s *scanner) endOfPlain(line int64) (int64, error) {
	end := s.w.end()
	if end > line {
		if err := s.partialLine(line, end, true); err != nil {
			return 0, err
		}
	}
	return end, nil
}

// partialLine handles a line without its newline before a unit or at the end: a whole record is kept.
func (s *scanner) partialLine(from, to int64, tail bool) error {
	b := s.w.slice(from, to)
	if s.nest != nil {
		_, err := s.out.Write(b)
		return err
	}
	if isRecord(b) {
		return s.plainLine(from, b)
	}
	what := whatJunk
	var r region
	if len(b) > 0 && b[0] == '{' && textLike(b) {
		what = "line cut short"
		if tail {
			what = "last line cut short"
		}
		r = region{lost: 1, exact: true}
	}
	r.from, r.to, r.what, r.est, r.tail = from, to, what, to-from, tail
	s.damaged(r)
	return nil
}

func (s *scanner) plainLine(off int64, b []byte) error {
	if s.nest != nil { // an inner layer reads it
		if _, err := s.out.Write(b); err != nil {
			return err
		}
		_, err := s.out.Write([]byte{'\n'})
		return err
	}
	junk, err := s.c.lines.plainLine(b)
	if err != nil {
		return err
	}
	if junk {
		s.damaged(region{from: off, to: off + int64(len(b)) + 1, what: whatJunk, est: int64(len(b)) + 1})
		return nil
	}
	s.okBytes += int64(len(b)) + 1
	s.okRecords++
	return nil
}
