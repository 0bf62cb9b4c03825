package jsonl

import (
	"fmt"
	"io"
	"sync"
)

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

// Partial says the output is complete but for what was skipped, and that the problems were
// reported already: the stages after this one finish their work, and nothing more is printed.
func (e *ProblemsError) Partial() bool { return true }

// ExitCode is 1: the run failed, if only in part.
func (e *ProblemsError) ExitCode() int { return 1 }

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
