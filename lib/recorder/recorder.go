// Package recorder turns precd's kernel events into log records: a pure function of the events
// (exec, failed exec, exit, fork, drop counters) that owns the process table, the user and group
// names, the filter rules, the event ids, the clock offset and the encoding of every record type.
// It does no I/O of its own: records go to a Sink, names come from a Names, time from the clocks in
// Options. How the kernel fills the events: docs/kernel.md.
package recorder

import (
	"bytes"
	"encoding/base64"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/record"
	"golang.org/x/sys/unix"
)

// Sink takes the records a Recorder emits, in order: one JSON line ending in a newline, its record
// type and its timestamp. line is only valid during the call. An error from Write is returned by the
// Recorder method that emitted the record.
type Sink interface {
	Write(line []byte, typ, timestamp string) error
}

// Options are the Recorder's inputs besides the configuration and the events.
type Options struct {
	Prefix string // event_id prefix: event ids are Prefix-1, Prefix-2, …
	Names  Names  // account names; nil means SystemNames
	// Now is the wall clock (loss record timestamps, the name cache); nil means time.Now.
	Now func() time.Time
	// Mono is CLOCK_MONOTONIC in ns, the clock of the events' ktime; nil means the real one.
	// SyncClock takes Now - Mono as the offset from event time to wall time.
	Mono func() int64
	// UID and GID are precd's own, for its loss and daemon records; PID and PPID too, for its
	// daemon records.
	UID, GID  uint32
	PID, PPID uint32
}

// Recorder maps events to records. It is not safe for concurrent use.
type Recorder struct {
	cfg   *config.Config
	sink  Sink
	opt   Options
	rules *config.Rules
	procs map[uint32]*proc
	names *names

	nextID  uint64
	monoOff int64 // wall - monotonic, ns

	lostTotal   uint64
	lost        [bpfexec.NumCounters]uint64 // by kind, since the start
	seenDropped [bpfexec.NumCounters]uint64

	seq     uint64    // of the last record written
	written [4]uint64 // records written, by kind (starts, ends, fails, losses)

	args [][]byte // the arguments of the exec being recorded
	line []byte   // the start record being decided on
	buf  []byte   // the other records
}

