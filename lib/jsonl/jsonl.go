// Package jsonl reads and writes JSON Lines streams: a line reader with line numbers and a size cap,
// and the bookkeeping of bad records (report the first ten, count the rest, fail at the end).
package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
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
	if err == nil {
		r.line++
		return trimEOL(b), nil
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
	if err == io.EOF && len(b) > 0 {
		r.line++
		return b, nil
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

// Problems reports bad records: the first ten each on a line of their own, then only a count; Err
// says at the end whether any were seen. It is safe for concurrent use.
type Problems struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	n      int
}

const maxReported = 10

// NewProblems returns a Problems that writes "prefix message" lines to w (nil: nowhere).
func NewProblems(w io.Writer, prefix string) *Problems {
	return &Problems{w: w, prefix: prefix}
}

// Addf reports a problem with the record at line of src ("-" or "" for standard input).
func (p *Problems) Addf(src string, line int64, format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.w != nil && p.n <= maxReported {
		if src == "" {
			src = "-"
		}
		fmt.Fprintf(p.w, "%s%s:%d: %s\n", p.prefix, src, line, fmt.Sprintf(format, args...))
	}
}

// Warnf reports a problem that is not about one record (a corrupt region of a file). It counts as a
// problem: the run ends with exit status 1.
func (p *Problems) Warnf(format string, args ...any) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.w != nil {
		fmt.Fprintf(p.w, "%s%s\n", p.prefix, fmt.Sprintf(format, args...))
	}
}

// Count is how many problems were reported.
func (p *Problems) Count() int {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// ProblemsError is what Err returns: the run skipped bad input, which was reported already.
type ProblemsError struct{ N int }

func (e *ProblemsError) Error() string { return fmt.Sprintf("%d problems with the input", e.N) }

// Partial says the output is complete but for what was skipped.
func (e *ProblemsError) Partial() bool { return true }

// Err returns nil when nothing was reported, else a *ProblemsError, after writing a
// summary line when more than ten were reported.
func (p *Problems) Err() error {
	n := p.Count()
	if n == 0 {
		return nil
	}
	if n > maxReported && p.w != nil {
		p.mu.Lock()
		fmt.Fprintf(p.w, "%s%d problems in all (the first %d shown)\n", p.prefix, n, maxReported)
		p.mu.Unlock()
	}
	return &ProblemsError{N: n}
}

// FlushIdle flushes w (when it can be flushed) if r has nothing buffered, that is when the next read
// may block: a batch run stays buffered while a follow-mode run shows each record as it comes.
func FlushIdle(r *Reader, w io.Writer) error {
	if r.Buffered() > 0 {
		return nil
	}
	if f, ok := w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// Each calls fn with every non-empty line of in, and its number, until in ends, ctx is done or fn
// fails. It flushes out (when it can be flushed) whenever the next read may block, so that live input
// flows through; a line over MaxLine is reported to problems and skipped.
func Each(ctx context.Context, in io.Reader, out io.Writer, name string, problems *Problems, fn func(line []byte, n int64) error) error {
	r := NewReader(in, 0)
	for n := 0; ; n++ {
		if n&255 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := FlushIdle(r, out); err != nil {
			return err
		}
		line, err := r.Next()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, ErrTooLong):
			problems.Addf(name, r.Line(), "bad record: line longer than %d bytes", MaxLine)
			continue
		case err != nil:
			return err
		case len(line) == 0:
			continue
		}
		if err := fn(line, r.Line()); err != nil {
			return err
		}
	}
}
