package jsonl

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"
)

// Flush flushes w when it can be flushed (it has a Flush() error method, as *bufio.Writer has), and
// does nothing otherwise.
func Flush(w io.Writer) error {
	if f, ok := w.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// Each calls fn with every non-empty line of in, and its number, until in ends, ctx is done or fn
// fails. It flushes out (when it can be flushed) whenever the next read may block, so that live input
// flows through; a line over MaxLine is reported to problems and skipped. It is EachWith with
// EachOptions{Name: name, Problems: problems, Flush: out's Flush}.
func Each(ctx context.Context, in io.Reader, out io.Writer, name string, problems *Problems, fn func(line []byte, n int64) error) error {
	return EachWith(ctx, in, EachOptions{Name: name, Problems: problems, Flush: func() error { return Flush(out) }}, fn)
}

// EachOptions tunes EachWith; the zero value reads and calls fn, nothing more.
type EachOptions struct {
	Name     string    // the input's name in messages ("-": standard input)
	Problems *Problems // gets lines over MaxLine (nil: they are skipped silently)
	// Flush, if set, is called whenever the next read may block: a batch run stays buffered, a live
	// one shows each record as it comes. A failing Flush ends the loop with its error.
	Flush func() error
	// OnPause, if set, is called once, the first time no line has come for Pause (default
	// DefaultPause): with live input, what came before it is the backlog. The lines are then read
	// in a goroutine of their own, and ctx is seen even while a read blocks.
	OnPause func() error
	Pause   time.Duration
}

// DefaultPause is how long live input must pause for EachWith to call OnPause.
const DefaultPause = 300 * time.Millisecond

// EachWith calls fn with every non-empty line of in, and its number, until in ends (nil), ctx is done
// (ctx.Err()), or fn, a read, Flush or OnPause fails (that error). The line passed to fn is valid
// until fn returns.
func EachWith(ctx context.Context, in io.Reader, opt EachOptions, fn func(line []byte, n int64) error) error {
	r := NewReader(in, 0)
	if opt.OnPause != nil {
		return eachPausing(ctx, r, opt, fn)
	}
	for n := 0; ; n++ {
		if n&255 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if opt.Flush != nil && r.Buffered() == 0 {
			if err := opt.Flush(); err != nil {
				return err
			}
		}
		line, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err := handle(line, r.Line(), err, opt, fn); err != nil {
			return err
		}
	}
}

// handle passes one result of Next (not io.EOF) on to fn.
func handle(line []byte, no int64, err error, opt EachOptions, fn func([]byte, int64) error) error {
	switch {
	case errors.Is(err, ErrTooLong):
		opt.Problems.Addf(opt.Name, no, "bad record: line longer than %d bytes", MaxLine)
		return nil
	case err != nil:
		return err
	case len(line) == 0:
		return nil
	}
	return fn(line, no)
}

func eachPausing(ctx context.Context, r *Reader, opt EachOptions, fn func([]byte, int64) error) error {
	pause := opt.Pause
	if pause <= 0 {
		pause = DefaultPause
	}
	type item struct {
		line []byte
		no   int64
		err  error
	}
	ch := make(chan item, 256)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			line, err := r.Next()
			select {
			case ch <- item{slices.Clone(line), r.Line(), err}:
			case <-stop:
				return
			}
			if err != nil && !errors.Is(err, ErrTooLong) {
				return
			}
		}
	}()
	onPause := opt.OnPause
	var timer <-chan time.Time
	for {
		var it item
		select {
		case it = <-ch:
		default:
			// The next line is not there yet: show what we have, then wait for it.
			if opt.Flush != nil {
				if err := opt.Flush(); err != nil {
					return err
				}
			}
			if onPause != nil {
				timer = time.After(pause)
			}
			select {
			case it = <-ch:
			case <-ctx.Done():
				return ctx.Err()
			case <-timer:
				f := onPause
				onPause, timer = nil, nil
				if err := f(); err != nil {
					return err
				}
				continue
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if it.err == io.EOF {
			return nil
		}
		if err := handle(it.line, it.no, it.err, opt, fn); err != nil {
			return err
		}
	}
}
