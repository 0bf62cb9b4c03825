// Package daemon is precd: it turns the kernel's exec, exit and failed-exec events into start, end,
// fail and loss records and writes them to the log.
package daemon

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/record"
	"golang.org/x/sys/unix"
)

// Options are the daemon's run-time hooks.
type Options struct {
	Log    *slog.Logger
	Reopen <-chan os.Signal // SIGHUP: reopen the log
	Ready  func()           // called once the probes are attached and recording
}

type daemon struct {
	cfg   *config.Config
	log   *slog.Logger
	probe *bpfexec.Probe
	w     *logio.Writer
	files logFiles
	rules *config.Rules
	procs map[uint32]*proc
	names *names

	prefix string // event_id prefix
	nextID uint64

	monoOff   int64 // wall - monotonic, ns
	lastSync  time.Time
	lastFlush time.Time

	lostTotal   uint64
	seenDropped [bpfexec.NumCounters]uint64
	written     uint64

	fault     string    // why the log takes no writes; "" when it does
	reopenDue bool      // a reopen failed: try again at the next flush
	unw       unwritten // records not kept since the fault

	enc  *json.Encoder
	buf  bytes.Buffer
	line []byte
	ev   bpfexec.Exec
}

// Run records until ctx is done, then drains what the kernel sent, flushes and returns nil.
func Run(ctx context.Context, cfg *config.Config, opt Options) error {
	if err := bpfexec.Check(); err != nil {
		return err
	}
	d := &daemon{cfg: cfg, log: opt.Log, procs: map[uint32]*proc{}, names: newNames()}
	prev, err := d.files.open(cfg.LogPath)
	if err != nil {
		return err
	}
	defer d.files.close()
	d.prefix = runPrefix(prev)
	if err := d.files.start(d.prefix); err != nil {
		return fmt.Errorf("write %s: %w", d.files.lock.Name(), err)
	}
	d.enc = json.NewEncoder(&d.buf)
	d.rules = cfg.Rules
	runID, _ := strconv.ParseUint(d.prefix, 10, 64)
	if d.w, err = logio.NewWriter(cfg.Compress, cfg.Level, runID); err != nil {
		return err
	}
	f, err := d.files.openLog()
	if err != nil {
		return err
	}
	d.w.SetFile(f)
	d.w.Truncated = func(size, end int64) {
		d.log.Info("log truncated under precd (copytruncate?): writing its last flush again", "log", cfg.LogPath, "size", size, "was", end)
	}
	defer func() {
		if d.w != nil {
			d.w.Close()
		}
	}()
	d.probe, err = bpfexec.Open(bpfexec.Options{
		RingBytes: cfg.RingBufferSize,
		ArgsMax:   argsMax(cfg),
		NoFailed:  cfg.FailedExecs != nil && !*cfg.FailedExecs,
		Compat32:  cfg.FailedExecs32,
	})
	if err != nil {
		return err
	}
	defer d.probe.Close()
	d.syncClock()
	scanProc(d.procs) // after attaching: a process started in between is in the ring, not lost
	d.log.Info("recording", "log", cfg.LogPath, "compress", cfg.Compress, "attach", strings.Join(d.probe.Attach, ","), "event_id_prefix", d.prefix)
	if d.probe.FailedErr != nil {
		d.log.Warn("failed execs are not recorded", "reason", d.probe.FailedErr)
	}
	if opt.Ready != nil {
		opt.Ready()
	}
	d.lastFlush = time.Now()
	for ctx.Err() == nil {
		select {
		case <-opt.Reopen:
			d.flushLog(true)
		default:
		}
		if err := d.step(pollInterval(cfg.Flush), opt.Reopen); err != nil {
			return err
		}
	}
	return d.shutdown()
}

// pollInterval is how long the reader sleeps when the ring is quiet. The kernel wakes it early once
// a quarter of the ring (at most 256 KiB) is pending (docs/kernel.md), so a longer sleep costs no events, only latency, and records reach the file
// once per flush interval anyway; each wake-up costs CPU (a blocking epoll_wait hands the Go runtime's
// processor to another thread), so it should be rare.
func pollInterval(flush time.Duration) time.Duration {
	return min(max(flush/4, 10*time.Millisecond), 250*time.Millisecond)
}

