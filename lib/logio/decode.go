package logio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// sink receives decoded bytes. Break drops an unfinished line at a gap in the data (true when there
// was one); Lines counts the whole lines received (-1: not known, an inner layer's pipe).
type sink interface {
	io.Writer
	Break() bool
	Lines() int64
}

// writeError is an error of the output side: never damage of the input, and returned unchanged.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

const (
	maxLayers  = 4        // compression layers undone: prec.log.1.gz holding a zstd log is two
	holdMax    = 1 << 20  // decoded bytes of a unit held back while no unit may begin inside it
	holdLimit  = 64 << 20 // held back at most, even when a unit may begin inside
	keepBehind = 32 << 20 // input kept of a huge unit, to resynchronise in
)

// scanner reads one input (a file, standard input, or the content of an outer layer) as a sequence
// of segments: zstd units (index frame + data frame), bare zstd frames, gzip members, plain lines and
// junk. What a unit holds goes out when it proves intact (or, for a big one, while no unit may begin
// inside it), so that a unit that turns out torn is read only up to where the next one begins.
type scanner struct {
	c       *reader
	w       *window
	name    string // for messages
	file    string // the file (or "-") it is in
	depth   int
	out     sink
	nest    *nest
	decided bool // whether the content is itself compressed was decided
	skip    bool // too many layers: content is dropped
	zdec    *zstd.Decoder
	gz      *gzip.Reader
	pz      *zstd.Decoder // for probes
	pg      *gzip.Reader
	hold    holder
	regions []region
	// intact data so far, to estimate what a damaged region held
	okBytes, okRecords int64
}

func newScanner(c *reader, w *window, name string, depth int, out sink) (*scanner, error) {
	s := &scanner{c: c, w: w, name: name, file: name, depth: depth, out: out}
	s.hold.s = s
	if depth == 0 && c.zdec != nil {
		s.zdec, s.gz, s.pz, s.pg = c.zdec, c.gz, c.pz, c.pg
		return s, nil
	}
	var err error
	for _, z := range []**zstd.Decoder{&s.zdec, &s.pz} {
		if *z, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30)); err != nil {
			return nil, err
		}
	}
	s.gz, s.pg = new(gzip.Reader), new(gzip.Reader)
	if depth == 0 {
		c.zdec, c.gz, c.pz, c.pg = s.zdec, s.gz, s.pz, s.pg
	}
	return s, nil
}

// run reads the input to its end. Damage is collected in s.regions; the error is one of reading
// the input or writing the output.
func (s *scanner) run() (err error) {
	defer func() {
		if s.nest != nil {
			err = errors.Join(err, s.nest.finish())
		}
	}()
	pos := s.w.base
	boundary := true // where a unit should begin: a damaged magic may be repaired
	for {
		if err := s.c.ctx.Err(); err != nil {
			return err
		}
		s.w.release(pos)
		s.w.fill(pos + 4)
		head := s.w.slice(pos, pos+4)
		if len(head) == 0 {
			break
		}
		var next int64
		var err error
		unit := true
		switch {
		case bytes.HasPrefix(head, zstdMagic):
			next, err = s.zstdUnit(pos, pos, nil, nil)
		case isSkippableFrame(head):
			next, err = s.skippable(pos)
		case bytes.HasPrefix(head, gzipMagic):
			next, err = s.gzipUnit(pos, nil)
		default:
			var ok bool
			if boundary && len(head) == 4 {
				next, ok, err = s.repair(pos, head)
			}
			if !ok && err == nil {
				next, err = s.plain(pos)
				unit = false
			}
		}
		if err != nil {
			return err
		}
		if next <= pos {
			next = pos + 1 // never happens; never loop
		}
		pos, boundary = next, unit
	}
	return s.w.err
}

// repair tries a unit whose magic differs from the right one in one byte (a flipped bit in the
// first bytes of a log): it is read as that unit when its content looks like a log.
func (s *scanner) repair(pos int64, head []byte) (int64, bool, error) {
	if head[0] == '{' {
		return 0, false, nil // a line
	}
	s.w.fill(pos + 16)
	h := s.w.slice(pos, pos+16)
	fixed := region{from: pos, to: pos + 4, exact: true}
	switch {
	case nearly(head, zstdMagic) && s.probeZstd(pos, zstdMagic):
		fixed.what = "zstd frame magic altered"
		s.damaged(fixed)
		next, err := s.zstdUnit(pos, pos, nil, zstdMagic)
		return next, true, err
	case nearly(head, []byte{0x50, 0x2a, 0x4d, 0x18}) && len(h) >= 12 && bytes.Equal(h[4:12], []byte{indexLen, 0, 0, 0, 'P', 'R', 'E', 'C'}):
		fixed.what = "index frame magic altered"
		s.damaged(fixed)
		next, err := s.skippable(pos)
		return next, true, err
	case nearly(head[:3], gzipMagic) && s.probeGzip(pos, gzipMagic):
		fixed.to = pos + 3
		fixed.what = "gzip magic altered"
		s.damaged(fixed)
		next, err := s.gzipUnit(pos, gzipMagic)
		return next, true, err
	}
	return 0, false, nil
}