// New returns a Recorder for cfg (max_args, max_arg_length, the rules, lost_samples_action) writing
// to sink. It calls SyncClock once.
func New(cfg *config.Config, sink Sink, opt Options) *Recorder {
	if opt.Names == nil {
		opt.Names = SystemNames{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Mono == nil {
		opt.Mono = monotonic
	}
	r := &Recorder{cfg: cfg, sink: sink, opt: opt, rules: cfg.Rules, procs: map[uint32]*proc{}, names: newNames(opt.Names)}
	r.SyncClock()
	return r
}

func monotonic() int64 {
	var mono unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	return mono.Nano()
}

// SyncClock measures again the offset from the events' monotonic time to wall time, which moves
// when the wall clock is set or slewed. precd calls it every second.
func (r *Recorder) SyncClock() {
	mono := r.opt.Mono()
	r.monoOff = r.opt.Now().UnixNano() - mono
}

// LostTotal returns how many events the kernel dropped since the Recorder started, as counted by
// Dropped.
func (r *Recorder) LostTotal() uint64 { return r.lostTotal }

// Running adds a process that was running before the events began, from /proc: its start time in
// clock ticks since boot (/proc/PID/stat's starttime), so its children's start records name it as
// their parent.
// argv is its arguments as /proc/PID/cmdline holds them; redaction sees each one whole.
func (r *Recorder) Running(pid uint32, startTicks uint64, exe string, argv []string) {
	hidden := 0
	if r.cfg.Redactor.Len() > 0 {
		if out, idx := r.cfg.Redactor.ApplyStrings(exe, argv); idx != nil {
			argv, hidden = out, hiddenAt(out, idx)
		}
	}
	cmdline := strings.Join(argv, " ")
	r.procs[pid] = &proc{pid: pid, startBoot: startTicks * tickNs, approx: true, exe: exe, cmdline: cmdline, hidden: hidden}
}

// identity is the identity of the next record written.
func (r *Recorder) identity() record.Identity {
	return record.Identity{Host: r.cfg.Hostname, RunID: r.opt.Prefix, Seq: r.seq + 1}
}

// write hands a record with the next seq to the Sink.
func (r *Recorder) write(line []byte, typ, ts string) error {
	r.seq++
	if err := r.sink.Write(line, typ, ts); err != nil {
		return err
	}
	switch typ {
	case record.TypeStart:
		r.written[0]++
	case record.TypeEnd:
		r.written[1]++
	case record.TypeFail:
		r.written[2]++
	case record.TypeLoss:
		r.written[3]++
	}
	return nil
}

func (r *Recorder) timestamp(ktime uint64) string {
	return time.Unix(0, int64(ktime)+r.monoOff).Format(time.RFC3339Nano)
}

func (r *Recorder) keep(line []byte, source string) bool {
	return r.rules == nil || r.rules.Keep(line, source)
}

func cstr(b []int8) string {
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	s := make([]byte, n)
	for i := range s {
		s[i] = byte(b[i])
	}
	return string(s)
}

// common fills what start and fail records share, from the event's task.
func (r *Recorder) common(e *bpfexec.Exec, s *record.Start, now time.Time) {
	h := &e.ExecHeader
	s.Timestamp = r.timestamp(h.KtimeNs)
	s.UID, s.GID = h.Uid, h.Gid
	auid, ses := h.Loginuid, h.Sessionid
	s.AUID, s.SessionID = &auid, &ses
	if h.Euid != h.Uid {
		euid := h.Euid
		s.EUID = &euid
	}
	if h.Egid != h.Gid {
		egid := h.Egid
		s.EGID = &egid
	}
	s.User, s.Group = r.names.user(h.Uid, now), r.names.group(h.Gid, now)
	s.PID, s.PPID = h.Tgid, h.Ppid
	s.Comm = cstr(h.Comm[:])
	s.Cwd = string(e.Cwd)
	s.CwdTruncated = h.Flags.Has(bpfexec.FCwdTrunc)
	if cg := string(e.Cgroup); cg != "/" {
		s.Cgroup = cg
	}
	s.TTY = ttyName(h.TtyMajor, h.TtyMinor, cstr(h.TtyName[:]))
	if h.TtyMajor != 0 || h.TtyMinor != 0 {
		s.TTYNr = ttyNr(h.TtyMajor, h.TtyMinor)
	}
	s.ParentComm = cstr(h.ParentComm[:])
	s.ParentTTY = ttyName(h.ParentTtyMajor, h.ParentTtyMinor, cstr(h.ParentTtyName[:]))
	if h.ParentTtyMajor != 0 || h.ParentTtyMinor != 0 {
		s.ParentTTYNr = ttyNr(h.ParentTtyMajor, h.ParentTtyMinor)
	}
	if p := r.procs[h.Ppid]; p != nil && p.is(h.ParentStartBootNs) {
		s.ParentExe = p.exe
		s.ParentCmdline = truncUTF8(p.cmdline, 512)
		s.ParentCmdlineRedacted = p.hidden > 0 && p.hidden <= len(s.ParentCmdline)
	}
	s.ProcessKey = processKey(h.Tgid, h.StartBootNs)
	s.ParentKey = processKey(h.Ppid, h.ParentStartBootNs)
	s.Source = source(h.Ppid, h.Flags.Has(bpfexec.FHasTTY), h.Flags.Has(bpfexec.FParentHasTTY), s.ParentComm, s.ParentExe)
	r.argv(e, s)
}

func processKey(pid uint32, startBoot uint64) string {
	return strconv.FormatUint(uint64(pid), 10) + "@" + strconv.FormatUint(startBoot, 10)
}

// argv splits the NUL-separated arguments, hides their secrets (redact, scoped by the exe, or by the
// path given to execve when the exec failed), then applies max_args and max_arg_length, and keeps a
// lossless copy when an argument is not UTF-8 (rare: only then is the list walked twice). Redaction
// comes first so that a secret cut by max_arg_length is still recognised, and argv_raw holds the
// redacted bytes.
func (r *Recorder) argv(e *bpfexec.Exec, s *record.Start) {
	args := e.Args
	if n := len(args); n > 0 && args[n-1] == 0 {
		args = args[:n-1]
	}
	s.Argv = s.Argv[:0]
	s.ArgvTruncated = e.Flags.Has(bpfexec.FArgsTrunc)
	if len(e.Args) == 0 {
		return
	}
	r.args = r.args[:0]
	for {
		a, rest, more := bytes.Cut(args, []byte{0})
		r.args = append(r.args, a)
		if !more {
			break
		}
		args = rest
	}
	exe := e.Exe
	if len(exe) == 0 {
		exe = e.Filename
	}
	list, hidden := r.cfg.Redactor.Apply(string(exe), r.args)
	n := len(list)
	if n > r.cfg.MaxArgs {
		n = r.cfg.MaxArgs
		s.ArgvTruncated = true
	}
	list = list[:n]
	for _, i := range hidden {
		if i < n {
			s.ArgvRedactedIdx = append(s.ArgvRedactedIdx, i)
		}
	}
	s.ArgvRedacted = len(s.ArgvRedactedIdx) > 0
	s.Argv = make([]string, 0, n)
	valid := true
	for i, a := range list {
		if len(a) > r.cfg.MaxArgLength {
			a = a[:r.cfg.MaxArgLength]
			list[i] = a
			s.ArgvTruncated = true
		}
		valid = valid && utf8.Valid(a)
		s.Argv = append(s.Argv, validUTF8(a))
	}
	if !valid {
		s.ArgvRaw = make([]string, 0, n)
		for _, a := range list {
			s.ArgvRaw = append(s.ArgvRaw, base64.StdEncoding.EncodeToString(a))
		}
	}
	clear(r.args) // the event's buffer is reused: hold no view of it
}

// hiddenAt returns 1 + the offset in argv joined by spaces where its first redacted argument
// starts, or 0 when none is (idx is ascending).
func hiddenAt(argv []string, idx []int) int {
	if len(idx) == 0 || idx[0] >= len(argv) {
		return 0
	}
	n := 1
	for _, a := range argv[:idx[0]] {
		n += len(a) + 1
	}
	return n
}

// validUTF8 replaces each invalid byte with U+FFFD, as encoding/json does for a whole string.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r) // RuneError for an invalid byte, n == 1
		b = b[n:]
	}
	return sb.String()
}

func truncUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Exec records an exec: a start record unless the rules drop it (then it takes no event id: ids
// stay dense), after the end record of the image it replaced in the same process, if that one was
// recorded. It returns the Sink's error.
func (r *Recorder) Exec(e *bpfexec.Exec) error {
	h := &e.ExecHeader
	now := r.opt.Now()
	var s record.Start
	r.common(e, &s, now)
	s.RecordType = record.TypeStart
	s.Argc = int(h.Argc)
	s.Exe = string(e.Exe)
	s.ExeTruncated = h.Flags.Has(bpfexec.FExeTrunc)
	if fn := string(e.Filename); fn != s.Exe {
		s.Filename = fn
	}
	if len(e.Interp) > 0 {
		s.Interpreter = string(e.Interp)
	}
	s.ThreadExec = h.Flags.Has(bpfexec.FThreadExec)

	p := r.procs[h.Tgid]
	endFirst := p != nil && p.is(h.StartBootNs) && p.eventID != ""
	s.Identity = r.identity()
	if endFirst {
		s.Seq++ // the end of the image it replaces goes first
	}
	r.nextID++
	s.EventID = r.opt.Prefix + "-" + strconv.FormatUint(r.nextID, 10)
	r.line = s.AppendJSON(r.line[:0])
	keep := r.keep(r.line, s.Source)
	if !keep {
		r.nextID--
		s.EventID = ""
	}
	r.line = append(r.line, '\n')

	if endFirst {
		if err := r.end(p, h.KtimeNs, nil, s.EventID); err != nil {
			return err
		}
	}
	if p == nil || !p.is(h.StartBootNs) {
		p = &proc{pid: h.Tgid}
		r.procs[h.Tgid] = p
	}
	p.startBoot, p.approx = h.StartBootNs, false
	p.exe = s.Exe
	p.cmdline = strings.Join(s.Argv, " ")
	p.hidden = hiddenAt(s.Argv, s.ArgvRedactedIdx)
	p.startKtime = h.KtimeNs
	p.source = s.Source
	p.eventID = s.EventID
	if !keep {
		return nil
	}
	return r.write(r.line, record.TypeStart, s.Timestamp)
}

// end writes the end record of p's current image: at exit with its wait status, or when a later exec
// replaced it (replacedBy).
func (r *Recorder) end(p *proc, ktime uint64, status *uint32, replacedBy string) error {
	e := record.End{
		Timestamp:  r.timestamp(ktime),
		EventID:    p.eventID,
		Source:     p.source,
		RecordType: record.TypeEnd,
		ReplacedBy: replacedBy,
	}
	if ktime > p.startKtime {
		e.DurationNs = int64(ktime - p.startKtime)
	}
	if status != nil {
		st := *status
		code := int(st>>8) & 0xff
		if sig := st & 0x7f; sig != 0 {
			code = 128 + int(sig)
			e.Signal = unix.SignalName(syscall.Signal(sig))
			if e.Signal == "" {
				e.Signal = "SIG" + strconv.Itoa(int(sig))
			}
			e.CoreDumped = st&0x80 != 0
		}
		e.ExitStatus = &code
	}
	e.PID = p.pid
	e.Identity = r.identity()
	p.eventID = ""
	r.buf = append(e.AppendJSON(r.buf[:0]), '\n')
	return r.write(r.buf, record.TypeEnd, e.Timestamp)
}

// Exit records the exit of a process's last thread: the end record of its image, if that was
// recorded, and forgets the process.
func (r *Recorder) Exit(x *bpfexec.ExitEvent) error {
	p := r.procs[x.Tgid]
	if p == nil || !p.is(x.StartBootNs) {
		return nil
	}
	delete(r.procs, x.Tgid)
	if p.eventID == "" {
		return nil
	}
	st := x.Status
	return r.end(p, x.KtimeNs, &st, "")
}

// Fork notes a new process, which runs its parent's image until it execs: its start records name
// that image as their parent_exe and parent_cmdline. It emits nothing.
func (r *Recorder) Fork(f *bpfexec.ForkEvent) {
	parent := r.procs[f.ParentTgid]
	if parent == nil || !parent.is(f.ParentStartBootNs) {
		return
	}
	r.procs[f.ChildTgid] = &proc{pid: f.ChildTgid, startBoot: f.ChildStartBootNs, exe: parent.exe, cmdline: parent.cmdline, hidden: parent.hidden, source: parent.source}
}

// Fail records a failed exec: a fail record unless the rules drop it. A relative path is made
// absolute against the cwd (exe), and kept as given (filename).
func (r *Recorder) Fail(e *bpfexec.Exec) error {
	h := &e.ExecHeader
	var s record.Start
	r.common(e, &s, r.opt.Now())
	s.RecordType = record.TypeFail
	s.Argc = int(h.Argc)
	name := string(e.Filename)
	if name != "" && !filepath.IsAbs(name) && s.Cwd != "" {
		name = filepath.Join(s.Cwd, name)
	}
	s.Exe = name
	if name != string(e.Filename) {
		s.Filename = string(e.Filename)
	}
	errno := int(-h.Ret)
	s.ExecErrno = &errno
	s.ExecError = syscall.Errno(errno).Error()
	s.SyscallFailure = "execve"
	if h.Flags.Has(bpfexec.FExecveat) {
		s.SyscallFailure = "execveat"
	}
	s.ExecAfterPONR = h.Flags.Has(bpfexec.FPONR)
	s.Compat32 = h.Flags.Has(bpfexec.FCompat)
	s.Identity = r.identity()
	r.buf = s.AppendJSON(r.buf[:0])
	if !r.keep(r.buf, s.Source) {
		return nil // it takes no seq
	}
	r.buf = append(r.buf, '\n')
	return r.write(r.buf, record.TypeFail, s.Timestamp)
}
