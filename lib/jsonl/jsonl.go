// Package jsonl reads and writes JSON Lines streams: a line reader with line numbers and a size cap,
// the bookkeeping of bad records (report the first ten, count the rest, fail at the end), one read
// loop for every stage (Each), and the last N lines (Last).
package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLine is the longest line a Reader returns by default: 16 MiB.
const MaxLine = 16 << 20

// ErrTooLong is returned by Next for a line longer than the reader's limit; the line is skipped.
var ErrTooLong = errors.New("line too long")

// Reader reads lines. It is not safe for concurrent use.
type Reader struct {
	br   *bufio.Reader
	max  int
	line int64
	buf  []byte
}

// NewReader returns a Reader of r with lines of up to max bytes (0: MaxLine).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = MaxLine
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next returns the next line without its newline; the slice is valid until the next call. A last line
// without a newline is returned too. At the end it returns io.EOF; for a line over the limit,
// ErrTooLong (the line is consumed, and counted).
func (r *Reader) Next() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	if err == nil || err == io.EOF && len(b) > 0 {
		r.line++
		if b = trimEOL(b); len(b) > r.max {
			return nil, ErrTooLong
		}
		return b, nil
	}
	if err == bufio.ErrBufferFull {
		r.buf = append(r.buf[:0], b...)
		for {
			b, err = r.br.ReadSlice('\n')
			if len(r.buf) <= r.max {
				r.buf = append(r.buf, b...)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF && len(r.buf) == 0 {
			return nil, io.EOF
		}
		r.line++
		if len(trimEOL(r.buf)) > r.max {
			return nil, ErrTooLong
		}
		return trimEOL(r.buf), nil
	}
	return nil, err
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// Line is the number of the line Next returned last, from 1.
func (r *Reader) Line() int64 { return r.line }

// Buffered is how many bytes can be read without blocking on the source.
func (r *Reader) Buffered() int { return r.br.Buffered() }
