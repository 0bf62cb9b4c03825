// Package record defines prec's log records: the JSON schema precd writes (record types start, end,
// fail, loss and daemon, with the reference's key names, types and order) and the joined command row, plus a
// scanner that reads single fields out of a record's raw JSON without decoding the whole line.
package record

// Record types.
const (
	TypeStart   = "start"
	TypeEnd     = "end"
	TypeFail    = "fail"
	TypeLoss    = "loss"
	TypeDaemon  = "daemon"  // precd itself: started, stopped, found its previous run crashed
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

	Identity
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

	Identity
}

// Self is precd itself as the process of the records it writes about itself (loss and daemon): its
// ids and names, "precd" as comm and exe, and argv "precd" and what the record is.
type Self struct {
	Timestamp  string   `json:"timestamp"`
	UID        uint32   `json:"uid"`
	GID        uint32   `json:"gid"`
	User       string   `json:"user"`
	Group      string   `json:"group"`
	PID        uint32   `json:"pid"`
	PPID       uint32   `json:"ppid"`
	Comm       string   `json:"comm"`
	Exe        string   `json:"exe"`
	Cwd        string   `json:"cwd"`
	Argv       []string `json:"argv"`
	Argc       int      `json:"argc"`
	Source     string   `json:"source"`
	RecordType string   `json:"record_type"`
}

// Loss is a loss record: events the kernel could not hand to precd, counted exactly.
type Loss struct {
	Self
	LostSamples      uint64 `json:"lost_samples"`
	LostSamplesTotal uint64 `json:"lost_samples_total"`

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

	Identity
}

// Identity names a record across hosts, precd runs and reboots: the host, the run (its event_id
// prefix), and the record's place in the run. Seq counts every record precd wrote in the run, from 1
// (records the filter rules drop take none), so a missing record is a gap. It is the last keys of
// every record type; logs written before it have none of them.
type Identity struct {
	Host  string `json:"host,omitempty"`
	RunID string `json:"run_id,omitempty"`
	Seq   uint64 `json:"seq,omitempty"`
}

// Daemon events.
const (
	EventStart   = "start"
	EventStop    = "stop"
	EventCrashed = "crashed" // the previous run on this log ended without its stop record
)

// Daemon is a lifecycle record: precd started, stopped, or found at start that the run before it on
// this log ended without a stop record (crash, kill -9, power loss). Its process fields are precd's,
// its argv "precd" and the event, so a text listing shows "precd start". The part for its event is
// set, the others nil.
type Daemon struct {
	Self
	Event string `json:"event"`

	*DaemonStart
	*DaemonStop
	*DaemonCrashed

	Identity
}

// DaemonStart is what a start record says about the run.
type DaemonStart struct {
	Version      string   `json:"version"`
	Kernel       string   `json:"kernel"`                  // uname release
	BootID       string   `json:"boot_id"`                 // /proc/sys/kernel/random/boot_id
	ConfigPath   string   `json:"config_path,omitempty"`   // the configuration file read
	ConfigSHA256 string   `json:"config_sha256,omitempty"` // of its bytes; absent when there was no file
	LogPath      string   `json:"log_path"`
	Attach       []string `json:"attach"` // the probes attached, as precd names them
}

// DaemonStop is what a stop record says: why precd stopped, and what this run wrote and lost.
type DaemonStop struct {
	Reason string `json:"reason"` // the signal (SIGTERM), or the error that stopped precd
	// Records handed to the log, by type (loss records included; daemon records are not counted).
	WrittenStarts uint64 `json:"written_starts"`
	WrittenEnds   uint64 `json:"written_ends"`
	WrittenFails  uint64 `json:"written_fails"`
	WrittenLosses uint64 `json:"written_losses"`
	// Events the kernel dropped in this run, by kind: the sums of the run's loss records.
	LostStarts uint64 `json:"lost_starts"`
	LostEnds   uint64 `json:"lost_ends"`
	LostFails  uint64 `json:"lost_fails"`
	LostForks  uint64 `json:"lost_forks"`
	// Records precd had but could not keep while its log took no writes: the sums of the run's
	// loss records' unwritten_* counts.
	UnwrittenStarts uint64 `json:"unwritten_starts"`
	UnwrittenEnds   uint64 `json:"unwritten_ends"`
	UnwrittenFails  uint64 `json:"unwritten_fails"`
}

// DaemonCrashed names the run before this one on the log, which ended without its stop record, and
// its last record found: nobody was recording from that record's time to this record's.
type DaemonCrashed struct {
	PrevRunID         string `json:"prev_run_id"`
	PrevLastTimestamp string `json:"prev_last_timestamp"`
	PrevLastSeq       uint64 `json:"prev_last_seq"`
}