// argsMax is how much argv the kernel must copy for max_args arguments of max_arg_length bytes.
func argsMax(cfg *config.Config) uint32 {
	n := cfg.MaxArgs * (cfg.MaxArgLength + 1)
	if n > bpfexec.MaxArgs || n <= 0 {
		return bpfexec.MaxArgs
	}
	return uint32(n)
}

// step handles the events that come within timeout, then does what is due: flush, loss check.
func (d *daemon) step(timeout time.Duration, hup <-chan os.Signal) error {
	raw, err := d.probe.Read(timeout)
	switch {
	case err == nil:
		if err := d.handle(raw); err != nil {
			return err
		}
		// Keep reading while events are queued; the periodic work below waits for a quiet moment
		// or the flush deadline.
		if time.Since(d.lastFlush) < d.cfg.Flush {
			return nil
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
	default:
		return fmt.Errorf("read ring buffer: %w", err)
	}
	if time.Since(d.lastSync) >= time.Second {
		d.syncClock()
		if err := d.checkLoss(); err != nil {
			return err
		}
	}
	if time.Since(d.lastFlush) >= d.cfg.Flush {
		d.lastFlush = time.Now()
		select {
		case <-hup:
			d.flushLog(true)
		default:
			d.flushLog(false)
		}
	}
	return nil
}

// flushLog writes what is due, after reopening what was removed or replaced (reopen: the log in any
// case, on SIGHUP). A failure is logged once; records stay in memory until a later flush succeeds,
// which writes what was held, then a loss record for what was not.
func (d *daemon) flushLog(reopen bool) {
	f, what, err := d.files.refresh(d.w.File(), reopen || d.reopenDue)
	if err != nil {
		d.reopenDue = true
		if what != "reopen" && what != "" {
			err = fmt.Errorf("%s: %w", what, err)
		}
		// Not even to the file open before: logrotate may be compressing it away.
		d.w.SetFile(nil)
		d.failed(err)
		return
	}
	if f != nil {
		d.reopenDue = false
		d.w.SetFile(f)
		if reopen {
			d.log.Info("log reopened", "log", d.cfg.LogPath)
		} else {
			d.log.Info("log reopened", "log", d.cfg.LogPath, "reason", what)
		}
	}
	err = d.w.Flush()
	if err == nil && d.unw.count() > 0 {
		d.write(d.lossRecord(&d.unw), record.TypeLoss, "")
		d.log.Warn("records not kept while the log took no writes", "starts", d.unw.starts, "ends", d.unw.ends, "fails", d.unw.fails,
			"from", d.unw.from, "to", d.unw.to)
		d.unw = unwritten{}
		err = d.w.Flush()
	}
	if err != nil {
		d.failed(fmt.Errorf("write %s: %w", d.cfg.LogPath, err))
		return
	}
	if d.fault != "" {
		d.log.Info("log written again", "log", d.cfg.LogPath)
		d.fault = ""
	}
}

// failed notes why the log takes no writes, saying so the first time.
func (d *daemon) failed(err error) {
	if d.fault == "" {
		d.log.Warn("cannot write the log: keeping records in memory and retrying every flush_interval",
			"err", err, "max_pending_bytes", d.cfg.MaxPending)
	}
	d.fault = err.Error()
}

func (d *daemon) shutdown() error {
	// Stop the producers first, then read what is queued: sent == received + dropped then holds.
	d.probe.Detach()
	for {
		raw, err := d.probe.Read(20 * time.Millisecond)
		if err != nil {
			break
		}
		if err := d.handle(raw); err != nil {
			return err
		}
	}
	if err := d.checkLoss(); err != nil {
		return err
	}
	d.flushLog(false)
	if held := d.w.Held(); held > 0 || d.unw.count() > 0 {
		d.log.Warn("stopped with records not written", "log", d.cfg.LogPath, "held_bytes", held,
			"not_kept", d.unw.count(), "err", d.fault)
	}
	d.w.Close()
	d.w = nil
	d.log.Info("stopped", "records", d.written, "lost", d.lostTotal)
	return nil
}

func (d *daemon) syncClock() {
	var mono unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	now := time.Now()
	d.monoOff = now.UnixNano() - mono.Nano()
	d.lastSync = now
}

func (d *daemon) timestamp(ktime uint64) string {
	return time.Unix(0, int64(ktime)+d.monoOff).Format(time.RFC3339Nano)
}

func (d *daemon) handle(raw []byte) error {
	switch bpfexec.Type(raw) {
	case bpfexec.EvExec:
		if err := bpfexec.DecodeExec(raw, &d.ev); err != nil {
			return err
		}
		return d.exec(&d.ev)
	case bpfexec.EvExecFail:
		if err := bpfexec.DecodeExec(raw, &d.ev); err != nil {
			return err
		}
		return d.fail(&d.ev)
	case bpfexec.EvExit:
		var x bpfexec.ExitEvent
		if err := bpfexec.DecodeExit(raw, &x); err != nil {
			return err
		}
		return d.exit(&x)
	case bpfexec.EvFork:
		var f bpfexec.ForkEvent
		if err := bpfexec.DecodeFork(raw, &f); err != nil {
			return err
		}
		d.fork(&f)
	}
	return nil
}

func (d *daemon) write(v any, typ, ts string) error {
	d.buf.Reset()
	if err := d.enc.Encode(v); err != nil {
		return err
	}
	return d.emit(d.buf.Bytes(), typ, ts)
}

// emit adds a record to the log; while the log takes no writes and max_pending_bytes are held, a
// record is only counted (loss records are always kept: they are few and say what was lost).
func (d *daemon) emit(line []byte, typ, ts string) error {
	if d.fault != "" && typ != record.TypeLoss && d.w.Held() >= d.cfg.MaxPending {
		if d.unw.count() == 0 {
			d.log.Warn("max_pending_bytes held in memory: later records are counted, not kept, until the log takes writes",
				"max_pending_bytes", d.cfg.MaxPending)
		}
		d.unw.add(typ, ts, d.fault)
		return nil
	}
	d.written++
	if err := d.w.Write(line); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	return nil
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
func (d *daemon) common(e *bpfexec.Exec, r *record.Start, now time.Time) {
	h := &e.ExecHeader
	r.Timestamp = d.timestamp(h.KtimeNs)
	r.UID, r.GID = h.Uid, h.Gid
	auid, ses := h.Loginuid, h.Sessionid
	r.AUID, r.SessionID = &auid, &ses
	if h.Euid != h.Uid {
		euid := h.Euid
		r.EUID = &euid
	}
	if h.Egid != h.Gid {
		egid := h.Egid
		r.EGID = &egid
	}
	r.User, r.Group = d.names.user(h.Uid, now), d.names.group(h.Gid, now)
	r.PID, r.PPID = h.Tgid, h.Ppid
	r.Comm = cstr(h.Comm[:])
	r.Cwd = string(e.Cwd)
	r.CwdTruncated = h.Flags.Has(bpfexec.FCwdTrunc)
	if cg := string(e.Cgroup); cg != "/" {
		r.Cgroup = cg
	}
	r.TTY = ttyName(h.TtyMajor, h.TtyMinor, cstr(h.TtyName[:]))
	if h.TtyMajor != 0 || h.TtyMinor != 0 {
		r.TTYNr = ttyNr(h.TtyMajor, h.TtyMinor)
	}
	r.ParentComm = cstr(h.ParentComm[:])
	r.ParentTTY = ttyName(h.ParentTtyMajor, h.ParentTtyMinor, cstr(h.ParentTtyName[:]))
	if h.ParentTtyMajor != 0 || h.ParentTtyMinor != 0 {
		r.ParentTTYNr = ttyNr(h.ParentTtyMajor, h.ParentTtyMinor)
	}
	if p := d.procs[h.Ppid]; p != nil && p.is(h.ParentStartBootNs) {
		r.ParentExe = p.exe
		r.ParentCmdline = truncUTF8(p.cmdline, 512)
	}
	r.ProcessKey = processKey(h.Tgid, h.StartBootNs)
	r.ParentKey = processKey(h.Ppid, h.ParentStartBootNs)
	r.Source = source(h.Ppid, h.Flags.Has(bpfexec.FHasTTY), h.Flags.Has(bpfexec.FParentHasTTY), r.ParentComm, r.ParentExe)
	d.argv(e, r)
}

func processKey(pid uint32, startBoot uint64) string {
	return strconv.FormatUint(uint64(pid), 10) + "@" + strconv.FormatUint(startBoot, 10)
}

// argv splits the NUL-separated arguments, applies max_args and max_arg_length, and keeps a lossless
// copy when an argument is not UTF-8.
func (d *daemon) argv(e *bpfexec.Exec, r *record.Start) {
	args := e.Args
	if n := len(args); n > 0 && args[n-1] == 0 {
		args = args[:n-1]
	}
	r.Argv = r.Argv[:0]
	r.ArgvTruncated = e.Flags.Has(bpfexec.FArgsTrunc)
	if len(e.Args) == 0 {
		return
	}
	var raw [][]byte
	valid := true
	for _, a := range bytes.Split(args, []byte{0}) {
		if len(r.Argv) == d.cfg.MaxArgs {
			r.ArgvTruncated = true
			break
		}
		if len(a) > d.cfg.MaxArgLength {
			a = a[:d.cfg.MaxArgLength]
			r.ArgvTruncated = true
		}
		raw = append(raw, a)
		if !utf8.Valid(a) {
			valid = false
		}
		r.Argv = append(r.Argv, validUTF8(a))
	}
	if !valid {
		for _, a := range raw {
			r.ArgvRaw = append(r.ArgvRaw, base64.StdEncoding.EncodeToString(a))
		}
	}
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

func (d *daemon) exec(e *bpfexec.Exec) error {
	h := &e.ExecHeader
	now := time.Now()
	var r record.Start
	d.common(e, &r, now)
	r.RecordType = record.TypeStart
	r.Argc = int(h.Argc)
	r.Exe = string(e.Exe)
	r.ExeTruncated = h.Flags.Has(bpfexec.FExeTrunc)
	if fn := string(e.Filename); fn != r.Exe {
		r.Filename = fn
	}
	if len(e.Interp) > 0 {
		r.Interpreter = string(e.Interp)
	}
	r.ThreadExec = h.Flags.Has(bpfexec.FThreadExec)

	d.nextID++
	r.EventID = d.prefix + "-" + strconv.FormatUint(d.nextID, 10)
	d.line = r.AppendJSON(d.line[:0])
	keep := d.rules.Keep(d.line, r.Source)
	if !keep {
		d.nextID-- // ids stay dense: a filtered exec takes none
		r.EventID = ""
	}
	d.line = append(d.line, '\n')

	p := d.procs[h.Tgid]
	if p != nil && p.is(h.StartBootNs) && p.eventID != "" {
		// A new image in the same process: the previous one's record ends here.
		if err := d.end(p, h.KtimeNs, nil, r.EventID); err != nil {
			return err
		}
	}
	if p == nil || !p.is(h.StartBootNs) {
		p = &proc{pid: h.Tgid}
		d.procs[h.Tgid] = p
	}
	p.startBoot, p.approx = h.StartBootNs, false
	p.exe = r.Exe
	p.cmdline = strings.Join(r.Argv, " ")
	p.startKtime = h.KtimeNs
	p.source = r.Source
	p.eventID = r.EventID
	if !keep {
		return nil
	}
	return d.emit(d.line, record.TypeStart, r.Timestamp)
}

// end writes the end record of p's current image: at exit with its wait status, or when a later exec
// replaced it (replacedBy).
func (d *daemon) end(p *proc, ktime uint64, status *uint32, replacedBy string) error {
	r := record.End{
		Timestamp:  d.timestamp(ktime),
		EventID:    p.eventID,
		Source:     p.source,
		RecordType: record.TypeEnd,
		ReplacedBy: replacedBy,
	}
	if ktime > p.startKtime {
		r.DurationNs = int64(ktime - p.startKtime)
	}
	if status != nil {
		st := *status
		code := int(st>>8) & 0xff
		if sig := st & 0x7f; sig != 0 {
			code = 128 + int(sig)
			r.Signal = unix.SignalName(syscall.Signal(sig))
			if r.Signal == "" {
				r.Signal = "SIG" + strconv.Itoa(int(sig))
			}
			r.CoreDumped = st&0x80 != 0
		}
		r.ExitStatus = &code
	}
	r.PID = p.pid
	p.eventID = ""
	d.buf.Reset()
	d.buf.Write(r.AppendJSON(d.buf.AvailableBuffer()))
	d.buf.WriteByte('\n')
	return d.emit(d.buf.Bytes(), record.TypeEnd, r.Timestamp)
}

func (d *daemon) exit(x *bpfexec.ExitEvent) error {
	p := d.procs[x.Tgid]
	if p == nil || !p.is(x.StartBootNs) {
		return nil
	}
	delete(d.procs, x.Tgid)
	if p.eventID == "" {
		return nil
	}
	st := x.Status
	return d.end(p, x.KtimeNs, &st, "")
}

func (d *daemon) fork(f *bpfexec.ForkEvent) {
	parent := d.procs[f.ParentTgid]
	if parent == nil || !parent.is(f.ParentStartBootNs) {
		return
	}
	d.procs[f.ChildTgid] = &proc{pid: f.ChildTgid, startBoot: f.ChildStartBootNs, exe: parent.exe, cmdline: parent.cmdline, source: parent.source}
}

func (d *daemon) fail(e *bpfexec.Exec) error {
	h := &e.ExecHeader
	var r record.Start
	d.common(e, &r, time.Now())
	r.RecordType = record.TypeFail
	r.Argc = int(h.Argc)
	name := string(e.Filename)
	if name != "" && !filepath.IsAbs(name) && r.Cwd != "" {
		name = filepath.Join(r.Cwd, name)
	}
	r.Exe = name
	if name != string(e.Filename) {
		r.Filename = string(e.Filename)
	}
	errno := int(-h.Ret)
	r.ExecErrno = &errno
	r.ExecError = syscall.Errno(errno).Error()
	r.SyscallFailure = "execve"
	if h.Flags.Has(bpfexec.FExecveat) {
		r.SyscallFailure = "execveat"
	}
	r.ExecAfterPONR = h.Flags.Has(bpfexec.FPONR)
	r.Compat32 = h.Flags.Has(bpfexec.FCompat)
	d.buf.Reset()
	d.buf.Write(r.AppendJSON(d.buf.AvailableBuffer()))
	if !d.rules.Keep(d.buf.Bytes(), r.Source) {
		return nil
	}
	d.buf.WriteByte('\n')
	return d.emit(d.buf.Bytes(), record.TypeFail, r.Timestamp)
}

// checkLoss reads the kernel's drop counters and writes a loss record for new drops.
func (d *daemon) checkLoss() error {
	_, dropped, err := d.probe.Counters()
	if err != nil {
		return fmt.Errorf("read counters: %w", err)
	}
	var delta [bpfexec.NumCounters]uint64
	var sum uint64
	for i := range dropped {
		delta[i] = dropped[i] - d.seenDropped[i]
		sum += delta[i]
	}
	d.seenDropped = dropped
	if sum == 0 {
		return nil
	}
	d.lostTotal += sum
	switch d.cfg.LostSamplesAction {
	case "ignore":
		return nil
	case "stop":
		return fmt.Errorf("lost %d events (%d in all): lost_samples_action is stop", sum, d.lostTotal)
	}
	d.log.Warn("events lost", "lost", sum, "total", d.lostTotal)
	uid, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	now := time.Now()
	return d.write(&record.Loss{
		Timestamp: now.Format(time.RFC3339Nano),
		UID:       uid, GID: gid,
		User: d.names.user(uid, now), Group: d.names.group(gid, now),
		Comm: "precd", Exe: "precd", Argv: []string{"precd", "loss"}, Argc: 2,
		Source: record.SourceSystem, RecordType: record.TypeLoss,
		LostSamples: sum, LostSamplesTotal: d.lostTotal,
		LostStarts: delta[bpfexec.CntExec], LostEnds: delta[bpfexec.CntExit], LostFails: delta[bpfexec.CntExecFail],
		LostForks: delta[bpfexec.CntFork],
	}, record.TypeLoss, "")
}
