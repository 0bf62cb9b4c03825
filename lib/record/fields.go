package record

// Kind is how a field's values are compared and shown.
type Kind int

const (
	KindString   Kind = iota
	KindNumber        // JSON number; compared as int64
	KindTime          // RFC 3339 string
	KindDuration      // derived from duration_ns; written "Y-M-D h:m:s"
	KindArray         // array of strings (argv); compared joined by single spaces
	KindBool
)

// Field describes one key of a row, as the query language and the formatter see it.
type Field struct {
	Name string
	Kind Kind
	// Optional numbers are absent on some rows (exit_status of an unfinished command, auid without
	// audit): on such a row every comparison with them is false. Other absent numbers read as 0
	// and absent strings as "".
	Optional bool
	// Derived fields are not in the record: they are computed from others.
	Derived bool
	// End fields only exist once a start is joined with its end.
	End bool
}

// Fields is every field a query or -f may name: the reference's, in the reference's order (which
// "-f all" prints), then prec's additions.
var Fields = []Field{
	{Name: "timestamp", Kind: KindTime},
	{Name: "end_timestamp", Kind: KindTime, End: true},
	{Name: "event_id"},
	{Name: "user"},
	{Name: "group"},
	{Name: "command", Derived: true},
	{Name: "uid", Kind: KindNumber},
	{Name: "gid", Kind: KindNumber},
	{Name: "auid", Kind: KindNumber, Optional: true},
	{Name: "session_id", Kind: KindNumber, Optional: true},
	{Name: "pid", Kind: KindNumber},
	{Name: "ppid", Kind: KindNumber},
	{Name: "comm"},
	{Name: "exe"},
	{Name: "cwd"},
	{Name: "argv", Kind: KindArray},
	{Name: "argc", Kind: KindNumber},
	{Name: "cgroup"},
	{Name: "tty"},
	{Name: "tty_nr", Kind: KindNumber},
	{Name: "source"},
	{Name: "record_type"},
	{Name: "exit_status", Kind: KindNumber, Optional: true, End: true},
	{Name: "duration_ns", Kind: KindNumber, Optional: true, End: true},
	{Name: "duration", Kind: KindDuration, Derived: true, End: true},
	{Name: "exec_errno", Kind: KindNumber, Optional: true},
	{Name: "exec_error"},
	{Name: "lost_samples", Kind: KindNumber, Optional: true},
	{Name: "lost_samples_total", Kind: KindNumber, Optional: true},
	{Name: "parent_comm"},
	{Name: "parent_exe"},
	{Name: "parent_cmdline"},
	{Name: "parent_tty"},
	{Name: "parent_tty_nr", Kind: KindNumber},

	// prec's additions (not part of "-f all", which stays the reference's list).
	{Name: "euid", Kind: KindNumber, Optional: true},
	{Name: "egid", Kind: KindNumber, Optional: true},
	{Name: "filename"},
	{Name: "interpreter"},
	{Name: "argv_raw", Kind: KindArray},
	{Name: "argv_truncated", Kind: KindBool},
	{Name: "exe_truncated", Kind: KindBool},
	{Name: "cwd_truncated", Kind: KindBool},
	{Name: "process_key"},
	{Name: "parent_key"},
	{Name: "thread_exec", Kind: KindBool},
	{Name: "exec_after_ponr", Kind: KindBool},
	{Name: "syscall"},
	{Name: "compat_32bit", Kind: KindBool},
	{Name: "signal", End: true},
	{Name: "core_dumped", Kind: KindBool, End: true},
	{Name: "replaced_by", End: true},
	{Name: "lost_starts", Kind: KindNumber, Optional: true},
	{Name: "lost_ends", Kind: KindNumber, Optional: true},
	{Name: "lost_fails", Kind: KindNumber, Optional: true},
	{Name: "lost_forks", Kind: KindNumber, Optional: true},
}

// NumReference is how many of Fields are the reference's: "-f all" selects Fields[:NumReference].
const NumReference = 34

var byName = func() map[string]*Field {
	m := make(map[string]*Field, len(Fields))
	for i := range Fields {
		m[Fields[i].Name] = &Fields[i]
	}
	return m
}()

// Lookup returns the field called name, or nil.
func Lookup(name string) *Field { return byName[name] }

// DefaultFields is what prec prints without -f.
var DefaultFields = []string{"timestamp", "user", "group", "command"}

// RawKeys are the record keys a field's value comes from: itself, or for derived fields (command,
// duration) and defaulted ones (euid, egid) the keys they are computed from.
func RawKeys(name string) []string {
	switch name {
	case "command":
		return []string{"argv", "exe", "comm"}
	case "duration":
		return []string{"duration_ns"}
	case "euid":
		return []string{"euid", "uid"}
	case "egid":
		return []string{"egid", "gid"}
	}
	return []string{name}
}
