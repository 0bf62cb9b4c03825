package jsonl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

type seen struct {
	lines []string
	nos   []int64
}

func (s *seen) fn(line []byte, n int64) error {
	s.lines = append(s.lines, string(line))
	s.nos = append(s.nos, n)
	return nil
}

func TestEach(t *testing.T) {
	long := strings.Repeat("x", MaxLine+1)
	in := "a\n\nb\r\n" + long + "\nc"
	var errs strings.Builder
	var s seen
	err := Each(context.Background(), strings.NewReader(in), io.Discard, "in", NewProblems(&errs, "p: "), s.fn)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.lines, s.nos); got != "[a b c] [1 3 5]" {
		t.Errorf("lines %s", got)
	}
	if errs.String() != fmt.Sprintf("p: in:4: bad record: line longer than %d bytes\n", MaxLine) {
		t.Errorf("problems %q", errs.String())
	}

	// fn's error ends the loop, and is returned.
	boom := errors.New("boom")
	n := 0
	err = Each(context.Background(), strings.NewReader("a\nb\nc\n"), io.Discard, "", nil, func([]byte, int64) error {
		n++
		return boom
	})
	if err != boom || n != 1 {
		t.Errorf("fn error: %v after %d lines", err, n)
	}

	// A done context ends it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Each(ctx, strings.NewReader("a\n"), io.Discard, "", nil, s.fn); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestEachFlush: the output is flushed before a read that may block, not after every line.
func TestEachFlush(t *testing.T) {
	pr, pw := io.Pipe()
	flushed := make(chan int, 10)
	var got []string
	go func() {
		<-flushed // before the first read
		pw.Write([]byte("a\nb\nc\n"))
		<-flushed // all three read from one write: one flush before the next read
		pw.Write([]byte("d\n"))
		<-flushed
		pw.Close()
	}()
	flushes := 0
	err := EachWith(context.Background(), pr, EachOptions{Flush: func() error {
		flushes++
		flushed <- len(got)
		return nil
	}}, func(line []byte, _ int64) error {
		got = append(got, string(line))
		return nil
	})
	if err != nil || strings.Join(got, "") != "abcd" || flushes != 3 {
		t.Errorf("err %v, lines %q, %d flushes (want 3)", err, got, flushes)
	}
	flushErr := errors.New("flush failed")
	err = EachWith(context.Background(), strings.NewReader("a\n"), EachOptions{Flush: func() error { return flushErr }}, (&seen{}).fn)
	if err != flushErr {
		t.Errorf("failing flush: %v", err)
	}
}

// TestEachPause: OnPause is called once, when the input first pauses, after the lines before it.
func TestEachPause(t *testing.T) {
	pr, pw := io.Pipe()
	paused := make(chan struct{})
	var got []string
	go func() {
		pw.Write([]byte("a\n"))
		<-paused
		pw.Write([]byte("b\nc\n"))
		time.Sleep(30 * time.Millisecond) // a second pause: no second call
		pw.Write([]byte("d\n"))
		pw.Close()
	}()
	calls := 0
	err := EachWith(context.Background(), pr, EachOptions{Pause: 5 * time.Millisecond, OnPause: func() error {
		calls++
		got = append(got, "|")
		close(paused)
		return nil
	}}, func(line []byte, _ int64) error {
		got = append(got, string(line))
		return nil
	})
	if err != nil || strings.Join(got, "") != "a|bcd" || calls != 1 {
		t.Errorf("err %v, got %q, %d calls", err, got, calls)
	}

	// ctx is seen while a read blocks.
	pr, pw = io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	err = EachWith(ctx, pr, EachOptions{Pause: time.Millisecond, OnPause: func() error { cancel(); return nil }}, (&seen{}).fn)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while blocked: %v", err)
	}

	// OnPause's error ends the loop.
	pr2, pw2 := io.Pipe()
	defer pw2.Close()
	boom := errors.New("boom")
	if err := EachWith(context.Background(), pr2, EachOptions{Pause: time.Millisecond, OnPause: func() error { return boom }}, (&seen{}).fn); err != boom {
		t.Errorf("OnPause error: %v", err)
	}
}