// skippable reads a skippable frame: the index of a unit (then its data frame), or another tool's
// frame, skipped.
func (s *scanner) skippable(pos int64) (int64, error) {
	at := pos + 8 + indexLen
	s.w.fill(at + 4)
	h := s.w.slice(pos, at)
	if len(h) < 8 {
		return s.plain(pos)
	}
	n := int64(binary.LittleEndian.Uint32(h[4:]))
	end := pos + 8 + n
	if n > maxUnit || !s.w.fill(end) && !(n == indexLen && s.w.eof) {
		return s.plain(pos)
	}
	// A unit begins inside: this frame was cut short by it.
	if q := s.resync(pos+1, min(end, s.w.end())-1); q >= 0 {
		s.damaged(region{from: pos, to: q, what: "zstd unit cut short", unknown: true})
		return q, nil
	}
	if n != indexLen {
		return end, nil
	}
	if len(h) < 8+indexLen { // cut short at the end
		s.damaged(region{from: pos, to: s.w.end(), what: "zstd unit cut short", tail: true, unknown: true})
		return s.w.end(), nil
	}
	ix, ok := parseIndex(h[8:])
	if !ok {
		return end, nil
	}
	if bytes.HasPrefix(s.w.slice(at, at+4), zstdMagic) {
		return s.zstdUnit(pos, at, &ix, nil)
	}
	// the index without its data frame: the unit was cut short right after it
	r := region{from: pos, to: at, what: "zstd unit cut short", exact: true, lost: int64(ix.records)}
	if s.c.seen[ix.key()] {
		r.lost = 0
	}
	r.tail = s.w.end() < at+4 && s.w.eof
	s.damaged(r)
	return at, nil
}

func (ix *index) key() [2]uint64 { return [2]uint64{ix.run, ix.seq} }

// zstdUnit reads the zstd frame at at, whose unit began at from (an index frame before it, ix).
func (s *scanner) zstdUnit(from, at int64, ix *index, patch []byte) (int64, error) {
	dup := ix != nil && s.c.seen[ix.key()]
	before := s.out.Lines()
	fr := &frameReader{w: s.w, start: at, pos: at, end: at, limit: -1, patch: patch, check: s.plausible}
	derr := s.decodeZstd(fr, dup, 0)
	if err := s.hold.werr; err != nil {
		return 0, err
	}
	if derr == nil && fr.state == frDone {
		return fr.pos, s.intact(from, fr.pos, ix, before, dup)
	}
	spilled := s.hold.spilled
	stop := max(fr.stop, fr.pos, at+1)
	to := stop
	if fr.short { // the piece that did not fit may hold the start of a unit
		to = s.w.end()
	}
	q := s.resync(at+1, to)
	lim := stop
	tail := false
	switch {
	case q >= 0:
		lim = q
	case fr.eofHit:
		lim, tail = s.w.end(), true
	default: // the content is damaged: when the headers are whole, the frame ends where they say
		if end, ok := (&frameReader{w: s.w, start: at, pos: at, end: at, limit: -1}).walk(); ok {
			lim = max(lim, end)
		}
	}
	if dup { // a torn copy of a unit read already: nothing is lost
		return lim, nil
	}
	if at < s.w.base {
		return s.lostHuge(lim, tail, "zstd frame cut short")
	}
	// read again, only what lies before lim
	fr2 := &frameReader{w: s.w, start: at, pos: at, end: at, limit: lim, patch: patch}
	s.decodeZstd(fr2, false, spilled)
	if err := s.hold.emit(); err != nil {
		return 0, err
	}
	r := region{from: max(s.hold.outAt, at), to: lim, tail: tail, what: "zstd frame cut short"}
	switch {
	case fr2.sumCut:
		r.what, r.exact = "zstd checksum cut short", true
	case errors.Is(derr, zstd.ErrCRCMismatch) && (q < 0 || q >= stop):
		r.what, r.exact, r.altered = "zstd checksum mismatch", true, true
	case fr.eofHit || q >= 0 && (q < stop || fr.bad):
	default: // whole, but its content does not decode
		r.what = "zstd frame damaged"
	}
	if r.from == at {
		r.from = from
	}
	s.torn(r, ix, before)
	return lim, nil
}

