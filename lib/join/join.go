// Package join is the prec-join stage: a start record and the end record with the same event_id
// become one record of type command, carrying the end's time, exit status and duration.
package join

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/record"
)

// DefaultWindow is how many later records a start waits for its end by default.
const DefaultWindow = 20000

// Options tunes the join; the zero value is ready to use.
type Options struct {
	// Window bounds memory: a start waits for its end while fewer than Window later records have
	// been read, then goes out unfinished (its end, when it comes, is dropped). 0 means DefaultWindow.
	Window int
	// Follow prints each start at once as a provisional command row, and the finished row again when
	// its end comes, as `prec -F` shows them; rows are then not held back.
	Follow bool
	// DropEnds drops end records: each start goes out at once as a command row without end fields,
	// and a command is one row also when following. prec -F does this unless an end field
	// (exit_status, duration, ...) is shown or queried, as the reference does.
	DropEnds bool
	Name     string // the input's name in messages
	Problems *jsonl.Problems
}

type row struct {
	buf  []byte
	id   string
	done bool
}

type joiner struct {
	out     io.Writer
	opt     Options
	queue   []*row // rows in start order; the head goes out once done
	head    int
	pending map[string]*row
	view    *record.View
	typ, id record.Col
	free    [][]byte // buffers of rows already written, for new rows
}

// alloc returns an empty buffer of at least n bytes' capacity, reusing a written row's if it can.
func (j *joiner) alloc(n int) []byte {
	if k := len(j.free); k > 0 && cap(j.free[k-1]) >= n {
		b := j.free[k-1]
		j.free = j.free[:k-1]
		return b[:0]
	}
	return make([]byte, 0, max(n, 1024))
}

