// Package logio reads and writes prec logs: plain, gzip (multi-member) and zstd (multi-frame) files,
// read as a sequence of units found by scanning (see docs of Cat); a log's rotated set in age order;
// following a log as it grows and rotates; and the writer precd logs with.
package logio

import "bytes"

// Compression of a log.
const (
	Plain = "no"
	Gzip  = "gz"
	Zstd  = "zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b, 0x08}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	skipTail  = []byte{0x2a, 0x4d, 0x18} // bytes 1-3 of a skippable frame's magic 0x184D2A5?
)

// Detect names the compression whose magic bytes head b.
func Detect(b []byte) string {
	switch {
	case bytes.HasPrefix(b, zstdMagic):
		return Zstd
	case bytes.HasPrefix(b, gzipMagic):
		return Gzip
	case isSkippableFrame(b):
		return Zstd
	}
	return Plain
}

// isSkippableFrame: zstd's skippable frames have magic 0x184D2A50..5F (little-endian).
func isSkippableFrame(b []byte) bool {
	return len(b) >= 4 && b[0]&0xf0 == 0x50 && bytes.Equal(b[1:4], skipTail)
}

// nextMagic returns the index of the first place in b where a zstd frame, a skippable frame or a gzip
// member may begin, or -1. A valid prec log holds none of them in plain text.
func nextMagic(b []byte) int {
	best := len(b)
	if i := bytes.Index(b, zstdMagic); i >= 0 {
		best = i
	}
	if i := bytes.Index(b[:best], gzipMagic); i >= 0 {
		best = i
	}
	for from := 1; from < best; {
		i := bytes.Index(b[from:best], skipTail)
		if i < 0 {
			break
		}
		if j := from + i - 1; b[j]&0xf0 == 0x50 {
			best = j
			break
		}
		from += i + 1
	}
	if best == len(b) {
		return -1
	}
	return best
}

// nearly says whether b differs from magic in exactly one byte: a magic a bit flip altered.
func nearly(b, magic []byte) bool {
	if len(b) < len(magic) {
		return false
	}
	diff := 0
	for i := range magic {
		if b[i] != magic[i] {
			diff++
		}
	}
	return diff == 1
}

// finder finds where units may begin in a window, for increasing offsets: it remembers where it
// saw each magic, so that a run of candidates (junk full of magic bytes) costs one pass, not one per
// candidate.
type finder struct {
	w        *window
	from, to [3]int64 // each magic was searched for in from..to
	hit      [3]int64 // and first found here, or -1
}

func newFinder(w *window) *finder {
	f := &finder{w: w}
	for k := range f.from {
		f.from[k], f.to[k] = -1, -1
	}
	return f
}

// next returns the first offset in from..to (clipped to what is buffered) where a unit may begin,
// or -1.
func (f *finder) next(from, to int64) int64 {
	to = min(to, f.w.end())
	best := int64(-1)
	for k := range f.hit {
		known := f.from[k] >= 0 && f.from[k] <= from && (f.hit[k] >= from || f.hit[k] < 0 && f.to[k] >= to)
		if !known {
			f.from[k], f.to[k], f.hit[k] = from, to, -1
			if i := findMagic(k, f.w.slice(from, to)); i >= 0 {
				f.hit[k] = from + int64(i)
			}
		}
		if h := f.hit[k]; h >= 0 && h < to && (best < 0 || h < best) {
			best = h
		}
	}
	return best
}

func findMagic(k int, b []byte) int {
	switch k {
	case 0:
		return bytes.Index(b, zstdMagic)
	case 1:
		return bytes.Index(b, gzipMagic)
	}
	for from := 1; from < len(b); {
		i := bytes.Index(b[from:], skipTail)
		if i < 0 {
			break
		}
		if j := from + i - 1; b[j]&0xf0 == 0x50 {
			return j
		}
		from += i + 1
	}
	return -1
}
