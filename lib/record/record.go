// Package record defines prec's log records: the JSON schema precd writes (record types start, end,
// fail and loss, with the reference's key names, types and order) and the joined command row, plus a
// scanner that reads single fields out of a record's raw JSON without decoding the whole line.
package record

// Record types.
const (
	TypeStart   = "start"
	TypeEnd     = "end"
	TypeFail    = "fail"
	TypeLoss    = "loss"
	TypeCommand = "command" // start and end joined by prec-join
)

// Source values.
const (
	SourceUser   = "user"
	SourceSystem = "system"
)

// Start is a start record (an exec) and, with the fail fields set, a fail record (an exec that
// failed). Key order is the reference's; fields after ParentTTYNr are prec's additions.
type Start struct {
	Timestamp     string   `json:"timestamp"`
	EventID       string   `json:"event_id,omitempty"`
	UID           uint32   `json:"uid"`
	GID           uint32   `json:"gid"`
	AUID          *uint32  `json:"auid,omitempty"`
	SessionID     *uint32  `json:"session_id,omitempty"`
	User          string   `json:"user"`
	Group         string   `json:"group"`
	PID           uint32   `json:"pid"`
	PPID          uint32   `json:"ppid"`
	Comm          string   `json:"comm"`
	Exe           string   `json:"exe"`
	Cwd           string   `json:"cwd"`
	Argv          []string `json:"argv"`
	Argc          int      `json:"argc"`
	Cgroup        string   `json:"cgroup,omitempty"`
	TTY           string   `json:"tty,omitempty"`
	TTYNr         uint32   `json:"tty_nr,omitempty"`
	Source        string   `json:"source"`
	RecordType    string   `json:"record_type"`
	ExecErrno     *int     `json:"exec_errno,omitempty"`
	ExecError     string   `json:"exec_error,omitempty"`
	ParentComm    string   `json:"parent_comm,omitempty"`
	ParentExe     string   `json:"parent_exe,omitempty"`
	ParentCmdline string   `json:"parent_cmdline,omitempty"`
	ParentTTY     string   `json:"parent_tty,omitempty"`
	ParentTTYNr   uint32   `json:"parent_tty_nr,omitempty"`

	// Additions. See the README's field table.
	EUID          *uint32  `json:"euid,omitempty"`        // only when it differs from uid
	EGID          *uint32  `json:"egid,omitempty"`        // only when it differs from gid
	Filename      string   `json:"filename,omitempty"`    // the path given to execve, when it differs from exe
	Interpreter   string   `json:"interpreter,omitempty"` // #! interpreter as the kernel ran it
	ArgvRaw       []string `json:"argv_raw,omitempty"`    // base64 of every argument, when one is not UTF-8
	ArgvTruncated bool     `json:"argv_truncated,omitempty"`
	// Redaction (lib/redact) hid a secret: in these arguments (indexes into argv), in parent_cmdline.
	ArgvRedacted          bool   `json:"argv_redacted,omitempty"`
	ArgvRedactedIdx       []int  `json:"argv_redacted_idx,omitempty"`
	ParentCmdlineRedacted bool   `json:"parent_cmdline_redacted,omitempty"`
	ExeTruncated          bool   `json:"exe_truncated,omitempty"`
	CwdTruncated          bool   `json:"cwd_truncated,omitempty"`
	ProcessKey            string `json:"process_key,omitempty"` // "pid@start": names the process across execs
	ParentKey             string `json:"parent_key,omitempty"`  // the parent's process_key
	ThreadExec            bool   `json:"thread_exec,omitempty"` // exec called by a non-leader thread
	ExecAfterPONR         bool   `json:"exec_after_ponr,omitempty"`
	SyscallFailure        string `json:"syscall,omitempty"`      // fail: execve or execveat
	Compat32              bool   `json:"compat_32bit,omitempty"` // fail: a 32-bit (ia32) syscall
}

// End is an end record: the exit of a started process, or its replacement by a later exec.
type End struct {
	Timestamp  string `json:"timestamp"`
	EventID    string `json:"event_id"`
	PID        uint32 `json:"pid"`
	Source     string `json:"source"`
	RecordType string `json:"record_type"`
	ExitStatus *int   `json:"exit_status,omitempty"`
	DurationNs int64  `json:"duration_ns"`

	// Additions.
	Signal     string `json:"signal,omitempty"`      // the signal that killed the process, e.g. SIGKILL
	CoreDumped bool   `json:"core_dumped,omitempty"` // it left a core dump
	ReplacedBy string `json:"replaced_by,omitempty"` // a later exec in the same process replaced this image: its event_id
}

// Loss is a loss record: events the kernel could not hand to precd, counted exactly.
type Loss struct {
	Timestamp        string   `json:"timestamp"`
	UID              uint32   `json:"uid"`
	GID              uint32   `json:"gid"`
	User             string   `json:"user"`
	Group            string   `json:"group"`
	PID              uint32   `json:"pid"`
	PPID             uint32   `json:"ppid"`
	Comm             string   `json:"comm"`
	Exe              string   `json:"exe"`
	Cwd              string   `json:"cwd"`
	Argv             []string `json:"argv"`
	Argc             int      `json:"argc"`
	Source           string   `json:"source"`
	RecordType       string   `json:"record_type"`
	LostSamples      uint64   `json:"lost_samples"`
	LostSamplesTotal uint64   `json:"lost_samples_total"`

	// Additions: lost_samples split by what was lost. A lost fork only costs the parent_exe and
	// parent_cmdline of commands that process runs before its own exec.
	LostStarts uint64 `json:"lost_starts"`
	LostEnds   uint64 `json:"lost_ends"`
	LostFails  uint64 `json:"lost_fails"`
	LostForks  uint64 `json:"lost_forks"`

	// Records precd had but could not write (the log's file system full or read-only, the log
	// not reopened) once it held max_pending_bytes of them in memory: counted by type, with the
	// timestamps of the first and last, and the write error that caused it.
	UnwrittenStarts uint64 `json:"unwritten_starts,omitempty"`
	UnwrittenEnds   uint64 `json:"unwritten_ends,omitempty"`
	UnwrittenFails  uint64 `json:"unwritten_fails,omitempty"`
	UnwrittenFrom   string `json:"unwritten_from,omitempty"`
	UnwrittenTo     string `json:"unwritten_to,omitempty"`
	UnwrittenReason string `json:"unwritten_reason,omitempty"`
}