// Run reads records from in and writes rows to out in the order of their starts: a start with its end
// as a command row, a start whose end never came as a command row without end fields, every other
// record (fail, loss, unknown types) as it came. Ends whose start was not seen are dropped. Bad lines
// are reported to opt.Problems and skipped; the run then ends with the error of Problems.Err.
func Run(ctx context.Context, in io.Reader, out io.Writer, opt Options) error {
	if opt.Window <= 0 {
		opt.Window = DefaultWindow
	}
	j := newJoiner(out, opt)
	err := jsonl.Each(ctx, in, out, opt.Name, opt.Problems, func(line []byte, n int64) error {
		err := j.add(line)
		var se *record.SyntaxError
		if errors.As(err, &se) {
			opt.Problems.Addf(opt.Name, n, "bad record: %v", err)
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	for j.head < len(j.queue) && !opt.Follow { // in follow mode every start went out already
		if err := j.emitHead(); err != nil {
			return err
		}
	}
	return opt.Problems.Err()
}

var (
	typeKey = []byte(`record_type"`) // without the opening quote: searches that start with a
	idKey   = []byte(`event_id"`)    // letter jump further than ones that start with a quote
)

func newJoiner(out io.Writer, opt Options) *joiner {
	v, _ := record.NewView("record_type", "event_id")
	return &joiner{out: out, opt: opt, pending: map[string]*row{}, view: v, typ: v.Col("record_type"), id: v.Col("event_id")}
}

// fields finds record_type and event_id and where record_type's value is.
func (j *joiner) fields(line []byte) (typ, id []byte, typOff int, err error) {
	if err = j.view.Load(line); err != nil {
		return
	}
	typ, id = j.view.Raw(j.typ), j.view.Raw(j.id)
	if typ != nil {
		typOff = cap(line) - cap(typ)
	}
	return
}

var (
	startType   = []byte(`"start"`)
	endType     = []byte(`"end"`)
	commandType = []byte(`"command"`)
)

func (j *joiner) add(line []byte) error {
	typ, rawID, typOff, err := j.fields(line)
	if err != nil {
		return err
	}
	switch {
	case bytes.Equal(typ, startType):
		buf := j.alloc(len(line) + 160) // room for the end fields
		buf = append(buf, line[:typOff]...)
		buf = append(buf, commandType...)
		buf = append(buf, line[typOff+len(startType):]...)
		id, _ := record.String(rawID)
		if j.opt.Follow || j.opt.DropEnds && j.head == len(j.queue) {
			if err := j.write(buf); err != nil {
				return err
			}
			switch {
			case j.opt.DropEnds:
				j.free = append(j.free[:0], buf) // written: the next start reuses it
			case id != "":
				j.track(&row{buf: buf, id: id})
			}
			return nil
		}
		rw := &row{buf: buf, id: id, done: id == "" || j.opt.DropEnds}
		j.queue = append(j.queue, rw)
		if !rw.done {
			if old := j.pending[id]; old != nil {
				old.done = true // a repeated id: the earlier start will not get this end
			}
			j.pending[id] = rw
		}
	case bytes.Equal(typ, endType):
		if j.opt.DropEnds {
			return nil
		}
		id, _ := record.String(rawID)
		rw := j.pending[id]
		if rw == nil {
			return nil
		}
		delete(j.pending, id)
		rw.buf = splice(rw.buf, line)
		rw.done = true
		if j.opt.Follow {
			return j.write(rw.buf)
		}
	default:
		if j.opt.Follow || j.head == len(j.queue) {
			return j.write(line) // nothing held back: no need to keep a copy
		}
		j.queue = append(j.queue, &row{buf: bytes.Clone(line), done: true})
	}
	return j.drain()
}

// track remembers a provisional row in follow mode, forgetting the oldest beyond the window.
func (j *joiner) track(rw *row) {
	j.pending[rw.id] = rw
	j.queue = append(j.queue, rw)
	for len(j.queue)-j.head > j.opt.Window {
		old := j.queue[j.head]
		j.queue[j.head] = nil
		j.head++
		if j.pending[old.id] == old {
			delete(j.pending, old.id)
		}
	}
	j.compact()
}

func (j *joiner) drain() error {
	for j.head < len(j.queue) && (j.queue[j.head].done || len(j.queue)-j.head > j.opt.Window) {
		if err := j.emitHead(); err != nil {
			return err
		}
	}
	j.compact()
	return nil
}

func (j *joiner) emitHead() error {
	rw := j.queue[j.head]
	j.queue[j.head] = nil
	j.head++
	if !rw.done && j.pending[rw.id] == rw {
		delete(j.pending, rw.id) // out unfinished: its end will be dropped
	}
	err := j.write(rw.buf)
	if len(j.free) < 64 && cap(rw.buf) <= 64<<10 {
		j.free = append(j.free, rw.buf)
	}
	return err
}

func (j *joiner) compact() {
	if j.head > 1024 && j.head*2 > len(j.queue) {
		n := copy(j.queue, j.queue[j.head:])
		clear(j.queue[n:])
		j.queue = j.queue[:n]
		j.head = 0
	}
}

func (j *joiner) write(b []byte) error {
	if _, err := j.out.Write(b); err != nil {
		return err
	}
	_, err := j.out.Write([]byte{'\n'})
	return err
}

// splice adds the end record's fields to the start row: its timestamp as end_timestamp, its seq as
// end_seq, then every other field except those both records have (event_id, pid, source,
// record_type, host, run_id).
func splice(start, end []byte) []byte {
	i := bytes.LastIndexByte(start, '}')
	if i < 0 {
		return start
	}
	tail := bytes.Clone(start[i:])
	out := start[:i]
	first := len(bytes.TrimSpace(out)) == 1 // "{" alone: no member yet
	add := func(k, v []byte) {
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, '"')
		out = append(out, k...)
		out = append(out, '"', ':')
		out = append(out, v...)
	}
	_ = record.Scan(end, func(k, v []byte) bool {
		switch string(k) {
		case "timestamp":
			add([]byte("end_timestamp"), v)
		case "seq":
			add([]byte("end_seq"), v)
		case "event_id", "pid", "source", "record_type", "host", "run_id":
		default:
			add(k, v)
		}
		return true
	})
	return append(out, tail...)
}
