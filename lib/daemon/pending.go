package daemon

import (
	"github.com/prec-dev/prec/lib/record"
	"github.com/prec-dev/prec/lib/recorder"
)

// unwritten counts the records precd could not keep while its log could not be written and the
// records held in memory reached max_pending_bytes: the oldest records are kept (a continuous run
// from the fault on), the later ones only counted, and a loss record says so once the log takes
// writes again.
type unwritten struct{ recorder.Unwritten }

func (u *unwritten) add(typ, ts, reason string) {
	switch typ {
	case record.TypeStart:
		u.Starts++
	case record.TypeEnd:
		u.Ends++
	case record.TypeFail:
		u.Fails++
	}
	if u.From == "" {
		u.From, u.Reason = ts, reason
	}
	u.To = ts
}

func (u *unwritten) count() uint64 { return u.Starts + u.Ends + u.Fails }
