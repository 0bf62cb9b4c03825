// Package pipeline runs stages connected as a shell pipeline would connect processes, in one process.
package pipeline

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
)

// Stage is one step: it reads r until it ends and writes to w. It never closes either.
type Stage struct {
	Name string // named in errors: "join: ..."
	Run  func(ctx context.Context, r io.Reader, w io.Writer) error
}

// Run connects stages: each runs in its own goroutine, reading what the previous one wrote. A stage
// that fails cancels the others; the error of the earliest failing stage is returned, named by its
// stage, except that a hard failure anywhere (a failed write, an unreadable file) comes before a
// partial one (bad input skipped, already reported), which would hide it. A reader that went away
// (the last stage's write fails with EPIPE, or a later stage stopped) is not an error.
func Run(ctx context.Context, in io.Reader, out io.Writer, stages ...Stage) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(stages))
	var wg sync.WaitGroup
	next := in
	for i, st := range stages {
		src, dst := next, out
		var pw *pipe
		if i < len(stages)-1 {
			pw = newPipe() // a few chunks of buffer: stages run side by side, as processes would
			dst, next = pw, pw
		}
		wg.Go(func() {
			bw := bufio.NewWriterSize(dst, 64<<10)
			err := st.Run(ctx, src, bw)
			partial := Partial(err)
			if err == nil || partial {
				if ferr := bw.Flush(); ferr != nil {
					err, partial = ferr, false
				}
			}
			if err != nil && !partial {
				cancel() // wakes stages blocked in a follow-mode read
			}
			if err != nil && !Stopped(err) {
				errs[i] = fmt.Errorf("%s: %w", st.Name, err)
			}
			if pw != nil {
				if partial {
					pw.CloseWithError(nil) // all we read was handled: downstream finishes its work
				} else {
					pw.CloseWithError(err) // downstream reads EOF, or our error
				}
			}
			if pr, ok := src.(*pipe); ok {
				pr.CloseRead() // upstream's next write fails: the in-process SIGPIPE
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !Partial(err) {
			return err
		}
	}
	return cmp.Or(errs...)
}

// Partial reports whether err says the stage did all it could but skipped bad input, which it
// reported already (it has a Partial() bool method saying so, as *jsonl.ProblemsError has): the
// stages after it still finish their work, and the error is not printed again.
func Partial(err error) bool {
	var p interface{ Partial() bool }
	return errors.As(err, &p) && p.Partial()
}

// Stopped reports whether err only says that the reader went away or the user stopped us.
func Stopped(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, context.Canceled)
}
