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
	// from are the record keys the value is read from, when they are not just Name: those a
	// derived field is computed from, and for a defaulted one (euid, egid) the key then the
	// default. View defines how.
	from []string
}

// Fields is every field a query or -f may name: the reference's, in its table order ("-f all" puts
// the default four first, see format.ParseFields), then prec's additions.
var Fields = []Field{
	{Name: "timestamp", Kind: KindTime},
	{Name: "end_timestamp", Kind: KindTime, End: true},
	{Name: "event_id"},
	{Name: "user"},
	{Name: "group"},
	{Name: "command", Derived: true, from: []string{"argv", "exe", "comm"}}, // argv joined, else exe, else comm
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
	{Name: "duration", Kind: KindDuration, Derived: true, End: true, from: []string{"duration_ns"}}, // as FormatDuration writes it
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
	{Name: "euid", Kind: KindNumber, Optional: true, from: []string{"euid", "uid"}}, // written only where it differs from uid
	{Name: "egid", Kind: KindNumber, Optional: true, from: []string{"egid", "gid"}}, // and gid
	{Name: "filename"},
	{Name: "interpreter"},
	{Name: "argv_raw", Kind: KindArray},
	{Name: "argv_truncated", Kind: KindBool},
	{Name: "argv_redacted", Kind: KindBool},
	{Name: "argv_redacted_idx", Kind: KindArray}, // numbers, compared as text joined by spaces ("1 3")
	{Name: "parent_cmdline_redacted", Kind: KindBool},
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

	// Record identity (every record type; absent in logs written before it).
	{Name: "host"},
	{Name: "run_id"},
	{Name: "seq", Kind: KindNumber, Optional: true},
	{Name: "end_seq", Kind: KindNumber, Optional: true, End: true}, // the seq of the end record joined into a command

	// Lifecycle (record_type daemon).
	{Name: "event"},
	{Name: "version"},
	{Name: "kernel"},
	{Name: "boot_id"},
	{Name: "config_path"},
	{Name: "config_sha256"},
	{Name: "log_path"},
	{Name: "attach", Kind: KindArray},
	{Name: "reason"},
	{Name: "written_starts", Kind: KindNumber, Optional: true},
	{Name: "written_ends", Kind: KindNumber, Optional: true},
	{Name: "written_fails", Kind: KindNumber, Optional: true},
	{Name: "written_losses", Kind: KindNumber, Optional: true},
	{Name: "unwritten_starts", Kind: KindNumber, Optional: true},
	{Name: "unwritten_ends", Kind: KindNumber, Optional: true},
	{Name: "unwritten_fails", Kind: KindNumber, Optional: true},
	{Name: "prev_run_id"},
	{Name: "prev_last_timestamp", Kind: KindTime},
	{Name: "prev_last_seq", Kind: KindNumber, Optional: true},
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
