package logio

import (
	"bytes"
	"sync/atomic"
)

// async runs a lines sink in a goroutine of its own, so that decoding the next unit overlaps with
// checking and writing the records of the last. Only the scanner that owns it calls its methods;
// before touching the lines sink directly, it calls sync.
type async struct {
	l       *lines
	ch      chan asyncMsg
	free    chan []byte
	failed  atomic.Pointer[error]
	n       int64 // whole lines, counted on this side
	partial bool  // bytes after the last newline
	closed  bool
}

type asyncMsg struct {
	b     []byte
	brk   bool
	reply chan struct{}
}

func newAsync(l *lines) *async {
	a := &async{l: l, ch: make(chan asyncMsg, 2), free: make(chan []byte, 4)}
	go a.loop()
	return a
}

func (a *async) loop() {
	for m := range a.ch {
		switch {
		case m.reply != nil:
			close(m.reply)
		case m.brk:
			a.l.Break()
		case a.failed.Load() == nil:
			if _, err := a.l.Write(m.b); err != nil {
				a.failed.Store(&err)
			}
		}
		if m.b != nil {
			select {
			case a.free <- m.b[:0]:
			default:
			}
		}
	}
}

func (a *async) err() error {
	if p := a.failed.Load(); p != nil {
		return *p
	}
	return nil
}

func (a *async) Write(p []byte) (int, error) {
	if err := a.err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	var b []byte
	select {
	case b = <-a.free:
	default:
	}
	a.ch <- asyncMsg{b: append(b, p...)}
	a.n += int64(bytes.Count(p, []byte{'\n'}))
	a.partial = p[len(p)-1] != '\n'
	return len(p), nil
}

// give is Write without a copy: b is the sink's from now on; it returns a buffer to reuse.
func (a *async) give(b []byte) ([]byte, error) {
	if err := a.err(); err != nil {
		return b[:0], err
	}
	if len(b) == 0 {
		return b, nil
	}
	a.n += int64(bytes.Count(b, []byte{'\n'}))
	a.partial = b[len(b)-1] != '\n'
	a.ch <- asyncMsg{b: b}
	select {
	case r := <-a.free:
		return r, nil
	default:
		return make([]byte, 0, cap(b)), nil
	}
}

func (a *async) Break() bool {
	cut := a.partial
	a.partial = false
	a.ch <- asyncMsg{brk: true}
	return cut
}

func (a *async) Lines() int64 { return a.n }

// sync waits until everything written went through the lines sink, and returns its write error.
func (a *async) sync() error {
	reply := make(chan struct{})
	a.ch <- asyncMsg{reply: reply}
	<-reply
	a.n, a.partial = a.l.n, len(a.l.part) > 0
	return a.err()
}

func (a *async) close() error {
	if a.closed {
		return a.err()
	}
	err := a.sync()
	a.closed = true
	close(a.ch)
	return err
}