// lostHuge ends a huge unit that broke after its start was dropped from the window: what went out
// stays, the rest is lost.
func (s *scanner) lostHuge(lim int64, tail bool, what string) (int64, error) {
	s.out.Break()
	from := max(s.hold.outAt, s.w.base)
	s.damaged(region{from: from, to: lim, what: what, est: lim - from, tail: tail})
	return lim, nil
}

// intact finishes a unit read whole.
func (s *scanner) intact(from, to int64, ix *index, before int64, dup bool) error {
	if dup {
		return nil
	}
	if err := s.hold.emit(); err != nil {
		return err
	}
	if ix != nil {
		s.c.seen[ix.key()] = true
	}
	if n := s.out.Lines(); n >= 0 {
		s.okBytes += to - from
		s.okRecords += n - before
	}
	return nil
}

// torn reports a unit read only in part, r being what was lost of it.
func (s *scanner) torn(r region, ix *index, before int64) {
	cut := s.out.Break()
	got := s.out.Lines() - before
	if s.out.Lines() >= 0 && r.got == 0 {
		s.okBytes += r.from - s.unitStart(r)
		s.okRecords += got
	}
	switch {
	case ix != nil:
		r.exact, r.lost = true, max(0, int64(ix.records)-got)
	case r.exact: // every block was read: only the checksum is missing or wrong
		r.lost = 0
		if cut {
			r.lost = 1
		}
	default:
		r.est = r.to - r.from
	}
	if r.from >= r.to { // every block there, the frame's end missing
		r.from = s.hold.unitFrom
	}
	s.damaged(r)
}

func (s *scanner) unitStart(r region) int64 { return min(s.hold.unitFrom, r.from) }

// resync returns the first offset in from..to where a unit plausibly begins, or -1.
func (s *scanner) resync(from, to int64) int64 {
	f := newFinder(s.w)
	for from = max(from, s.w.base); from <= to; {
		at := f.next(from, to+4)
		if at < 0 || at > to {
			return -1
		}
		if s.plausible(at) {
			return at
		}
		from = at + 1
	}
	return -1
}

// plausible says whether a unit begins at at: its first block or deflate output decodes to
// something that starts like a log. Magic bytes found by chance in compressed data do not.
func (s *scanner) plausible(at int64) bool {
	s.w.fill(at + 8 + indexLen + 4)
	h := s.w.slice(at, at+8+indexLen)
	switch {
	case bytes.HasPrefix(h, zstdMagic):
		return s.probeZstd(at, nil)
	case isSkippableFrame(h):
		if len(h) < 8+indexLen || binary.LittleEndian.Uint32(h[4:]) != indexLen {
			return false
		}
		_, ok := parseIndex(h[8:])
		return ok
	case bytes.HasPrefix(h, gzipMagic):
		return s.probeGzip(at, nil)
	}
	return false
}

func looksLikeLog(b []byte) bool {
	return len(b) > 0 && (b[0] == '{' || Detect(b) != Plain)
}

// The probes decode with decoders of their own: they also run while a unit is being decoded.
func (s *scanner) probeZstd(at int64, patch []byte) bool {
	// what the headers say first, the decoder only when they look right
	s.w.fill(at + 18 + 16)
	h := s.w.slice(at, at+18+16)
	if len(h) < 6 {
		return false
	}
	fhd := h[4]
	single := fhd&0x20 != 0
	hdr := 5 + []int{0, 1, 2, 4}[fhd&3] + []int{0, 2, 4, 8}[fhd>>6]
	if !single {
		hdr++
		if 10+int(h[5]>>3) > 30 {
			return false // a window over the decoder's limit
		}
	} else if fhd>>6 == 0 {
		hdr++
	}
	if fhd&0x08 != 0 || fhd&3 != 0 || len(h) < hdr+3 {
		return false // reserved bit, a dictionary: not a log's
	}
	v := uint32(h[hdr]) | uint32(h[hdr+1])<<8 | uint32(h[hdr+2])<<16
	switch typ, size := (v>>1)&3, v>>3; {
	case typ == 3 || size > 128<<10 || typ == 1:
		return false
	case typ == 0:
		return looksLikeLog(h[hdr+3:])
	}
	fr := &frameReader{w: s.w, start: at, pos: at, end: at, limit: -1, patch: patch}
	var p probeBuf
	if s.pz.Reset(fr) == nil {
		io.Copy(&p, s.pz)
	}
	return looksLikeLog(p.b)
}

