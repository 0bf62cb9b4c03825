package record

import "strconv"

// AppendJSON appends r as encoding/json would marshal it (a test compares the two).
func (r *Loss) AppendJSON(b []byte) []byte {
	b = r.Self.appendJSON(b)
	b = appendUint(b, `,"lost_samples":`, r.LostSamples)
	b = appendUint(b, `,"lost_samples_total":`, r.LostSamplesTotal)
	b = appendUint(b, `,"lost_starts":`, r.LostStarts)
	b = appendUint(b, `,"lost_ends":`, r.LostEnds)
	b = appendUint(b, `,"lost_fails":`, r.LostFails)
	b = appendUint(b, `,"lost_forks":`, r.LostForks)
	b = appendOptUint64(b, `,"unwritten_starts":`, r.UnwrittenStarts)
	b = appendOptUint64(b, `,"unwritten_ends":`, r.UnwrittenEnds)
	b = appendOptUint64(b, `,"unwritten_fails":`, r.UnwrittenFails)
	b = appendOptStr(b, `,"unwritten_from":`, r.UnwrittenFrom)
	b = appendOptStr(b, `,"unwritten_to":`, r.UnwrittenTo)
	b = appendOptStr(b, `,"unwritten_reason":`, r.UnwrittenReason)
	b = r.Identity.appendJSON(b)
	return append(b, '}')
}

func appendInt(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(append(b, key...), v, 10)
}

func appendOptUint64(b []byte, key string, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendUint(b, key, v)
}

// appendJSON opens a record with precd's process fields, as encoding/json would write them.
func (r *Self) appendJSON(b []byte) []byte {
	b = append(b, `{"timestamp":`...)
	b = AppendString(b, r.Timestamp)
	b = appendUint(b, `,"uid":`, uint64(r.UID))
	b = appendUint(b, `,"gid":`, uint64(r.GID))
	b = appendStr(b, `,"user":`, r.User)
	b = appendStr(b, `,"group":`, r.Group)
	b = appendUint(b, `,"pid":`, uint64(r.PID))
	b = appendUint(b, `,"ppid":`, uint64(r.PPID))
	b = appendStr(b, `,"comm":`, r.Comm)
	b = appendStr(b, `,"exe":`, r.Exe)
	b = appendStr(b, `,"cwd":`, r.Cwd)
	b = appendStrings(b, `,"argv":`, r.Argv, false)
	b = appendInt(b, `,"argc":`, int64(r.Argc))
	b = appendStr(b, `,"source":`, r.Source)
	b = appendStr(b, `,"record_type":`, r.RecordType)
	return b
}
