package recorder

import (
	"fmt"
	"time"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/record"
)

// Dropped takes the kernel's drop counters (totals since the probe was loaded, by event kind) and
// returns how many events were dropped since the last call. New drops are a loss record with the
// counts by kind and the run's total when lost_samples_action is "log"; with "ignore" they are only
// counted; with "stop" Dropped returns an error. It also returns the Sink's error.
func (r *Recorder) Dropped(dropped [bpfexec.NumCounters]uint64) (uint64, error) {
	var delta [bpfexec.NumCounters]uint64
	var sum uint64
	for i := range dropped {
		delta[i] = dropped[i] - r.seenDropped[i]
		r.lost[i] += delta[i]
		sum += delta[i]
	}
	r.seenDropped = dropped
	if sum == 0 {
		return 0, nil
	}
	r.lostTotal += sum
	switch r.cfg.LostSamplesAction {
	case "ignore":
		return sum, nil
	case "stop":
		return sum, fmt.Errorf("lost %d events (%d in all): lost_samples_action is stop", sum, r.lostTotal)
	}
	l := r.loss()
	l.LostSamples = sum
	l.LostStarts, l.LostEnds, l.LostFails, l.LostForks = delta[bpfexec.CntExec], delta[bpfexec.CntExit], delta[bpfexec.CntExecFail], delta[bpfexec.CntFork]
	return sum, r.writeLoss(l)
}

// Unwritten counts the records precd had but could not write, by type, with the timestamps of the
// first and last and the write error that caused it.
type Unwritten struct {
	Starts, Ends, Fails uint64
	From, To            string
	Reason              string
}

// Unwritten emits the loss record for records precd could not write (its counters of dropped events
// are as Dropped last saw them). It returns the Sink's error.
func (r *Recorder) Unwritten(u Unwritten) error {
	l := r.loss()
	l.UnwrittenStarts, l.UnwrittenEnds, l.UnwrittenFails = u.Starts, u.Ends, u.Fails
	l.UnwrittenFrom, l.UnwrittenTo, l.UnwrittenReason = u.From, u.To, u.Reason
	return r.writeLoss(l)
}

// loss is a loss record's common part: precd as the process, now as the time.
func (r *Recorder) loss() *record.Loss {
	self := r.self(record.TypeLoss, "loss")
	self.PID, self.PPID = 0, 0 // as loss records always were
	return &record.Loss{Self: self, LostSamplesTotal: r.lostTotal, Identity: r.identity()}
}

// self is precd as the process of a record about itself (loss, daemon), now as its time.
func (r *Recorder) self(typ, what string) record.Self {
	now := r.opt.Now()
	uid, gid := r.opt.UID, r.opt.GID
	return record.Self{
		Timestamp: now.Format(time.RFC3339Nano),
		UID:       uid, GID: gid,
		User: r.names.user(uid, now), Group: r.names.group(gid, now),
		PID: r.opt.PID, PPID: r.opt.PPID,
		Comm: "precd", Exe: "precd", Argv: []string{"precd", what}, Argc: 2,
		Source: record.SourceSystem, RecordType: typ,
	}
}

func (r *Recorder) writeLoss(l *record.Loss) error {
	r.buf = append(l.AppendJSON(r.buf[:0]), '\n')
	return r.write(r.buf, record.TypeLoss, l.Timestamp)
}