func (s *scanner) probeGzip(at int64, patch []byte) bool {
	s.w.fill(at + 12)
	h := s.w.slice(at, at+10)
	if len(h) < 10 || h[3]&0xe0 != 0 || h[8] != 0 && h[8] != 2 && h[8] != 4 || h[9] > 13 && h[9] != 255 {
		return false // reserved flags, or extra flags or an OS no gzip writer sets
	}
	if h[3]&0x04 != 0 { // an extra field: prec's is 36 bytes, others' are small too
		if x := s.w.slice(at+10, at+12); len(x) < 2 || binary.LittleEndian.Uint16(x) > 256 {
			return false
		}
	}
	mr := &memberReader{w: s.w, start: at, pos: at, limit: -1, patch: patch, scanned: at + 1}
	var p probeBuf
	if s.pg.Reset(mr) == nil {
		s.pg.Multistream(false)
		io.Copy(&p, s.pg)
	}
	return looksLikeLog(p.b)
}

// probeBuf keeps the first bytes of a decoder's output, and stops it.
type probeBuf struct{ b []byte }

func (p *probeBuf) Write(b []byte) (int, error) {
	p.b = append(p.b, b[:min(len(b), 16)]...)
	return 0, errProbed
}

func (s *scanner) decodeZstd(fr *frameReader, discard bool, skip int64) error {
	s.hold.begin(fr.start, fr.position, fr.safe)
	s.hold.discard, s.hold.skip = discard, skip
	defer func() { s.hold.active = false }()
	if err := s.zdec.Reset(fr); err != nil {
		return err
	}
	_, err := io.Copy(&s.hold, s.zdec)
	return err
}

// gzipUnit reads the gzip member at pos.
func (s *scanner) gzipUnit(pos int64, patch []byte) (int64, error) {
	mr := &memberReader{w: s.w, start: pos, pos: pos, limit: -1, patch: patch, scanned: pos + 1, check: s.plausible}
	if err := s.gz.Reset(mr); err != nil {
		if mr.eofHit {
			s.damaged(region{from: pos, to: s.w.end(), what: "gzip member cut short", est: s.w.end() - pos, tail: true})
			return s.w.end(), nil
		}
		return s.plain(pos) // not a gzip header: junk
	}
	var ix *index
	if x, ok := gzipIndex(s.gz.Header.Extra); ok {
		ix = &x
	}
	dup := ix != nil && s.c.seen[ix.key()]
	before := s.out.Lines()
	derr := s.decodeGzip(mr, dup, 0)
	if err := s.hold.werr; err != nil {
		return 0, err
	}
	if derr == nil {
		return mr.pos, s.intact(pos, mr.pos, ix, before, dup)
	}
	spilled := s.hold.spilled
	stop := max(mr.pos, pos+1)
	q := s.resync(pos+1, stop)
	lim := stop
	tail := false
	switch {
	case q >= 0:
		lim = q
	case mr.eofHit:
		lim, tail = s.w.end(), true
	}
	if dup {
		return lim, nil
	}
	if pos < s.w.base {
		return s.lostHuge(lim, tail, "gzip member cut short")
	}
	mr2 := &memberReader{w: s.w, start: pos, pos: pos, limit: lim, patch: patch, scanned: pos + 1}
	if s.gz.Reset(mr2) == nil {
		s.decodeGzip(mr2, false, spilled)
	}
	if err := s.hold.emit(); err != nil {
		return 0, err
	}
	// deflate gives no block boundaries: the region is the member, less what was read of it
	r := region{from: pos, to: lim, tail: tail, what: "gzip member cut short", got: max(0, s.out.Lines()-before)}
	switch {
	case errors.Is(derr, gzip.ErrChecksum) && (q < 0 || q >= stop):
		r.what, r.exact, r.altered = "gzip checksum mismatch", true, true
	case q < 0 && !mr.eofHit:
		r.what = "gzip member damaged"
	}
	s.torn(r, ix, before)
	return lim, nil
}

func (s *scanner) decodeGzip(mr *memberReader, discard bool, skip int64) error {
	s.hold.begin(mr.start, mr.position, mr.safe)
	s.hold.discard, s.hold.skip = discard, skip
	defer func() { s.hold.active = false }()
	s.gz.Multistream(false)
	_, err := io.Copy(&s.hold, s.gz)
	return err
}
