package recorder

import (
	"bytes"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/record"
)

// Started writes the daemon record of precd's start, the first record of a run. It returns the
// Sink's error.
func (r *Recorder) Started(s record.DaemonStart) error {
	d := r.daemon(record.EventStart)
	d.DaemonStart = &s
	return r.writeDaemon(d)
}

// Crashed writes the daemon record that says the run before this one ended without its stop record
// (see PrevRun). It returns the Sink's error.
func (r *Recorder) Crashed(c record.DaemonCrashed) error {
	d := r.daemon(record.EventCrashed)
	d.DaemonCrashed = &c
	return r.writeDaemon(d)
}

// Stopped writes the daemon record of precd's stop, the last record of a run: the reason, and what
// the run wrote and lost. unwritten are the run's totals of records the Sink took but could not keep
// (they were counted as written). It returns the Sink's error.
func (r *Recorder) Stopped(reason string, unwritten Unwritten) error {
	d := r.daemon(record.EventStop)
	d.DaemonStop = &record.DaemonStop{
		Reason:        reason,
		WrittenStarts: r.written[0] - unwritten.Starts, WrittenEnds: r.written[1] - unwritten.Ends,
		WrittenFails: r.written[2] - unwritten.Fails, WrittenLosses: r.written[3],
		LostStarts: r.lost[bpfexec.CntExec], LostEnds: r.lost[bpfexec.CntExit],
		LostFails: r.lost[bpfexec.CntExecFail], LostForks: r.lost[bpfexec.CntFork],
		UnwrittenStarts: unwritten.Starts, UnwrittenEnds: unwritten.Ends, UnwrittenFails: unwritten.Fails,
	}
	return r.writeDaemon(d)
}

// daemon is a daemon record's common part: precd as the process, now as the time.
func (r *Recorder) daemon(event string) *record.Daemon {
	return &record.Daemon{Self: r.self(record.TypeDaemon, event), Event: event, Identity: r.identity()}
}

func (r *Recorder) writeDaemon(d *record.Daemon) error {
	r.buf = append(d.AppendJSON(r.buf[:0]), '\n')
	return r.write(r.buf, record.TypeDaemon, d.Timestamp)
}

// PrevRun looks at last, the last record of the log precd is about to write to (nil: the log has
// none), and returns what the crashed record says about the run that wrote it, or nil when there is
// nothing to say: no record, a run that ended with its stop record, or a record without run_id and seq
// (a log of a precd that wrote no lifecycle records, whose stop proves nothing). The error is a
// *record.SyntaxError: last is not a JSON object.
func PrevRun(last []byte) (*record.DaemonCrashed, error) {
	if len(bytes.TrimSpace(last)) == 0 {
		return nil, nil
	}
	v, err := record.NewView("record_type", "event", "run_id", "timestamp", "seq")
	if err != nil {
		panic(err) // the names are Fields
	}
	if err := v.Load(last); err != nil {
		return nil, err
	}
	typ, event, runID, ts := v.String(v.Col("record_type")), v.String(v.Col("event")), v.String(v.Col("run_id")), v.String(v.Col("timestamp"))
	n, _ := v.Int(v.Col("seq"))
	seq := uint64(max(n, 0))
	if runID == "" || seq == 0 || typ == record.TypeDaemon && event == record.EventStop {
		return nil, nil
	}
	return &record.DaemonCrashed{PrevRunID: runID, PrevLastTimestamp: ts, PrevLastSeq: seq}, nil
}
