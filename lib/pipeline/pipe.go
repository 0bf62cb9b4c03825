package pipeline

import (
	"io"
	"sync"
)

// pipe connects two stages like a kernel pipe: writes are copied into a few buffered chunks, so the
// writer runs ahead of the reader instead of handing over control on every write as io.Pipe does.
// Closing either end makes the other side's next call fail, as with io.Pipe.
type pipe struct {
	ch     chan []byte
	free   chan []byte
	done   chan struct{} // closed when the reader goes away
	once   sync.Once
	mu     sync.Mutex
	werr   error // what the reader gets after the data: io.EOF or the writer's error
	cur    []byte
	closed bool
}

const (
	chunkSize = 64 << 10
	chunks    = 8
)

func newPipe() *pipe {
	p := &pipe{ch: make(chan []byte, chunks), free: make(chan []byte, chunks+1), done: make(chan struct{})}
	return p
}

// Write copies b into chunks; it fails with io.ErrClosedPipe once the reader has gone.
func (p *pipe) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		var c []byte
		select {
		case c = <-p.free:
			c = c[:0]
		default:
			c = make([]byte, 0, chunkSize)
		}
		k := min(len(b), chunkSize)
		c = append(c, b[:k]...)
		select {
		case p.ch <- c:
		case <-p.done:
			return n, io.ErrClosedPipe
		}
		n += k
		b = b[k:]
	}
	return n, nil
}

// CloseWithError ends the data: the reader gets err (nil: io.EOF) after what was written.
func (p *pipe) CloseWithError(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if err == nil {
		err = io.EOF
	}
	p.werr = err
	close(p.ch)
}

// Read returns written data, then the writer's error.
func (p *pipe) Read(b []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.cur != nil {
			select {
			case p.free <- p.cur[:0]:
			default:
			}
			p.cur = nil
		}
		select {
		case c, ok := <-p.ch:
			if !ok {
				p.mu.Lock()
				defer p.mu.Unlock()
				return 0, p.werr
			}
			p.cur = c
		case <-p.done:
			return 0, io.ErrClosedPipe
		}
	}
	n := copy(b, p.cur)
	p.cur = p.cur[n:]
	if len(p.cur) == 0 {
		p.cur = p.cur[:0:0]
	}
	return n, nil
}

// CloseRead says the reader went away: the writer's next Write fails (the in-process SIGPIPE).
func (p *pipe) CloseRead() { p.once.Do(func() { close(p.done) }) }
