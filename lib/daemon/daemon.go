// Package daemon is precd's I/O shell around lib/recorder: the lock and the log files, the probe, the
// read loop, the writer with its pending and unwritten accounting, and signals. What records an event
// makes is the recorder's business.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prec-dev/prec/lib/bpfexec"
	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/record"
	"github.com/prec-dev/prec/lib/recorder"
)

// Options are the daemon's run-time hooks.
type Options struct {
	Log    *slog.Logger
	Reopen <-chan os.Signal // SIGHUP: reopen the log
	Ready  func()           // called once the probes are attached and recording

	// For the daemon records: precd's version, the configuration file read (its digest goes into
	// the start record; "" for none), and the signals that stop it (SIGTERM, SIGINT), of which the
	// one that came is the stop record's reason.
	Version    string
	ConfigPath string
	Stop       <-chan os.Signal
}

type daemon struct {
	cfg   *config.Config
	log   *slog.Logger
	probe *bpfexec.Probe
	w     *logio.Writer
	files logFiles
	rec   *recorder.Recorder

	prefix string // event_id prefix

	lastSync  time.Time
	lastFlush time.Time

	written uint64
	unwRun  unwritten // records not kept in the whole run, for the stop record

	fault     string    // why the log takes no writes; "" when it does
	reopenDue bool      // a reopen failed: try again at the next flush
	unw       unwritten // records not kept since the fault

	ev   bpfexec.Exec
	exit bpfexec.ExitEvent
	fork bpfexec.ForkEvent
}

// Run records until ctx is done, then drains what the kernel sent, flushes and returns nil.
func Run(ctx context.Context, cfg *config.Config, opt Options) error {
	if err := bpfexec.Check(); err != nil {
		return err
	}
	d := &daemon{cfg: cfg, log: opt.Log}
	prev, err := d.files.open(cfg.LogPath)
	if err != nil {
		return err
	}
	defer d.files.close()
	d.prefix = runPrefix(prev)
	if err := d.files.start(d.prefix); err != nil {
		return fmt.Errorf("write %s: %w", d.files.lock.Name(), err)
	}
	// Under the lock, before this run writes: did the run before end with its stop record?
	crashed, err := prevRun(cfg.LogPath)
	if err != nil {
		d.log.Warn("cannot tell how the previous run ended: no crashed record", "log", cfg.LogPath, "err", err)
	}
	d.rec = recorder.New(cfg, sink{d}, recorder.Options{Prefix: d.prefix, UID: uint32(os.Geteuid()), GID: uint32(os.Getegid()),
		PID: uint32(os.Getpid()), PPID: uint32(os.Getppid())})
	runID, _ := strconv.ParseUint(d.prefix, 10, 64)
	if d.w, err = logio.NewWriter(cfg.Compress, cfg.Level, runID); err != nil {
		return err
	}
	f, err := d.files.openLog()
	if err != nil {
		return err
	}
	d.w.SetFile(f)
	if cfg.RotateBytes > 0 || cfg.RotateEvery > 0 {
		d.files.rotateBy(d.w, cfg.RotateBytes, cfg.RotateEvery, cfg.RotateKeep, d.log)
	}
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
	if err := d.rec.Started(startInfo(opt, cfg.LogPath, d.probe.Attach)); err != nil {
		return err
	}
	if crashed != nil {
		d.log.Warn("the previous run ended without its stop record", "run_id", crashed.PrevRunID,
			"last_timestamp", crashed.PrevLastTimestamp, "last_seq", crashed.PrevLastSeq)
		if err := d.rec.Crashed(*crashed); err != nil {
			return err
		}
	}
	scanProc(d.rec) // after attaching: a process started in between is in the ring, not lost
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
			d.failStop(err)
			return err
		}
	}
	return d.shutdown(stopReason(opt.Stop))
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
		d.rec.Unwritten(d.unw.Unwritten)
		d.log.Warn("records not kept while the log took no writes", "starts", d.unw.Starts, "ends", d.unw.Ends, "fails", d.unw.Fails,
			"from", d.unw.From, "to", d.unw.To)
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

// failStop writes the stop record of a run that err ended, and what is held, if the log takes it.
func (d *daemon) failStop(err error) {
	if d.rec.Stopped(err.Error(), d.unwRun.Unwritten) == nil {
		d.flushLog(false)
	}
}

func (d *daemon) shutdown(reason string) error {
	// Stop the producers first, then read what is queued: sent == received + dropped then holds.
	d.probe.Detach()
	for {
		raw, err := d.probe.Read(20 * time.Millisecond)
		if err != nil {
			break
		}
		if err := d.handle(raw); err != nil {
			d.failStop(err)
			return err
		}
	}
	if err := d.checkLoss(); err != nil {
		d.failStop(err)
		return err
	}
	if err := d.rec.Stopped(reason, d.unwRun.Unwritten); err != nil {
		return err
	}
	d.flushLog(false)
	if held := d.w.Held(); held > 0 || d.unw.count() > 0 {
		d.log.Warn("stopped with records not written", "log", d.cfg.LogPath, "held_bytes", held,
			"not_kept", d.unw.count(), "err", d.fault)
	}
	d.w.Close()
	d.w = nil
	d.log.Info("stopped", "records", d.written, "lost", d.rec.LostTotal())
	return nil
}

func (d *daemon) syncClock() {
	d.rec.SyncClock()
	d.lastSync = time.Now()
}

func (d *daemon) handle(raw []byte) error {
	switch bpfexec.Type(raw) {
	case bpfexec.EvExec:
		if err := bpfexec.DecodeExec(raw, &d.ev); err != nil {
			return err
		}
		return d.rec.Exec(&d.ev)
	case bpfexec.EvExecFail:
		if err := bpfexec.DecodeExec(raw, &d.ev); err != nil {
			return err
		}
		return d.rec.Fail(&d.ev)
	case bpfexec.EvExit:
		if err := bpfexec.DecodeExit(raw, &d.exit); err != nil {
			return err
		}
		return d.rec.Exit(&d.exit)
	case bpfexec.EvFork:
		if err := bpfexec.DecodeFork(raw, &d.fork); err != nil {
			return err
		}
		d.rec.Fork(&d.fork)
	}
	return nil
}

// sink is where the recorder's records go: the daemon's emit.
type sink struct{ d *daemon }

func (s sink) Write(line []byte, typ, ts string) error { return s.d.emit(line, typ, ts) }

// emit adds a record to the log; while the log takes no writes and max_pending_bytes are held, a
// record is only counted (loss and daemon records are always kept: they are few and say what was
// lost).
func (d *daemon) emit(line []byte, typ, ts string) error {
	if d.fault != "" && typ != record.TypeLoss && typ != record.TypeDaemon && d.w.Held() >= d.cfg.MaxPending {
		if d.unw.count() == 0 {
			d.log.Warn("max_pending_bytes held in memory: later records are counted, not kept, until the log takes writes",
				"max_pending_bytes", d.cfg.MaxPending)
		}
		d.unw.add(typ, ts, d.fault)
		d.unwRun.add(typ, ts, d.fault)
		return nil
	}
	d.written++
	if err := d.w.Write(line); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	return nil
}

// checkLoss reads the kernel's drop counters; the recorder writes a loss record for new drops.
func (d *daemon) checkLoss() error {
	_, dropped, err := d.probe.Counters()
	if err != nil {
		return fmt.Errorf("read counters: %w", err)
	}
	n, err := d.rec.Dropped(dropped)
	if n > 0 && d.cfg.LostSamplesAction == "log" {
		d.log.Warn("events lost", "lost", n, "total", d.rec.LostTotal())
	}
	return err
}
