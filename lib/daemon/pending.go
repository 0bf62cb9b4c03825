package daemon

import (
	"os"
	"time"

	"github.com/prec-dev/prec/lib/record"
)

// unwritten counts the records precd could not keep while its log could not be written and the
// records held in memory reached max_pending_bytes: the oldest records are kept (a continuous run
// from the fault on), the later ones only counted, and a loss record says so once the log takes
// writes again.
type unwritten struct {
	starts, ends, fails uint64
	from, to            string // timestamps of the first and last record not kept
	reason              string
}

func (u *unwritten) add(typ, ts, reason string) {
	switch typ {
	case record.TypeStart:
		u.starts++
	case record.TypeEnd:
		u.ends++
	case record.TypeFail:
		u.fails++
	}
	if u.from == "" {
		u.from, u.reason = ts, reason
	}
	u.to = ts
}

func (u *unwritten) count() uint64 { return u.starts + u.ends + u.fails }

// lossRecord is the loss record for u; the kernel's counters are as they are now.
func (d *daemon) lossRecord(u *unwritten) *record.Loss {
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	now := time.Now()
	return &record.Loss{
		Timestamp: now.Format(time.RFC3339Nano),
		UID:       uid, GID: gid,
		User: d.names.user(uid, now), Group: d.names.group(gid, now),
		Comm: "precd", Exe: "precd", Argv: []string{"precd", "loss"}, Argc: 2,
		Source: record.SourceSystem, RecordType: record.TypeLoss,
		LostSamplesTotal: d.lostTotal,
		UnwrittenStarts:  u.starts, UnwrittenEnds: u.ends, UnwrittenFails: u.fails,
		UnwrittenFrom: u.from, UnwrittenTo: u.to, UnwrittenReason: u.reason,
	}
}
