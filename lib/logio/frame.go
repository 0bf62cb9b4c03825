package logio

import (
	"errors"
	"io"
)

// frameReader hands a decoder the zstd frame at start, as far as its headers say and no further:
// not past limit, not past a block header that cannot be one. It notes magic bytes inside blocks.
type frameReader struct {
	w          *window
	start, pos int64
	end        int64 // end of the piece being handed out
	limit      int64 // -1: none
	patch      []byte
	state      int
	last       bool
	hasSum     bool
	cand       bool // a unit plausibly begins inside a block: the frame may be torn
	check      func(at int64) bool
	find       *finder
	stop       int64 // where the walk stopped early
	bad        bool  // at a header that cannot be one
	eofHit     bool  // at the end of the input
	short      bool  // a piece did not fit: in the input, before limit, or before a unit
	sumCut     bool  // every block there, the checksum cut short
}

const (
	frHeader = iota
	frBlock
	frSum
	frDone
)

var errBadFrame = errors.New("bad zstd frame")

func (r *frameReader) position() int64 { return r.pos }
func (r *frameReader) safe() bool      { return !r.cand }

// unitIn says whether a unit plausibly begins in from..to (to clipped to what is buffered).
func (r *frameReader) unitIn(from, to int64) bool {
	if r.find == nil {
		r.find = newFinder(r.w)
	}
	for from < to {
		at := r.find.next(from, to)
		if at < 0 {
			return false
		}
		if r.check(at) {
			return true
		}
		from = at + 1
	}
	return false
}

// walk follows the headers of the frame to its end, decoding nothing.
func (r *frameReader) walk() (int64, bool) {
	for {
		if err := r.next(); err != nil {
			return r.pos, r.state == frDone
		}
		r.pos = r.end
	}
}

func (r *frameReader) Read(p []byte) (int, error) {
	for r.pos == r.end {
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	b := r.w.slice(r.pos, min(r.end, r.pos+int64(len(p))))
	n := copy(p, b)
	if r.patch != nil && r.pos < r.start+int64(len(r.patch)) {
		copy(p[:n], r.patch[r.pos-r.start:])
	}
	r.pos += int64(n)
	return n, nil
}

func (r *frameReader) have(end int64) bool {
	if r.limit >= 0 && end > r.limit {
		r.short = true
		return false
	}
	if !r.w.fill(end) {
		r.eofHit, r.short = true, true
		return false
	}
	return true
}

func (r *frameReader) fail(bad bool) error {
	r.stop, r.bad = r.pos, bad
	if bad {
		return errBadFrame
	}
	return io.ErrUnexpectedEOF
}

func (r *frameReader) next() error {
	switch r.state {
	case frHeader:
		if !r.have(r.pos + 5) {
			return r.fail(false)
		}
		fhd := r.w.slice(r.pos+4, r.pos+5)[0]
		if fhd&0x08 != 0 {
			return r.fail(true)
		}
		single := fhd&0x20 != 0
		hdr := int64(5)
		if !single {
			hdr++ // window descriptor
		}
		hdr += []int64{0, 1, 2, 4}[fhd&3] // dictionary id
		switch fcs := fhd >> 6; {
		case fcs == 0 && single:
			hdr++
		case fcs == 1:
			hdr += 2
		case fcs == 2:
			hdr += 4
		case fcs == 3:
			hdr += 8
		}
		if !r.have(r.pos + hdr) {
			return r.fail(false)
		}
		r.hasSum = fhd&0x04 != 0
		r.end, r.state = r.pos+hdr, frBlock
	case frBlock:
		if r.last {
			r.state = frDone
			if r.hasSum {
				r.state = frSum
			}
			return nil
		}
		if !r.have(r.pos + 3) {
			return r.fail(false)
		}
		bh := r.w.slice(r.pos, r.pos+3)
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		typ, size := (v>>1)&3, int64(v>>3)
		if typ == 1 { // RLE: one byte stored
			size = 1
		}
		if typ == 3 || size > 128<<10 {
			return r.fail(true)
		}
		// Following a file, the rest of a block may come late; but when a unit begins where it
		// should be, this block was torn: do not wait for its rest.
		for seen := r.pos + 3; r.w.growing && r.check != nil && r.w.end() < r.pos+3+size; {
			if r.unitIn(seen, r.w.end()) {
				r.short = true
				return r.fail(false)
			}
			seen = max(seen, r.w.end()-3)
			if r.limit >= 0 && r.w.end() >= r.limit || !r.w.more() {
				break
			}
		}
		if !r.have(r.pos + 3 + size) {
			return r.fail(false)
		}
		if !r.cand && r.check != nil {
			r.cand = r.unitIn(r.pos+3, r.pos+3+size+3)
		}
		r.end, r.last = r.pos+3+size, v&1 != 0
		if r.limit < 0 && r.pos-r.w.keep > 2*keepBehind { // a huge frame: bound the memory
			r.w.release(r.pos - keepBehind)
		}
	case frSum:
		if !r.have(r.pos + 4) {
			r.sumCut = true
			return r.fail(false)
		}
		r.end, r.state = r.pos+4, frDone
	case frDone:
		r.stop = r.pos
		return io.EOF
	}
	return nil
}

// memberReader hands a gzip decoder the bytes from start, byte by byte as it asks (so that it reads
// no further than its member), not past limit. It notes magic bytes inside the member.
type memberReader struct {
	w          *window
	start, pos int64
	limit      int64
	patch      []byte
	scanned    int64 // no magic in start+1..scanned
	cand       bool  // a unit plausibly begins ahead, maybe inside the member
	check      func(at int64) bool
	find       *finder
	eofHit     bool
}

func (r *memberReader) position() int64 { return r.pos }
func (r *memberReader) safe() bool      { return !r.cand }

func (r *memberReader) have() bool {
	if r.limit >= 0 && r.pos >= r.limit {
		return false
	}
	if r.pos >= r.w.end() && !r.w.fill(r.pos+1) {
		r.eofHit = true
		return false
	}
	if r.pos >= r.scanned && !r.cand && r.check != nil {
		end := r.w.end()
		if r.find == nil {
			r.find = newFinder(r.w)
		}
		if at := r.find.next(r.scanned, end); at >= 0 {
			r.cand, r.scanned = r.check(at), at+1
		} else {
			r.scanned = max(r.scanned, end-3)
		}
		if r.limit < 0 && r.pos-r.w.keep > 2*keepBehind {
			r.w.release(r.pos - keepBehind)
		}
	}
	return true
}

func (r *memberReader) ReadByte() (byte, error) {
	if !r.have() {
		return 0, io.EOF
	}
	b := r.w.buf[r.pos-r.w.base]
	if r.patch != nil && r.pos < r.start+int64(len(r.patch)) {
		b = r.patch[r.pos-r.start]
	}
	r.pos++
	return b, nil
}

func (r *memberReader) Read(p []byte) (int, error) {
	if !r.have() {
		return 0, io.EOF
	}
	end := r.w.end()
	if r.limit >= 0 {
		end = min(end, r.limit)
	}
	n := copy(p, r.w.slice(r.pos, end))
	if r.patch != nil && r.pos < r.start+int64(len(r.patch)) {
		copy(p[:n], r.patch[r.pos-r.start:])
	}
	r.pos += int64(n)
	return n, nil
}
