package record

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as encoding/json would marshal it (same keys, order, omissions and escaping;
// a test compares the two), without reflection: precd encodes every exec with it.
func (r *Start) AppendJSON(b []byte) []byte {
	b = append(b, `{"timestamp":`...)
	b = AppendString(b, r.Timestamp)
	if r.EventID != "" {
		b = append(b, `,"event_id":`...)
		b = AppendString(b, r.EventID)
	}
	b = appendUint(b, `,"uid":`, uint64(r.UID))
	b = appendUint(b, `,"gid":`, uint64(r.GID))
	b = appendOptUint(b, `,"auid":`, r.AUID)
	b = appendOptUint(b, `,"session_id":`, r.SessionID)
	b = appendStr(b, `,"user":`, r.User)
	b = appendStr(b, `,"group":`, r.Group)
	b = appendUint(b, `,"pid":`, uint64(r.PID))
	b = appendUint(b, `,"ppid":`, uint64(r.PPID))
	b = appendStr(b, `,"comm":`, r.Comm)
	b = appendStr(b, `,"exe":`, r.Exe)
	b = appendStr(b, `,"cwd":`, r.Cwd)
	b = appendStrings(b, `,"argv":`, r.Argv, false)
	b = append(b, `,"argc":`...)
	b = strconv.AppendInt(b, int64(r.Argc), 10)
	b = appendOptStr(b, `,"cgroup":`, r.Cgroup)
	b = appendOptStr(b, `,"tty":`, r.TTY)
	if r.TTYNr != 0 {
		b = appendUint(b, `,"tty_nr":`, uint64(r.TTYNr))
	}
	b = appendStr(b, `,"source":`, r.Source)
	b = appendStr(b, `,"record_type":`, r.RecordType)
	if r.ExecErrno != nil {
		b = append(b, `,"exec_errno":`...)
		b = strconv.AppendInt(b, int64(*r.ExecErrno), 10)
	}
	b = appendOptStr(b, `,"exec_error":`, r.ExecError)
	b = appendOptStr(b, `,"parent_comm":`, r.ParentComm)
	b = appendOptStr(b, `,"parent_exe":`, r.ParentExe)
	b = appendOptStr(b, `,"parent_cmdline":`, r.ParentCmdline)
	b = appendOptStr(b, `,"parent_tty":`, r.ParentTTY)
	if r.ParentTTYNr != 0 {
		b = appendUint(b, `,"parent_tty_nr":`, uint64(r.ParentTTYNr))
	}
	b = appendOptUint(b, `,"euid":`, r.EUID)
	b = appendOptUint(b, `,"egid":`, r.EGID)
	b = appendOptStr(b, `,"filename":`, r.Filename)
	b = appendOptStr(b, `,"interpreter":`, r.Interpreter)
	b = appendStrings(b, `,"argv_raw":`, r.ArgvRaw, true)
	b = appendTrue(b, `,"argv_truncated":true`, r.ArgvTruncated)
	b = appendTrue(b, `,"argv_redacted":true`, r.ArgvRedacted)
	if len(r.ArgvRedactedIdx) > 0 {
		b = append(b, `,"argv_redacted_idx":[`...)
		for i, n := range r.ArgvRedactedIdx {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, ']')
	}
	b = appendTrue(b, `,"parent_cmdline_redacted":true`, r.ParentCmdlineRedacted)
	b = appendTrue(b, `,"exe_truncated":true`, r.ExeTruncated)
	b = appendTrue(b, `,"cwd_truncated":true`, r.CwdTruncated)
	b = appendOptStr(b, `,"process_key":`, r.ProcessKey)
	b = appendOptStr(b, `,"parent_key":`, r.ParentKey)
	b = appendTrue(b, `,"thread_exec":true`, r.ThreadExec)
	b = appendTrue(b, `,"exec_after_ponr":true`, r.ExecAfterPONR)
	b = appendOptStr(b, `,"syscall":`, r.SyscallFailure)
	b = appendTrue(b, `,"compat_32bit":true`, r.Compat32)
	b = r.Identity.appendJSON(b)
	return append(b, '}')
}

// AppendJSON appends r as encoding/json would marshal it.
func (r *End) AppendJSON(b []byte) []byte {
	b = append(b, `{"timestamp":`...)
	b = AppendString(b, r.Timestamp)
	b = appendStr(b, `,"event_id":`, r.EventID)
	b = appendUint(b, `,"pid":`, uint64(r.PID))
	b = appendStr(b, `,"source":`, r.Source)
	b = appendStr(b, `,"record_type":`, r.RecordType)
	if r.ExitStatus != nil {
		b = append(b, `,"exit_status":`...)
		b = strconv.AppendInt(b, int64(*r.ExitStatus), 10)
	}
	b = append(b, `,"duration_ns":`...)
	b = strconv.AppendInt(b, r.DurationNs, 10)
	b = appendOptStr(b, `,"signal":`, r.Signal)
	b = appendTrue(b, `,"core_dumped":true`, r.CoreDumped)
	b = appendOptStr(b, `,"replaced_by":`, r.ReplacedBy)
	b = r.Identity.appendJSON(b)
	return append(b, '}')
}

// appendJSON appends the identity keys that are set.
func (id *Identity) appendJSON(b []byte) []byte {
	b = appendOptStr(b, `,"host":`, id.Host)
	b = appendOptStr(b, `,"run_id":`, id.RunID)
	if id.Seq != 0 {
		b = appendUint(b, `,"seq":`, id.Seq)
	}
	return b
}

func appendUint(b []byte, key string, v uint64) []byte {
	return strconv.AppendUint(append(b, key...), v, 10)
}

func appendOptUint(b []byte, key string, v *uint32) []byte {
	if v == nil {
		return b
	}
	return appendUint(b, key, uint64(*v))
}

func appendStr(b []byte, key, v string) []byte { return AppendString(append(b, key...), v) }

func appendOptStr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendStr(b, key, v)
}

func appendTrue(b []byte, text string, v bool) []byte {
	if v {
		return append(b, text...)
	}
	return b
}

// appendStrings writes a string array; nil is null, or omitted with omitEmpty (also when empty).
func appendStrings(b []byte, key string, v []string, omitEmpty bool) []byte {
	if omitEmpty && len(v) == 0 {
		return b
	}
	b = append(b, key...)
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

// AppendString appends s as a JSON string the way encoding/json writes it: `"` and `\` escaped,
// control characters as \n \r \t \b \f or \u00XX, <, > and & as \u003c \u003e \u0026, U+2028 and
// U+2029 escaped, each invalid UTF-8 byte as \ufffd.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
