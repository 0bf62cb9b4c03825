package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
)

func upper(ctx context.Context, r io.Reader, w io.Writer) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, err = w.Write(bytes.ToUpper(b))
	return err
}

func source(n int) func(context.Context, io.Reader, io.Writer) error {
	return func(ctx context.Context, _ io.Reader, w io.Writer) error {
		for i := 0; i < n; i++ {
			if _, err := fmt.Fprintf(w, "line %d\n", i); err != nil {
				return err
			}
		}
		return nil
	}
}

type partialErr struct{}

func (partialErr) Error() string { return "2 problems" }
func (partialErr) Partial() bool { return true }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	err := Run(context.Background(), nil, &out, Stage{"src", source(100000)}, Stage{"up", upper})
	if err != nil || !strings.HasPrefix(out.String(), "LINE 0\n") || strings.Count(out.String(), "\n") != 100000 {
		t.Fatalf("err %v, %d lines", err, strings.Count(out.String(), "\n"))
	}

	// The reader goes away (| head): the writer's next write fails, and that is not an error.
	out.Reset()
	head := func(ctx context.Context, r io.Reader, w io.Writer) error {
		b := make([]byte, 10)
		io.ReadFull(r, b)
		w.Write(b)
		return nil
	}
	if err := Run(context.Background(), nil, &out, Stage{"src", source(1 << 20)}, Stage{"head", head}); err != nil || out.String() != "line 0\nlin" {
		t.Errorf("head: %v %q", err, out.String())
	}

	// A failing stage is named; the stages after it see its error, which is not repeated.
	boom := func(ctx context.Context, r io.Reader, w io.Writer) error { return errors.New("boom") }
	err = Run(context.Background(), nil, io.Discard, Stage{"src", source(10)}, Stage{"mid", boom}, Stage{"up", upper})
	if err == nil || err.Error() != "mid: boom" {
		t.Errorf("failing stage: %v", err)
	}

	// Partial: the output of what was read still flows on; the error is reported at the end.
	out.Reset()
	part := func(ctx context.Context, r io.Reader, w io.Writer) error {
		w.Write([]byte("kept\n"))
		return partialErr{}
	}
	err = Run(context.Background(), nil, &out, Stage{"p", part}, Stage{"up", upper})
	if !Partial(err) || out.String() != "KEPT\n" {
		t.Errorf("partial: %v %q", err, out.String())
	}

	// The final writer's EPIPE is a reader that went away.
	err = Run(context.Background(), nil, epipe{}, Stage{"src", source(10)})
	if err != nil {
		t.Errorf("EPIPE: %v", err)
	}
}

// TestHardBeforePartial: a disk that fills after bad records were reported is what the run says,
// not the count of bad records.
func TestHardBeforePartial(t *testing.T) {
	bad := func(ctx context.Context, _ io.Reader, w io.Writer) error {
		if _, err := w.Write([]byte("kept\n")); err != nil {
			return err
		}
		return partialErr{}
	}
	out := enospc{}
	err := Run(context.Background(), nil, out, Stage{"cat", bad}, Stage{"join", upper}, Stage{"fmt", upper})
	if err == nil || Partial(err) || !errors.Is(err, syscall.ENOSPC) || err.Error() != "fmt: write /dev/stdout: no space left on device" {
		t.Errorf("got %v, want fmt's ENOSPC", err)
	}
	// Partial alone is what is returned.
	err = Run(context.Background(), nil, io.Discard, Stage{"cat", bad}, Stage{"fmt", upper})
	if !Partial(err) || err.Error() != "cat: 2 problems" {
		t.Errorf("partial alone: %v", err)
	}
}

type enospc struct{}

func (enospc) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
}

type epipe struct{}

func (epipe) Write([]byte) (int, error) { return 0, syscall.EPIPE }
