// Package bpfexec loads precd's BPF programs (bpf/exec.bpf.c, compiled by bpf2go and committed),
// attaches them, and reads their events from the ring buffer.
package bpfexec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Event types and flags, from bpf/prec.h.
type (
	EventType = execPrecEventType
	Flag      = execPrecFlag
	// ExecHeader is the fixed part of an exec or failed-exec event.
	ExecHeader = execPrecExec
	// ExitEvent is the exit of a process's last thread.
	ExitEvent = execPrecExit
	// ForkEvent is the birth of a process.
	ForkEvent = execPrecFork
)

const (
	EvExec     = execPrecEventTypePREC_EV_EXEC
	EvExit     = execPrecEventTypePREC_EV_EXIT
	EvExecFail = execPrecEventTypePREC_EV_EXEC_FAIL
	EvFork     = execPrecEventTypePREC_EV_FORK

	FArgsTrunc     = execPrecFlagPREC_F_ARGS_TRUNC
	FFilenameTrunc = execPrecFlagPREC_F_FILENAME_TRUNC
	FExeTrunc      = execPrecFlagPREC_F_EXE_TRUNC
	FCwdTrunc      = execPrecFlagPREC_F_CWD_TRUNC
	FCgroupTrunc   = execPrecFlagPREC_F_CGROUP_TRUNC
	FThreadExec    = execPrecFlagPREC_F_THREAD_EXEC
	FExecveat      = execPrecFlagPREC_F_EXECVEAT
	FPONR          = execPrecFlagPREC_F_PONR
	FArgsFault     = execPrecFlagPREC_F_ARGS_FAULT
	FHasTTY        = execPrecFlagPREC_F_HAS_TTY
	FParentHasTTY  = execPrecFlagPREC_F_PARENT_HAS_TTY
	FCgroupV1      = execPrecFlagPREC_F_CGROUP_V1
	FCompat        = execPrecFlagPREC_F_COMPAT
)

// Counter indexes: the sent and dropped counters per event type.
const (
	CntExec     = int(execPrecCounterPREC_CNT_EXEC)
	CntExit     = int(execPrecCounterPREC_CNT_EXIT)
	CntExecFail = int(execPrecCounterPREC_CNT_EXEC_FAIL)
	CntFork     = int(execPrecCounterPREC_CNT_FORK)
	NumCounters = int(execPrecCounterPREC_CNT_NR)
)

// Options tunes what is loaded; the zero value takes the defaults.
type Options struct {
	RingBytes   int    // ring buffer size: a power of two, multiple of the page size (default 8 MiB)
	ArgsMax     uint32 // bytes of argv copied per exec (default and maximum 16 KiB)
	WakeupBytes uint64 // the reader is woken once this much is pending (default 256 KiB); 0 keeps the default
	NoFailed    bool   // don't attach the failed-exec hooks
	// Compat32 catches failed 32-bit execs too, with raw sys_enter/sys_exit hooks instead of the
	// execve/execveat tracepoints: they run on every syscall of the host.
	Compat32 bool
	// RawTP attaches exec, exit and fork with raw_tp, as on a kernel that refuses tp_btf (tests use it
	// to exercise that path).
	RawTP bool
}

// Probe is the loaded and attached program set. Its methods are not safe for concurrent use, except
// Close, which may be called while Read blocks.
type Probe struct {
	coll   *ebpf.Collection
	links  []link.Link
	rd     *ringbuf.Reader
	rec    ringbuf.Record
	Attach []string // how each hook was attached, for the daemon's startup log
	// FailedErr is why failed execs are not recorded, or nil.
	FailedErr error
}

// MaxArgs is the most argv bytes an exec event can carry.
const MaxArgs = 16384

// Check says what this machine lacks for Open, or nil.
func Check() error {
	if os.Geteuid() != 0 {
		return errors.New("must run as root (loads BPF programs)")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return errors.New("kernel has no BTF (/sys/kernel/btf/vmlinux): needs CONFIG_DEBUG_INFO_BTF")
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		var major, minor int
		fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor)
		if major < 5 || major == 5 && minor < 8 {
			return fmt.Errorf("kernel %d.%d is too old: needs 5.8 or later (BPF ring buffer)", major, minor)
		}
	}
	return nil
}

// Open loads the programs and attaches them: exec and exit with tp_btf, else raw_tp; failed execs
// through the execve/execveat syscall tracepoints, mounting tracefs in a private mount namespace
// when the host has none. A failure to attach the failed-exec hooks is not fatal: it is in FailedErr.
func Open(opt Options) (*Probe, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("remove memlock limit: %w", err)
	}
	spec, err := loadExec()
	if err != nil {
		return nil, fmt.Errorf("load BPF spec: %w", err)
	}
	if opt.RingBytes == 0 {
		opt.RingBytes = 8 << 20
	}
	if opt.ArgsMax == 0 || opt.ArgsMax > MaxArgs {
		opt.ArgsMax = MaxArgs
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("count CPUs: %w", err)
	}
	spec.Maps["events"].MaxEntries = uint32(opt.RingBytes)
	spec.Maps["scratches"].MaxEntries = uint32(ncpu)
	spec.Maps["pathbufs"].MaxEntries = uint32(ncpu)
	if err := spec.Variables["cfg_args_max"].Set(opt.ArgsMax); err != nil {
		return nil, err
	}
	if opt.WakeupBytes != 0 {
		if err := spec.Variables["cfg_wakeup_bytes"].Set(opt.WakeupBytes); err != nil {
			return nil, err
		}
	}
	if _, err := btf.LoadKernelSpec(); err != nil {
		return nil, fmt.Errorf("kernel BTF: %w", err)
	}

	p := &Probe{}
	// Try tp_btf first; on a kernel that refuses it, the raw_tp twins run the same code.
	modes := []string{"btf", "raw"}
	if opt.RawTP {
		modes = modes[1:]
	}
	for _, mode := range modes {
		s := spec.Copy()
		keep := map[string]bool{"exec_" + mode: true, "exit_" + mode: true, "fork_" + mode: true}
		switch {
		case opt.NoFailed:
		case opt.Compat32:
			keep["sys_enter_any"], keep["sys_exit_any"] = true, true
		default:
			for _, n := range tracepointProgs {
				keep[n] = true
			}
		}
		for name := range s.Programs {
			if !keep[name] {
				delete(s.Programs, name)
			}
		}
		coll, lerr := ebpf.NewCollection(s)
		if lerr != nil {
			err = lerr
			continue
		}
		p.coll = coll
		if aerr := p.attachExecExit(mode); aerr != nil {
			p.Close()
			p = &Probe{}
			err = aerr
			continue
		}
		err = nil
		break
	}
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("load BPF programs: %+v", ve)
		}
		return nil, fmt.Errorf("load BPF programs: %w", err)
	}
	switch {
	case opt.NoFailed:
		p.FailedErr = errors.New("disabled by configuration")
	case opt.Compat32:
		p.FailedErr = p.attachRawSyscalls()
	default:
		p.FailedErr = p.attachFailed()
	}
	rd, err := ringbuf.NewReader(p.coll.Maps["events"])
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	p.rd = rd
	return p, nil
}

func (p *Probe) attachExecExit(mode string) error {
	for _, n := range []string{"exec", "exit", "fork"} {
		prog := p.coll.Programs[n+"_"+mode]
		var l link.Link
		var err error
		if mode == "btf" {
			l, err = link.AttachTracing(link.TracingOptions{Program: prog})
		} else {
			l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sched_process_" + n, Program: prog})
		}
		if err != nil {
			return fmt.Errorf("attach %s sched_process_%s: %w", mode, n, err)
		}
		p.links = append(p.links, l)
		p.Attach = append(p.Attach, mode+"/sched_process_"+n)
	}
	return nil
}

var tracepointProgs = []string{"enter_execve", "enter_execveat", "exit_execve", "exit_execveat"}

// attachRawSyscalls attaches the raw sys_enter/sys_exit hooks that see 32-bit execs too.
func (p *Probe) attachRawSyscalls() error {
	for _, n := range []string{"sys_enter", "sys_exit"} {
		prog := p.coll.Programs[n+"_any"]
		if prog == nil {
			return fmt.Errorf("no %s program for this architecture", n)
		}
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: n, Program: prog})
		if err != nil {
			return fmt.Errorf("attach raw_tp/%s: %w", n, err)
		}
		p.links = append(p.links, l)
		p.Attach = append(p.Attach, "raw_tp/"+n)
	}
	return nil
}

// attachFailed attaches the syscall tracepoints. They are found through tracefs; where it is not
// mounted, it is mounted in a private mount namespace of one locked OS thread, which the host never sees.
func (p *Probe) attachFailed() error {
	attach := func() error {
		for _, n := range tracepointProgs {
			l, err := link.Tracepoint("syscalls", "sys_"+n, p.coll.Programs[n], nil)
			if err != nil {
				return fmt.Errorf("attach tracepoint syscalls/sys_%s: %w", n, err)
			}
			p.links = append(p.links, l)
			p.Attach = append(p.Attach, "tracepoint/syscalls/sys_"+n)
		}
		return nil
	}
	if tracefsMounted() {
		return attach()
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, and the namespace with it, ends with this goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			errc <- fmt.Errorf("unshare mount namespace: %w", err)
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			errc <- fmt.Errorf("make mounts private: %w", err)
			return
		}
		if err := unix.Mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, ""); err != nil {
			errc <- fmt.Errorf("mount tracefs: %w", err)
			return
		}
		errc <- attach()
	}()
	return <-errc
}

func tracefsMounted() bool {
	for _, d := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		var st unix.Statfs_t
		if unix.Statfs(d, &st) == nil && (st.Type == unix.TRACEFS_MAGIC || st.Type == unix.DEBUGFS_MAGIC) {
			if _, err := os.Stat(d + "/events"); err == nil {
				return true
			}
		}
	}
	return false
}

// ErrClosed is returned by Read after Close.
var ErrClosed = ringbuf.ErrClosed

// Read waits up to timeout for the next event and returns its raw bytes, valid until the next Read.
// It returns os.ErrDeadlineExceeded when nothing came in time.
func (p *Probe) Read(timeout time.Duration) ([]byte, error) {
	// The deadline is set here, by the reading goroutine: SetDeadline from another goroutine
	// deadlocks against a blocked ReadInto (design note §6).
	p.rd.SetDeadline(time.Now().Add(timeout))
	if err := p.rd.ReadInto(&p.rec); err != nil {
		return nil, err
	}
	return p.rec.RawSample, nil
}

// Counters returns, per event type (CntExec, ...), how many events the kernel sent and dropped.
func (p *Probe) Counters() (sent, dropped [NumCounters]uint64, err error) {
	for i := 0; i < NumCounters; i++ {
		var s, d []uint64
		if err = p.coll.Maps["sent"].Lookup(uint32(i), &s); err != nil {
			return
		}
		if err = p.coll.Maps["drops"].Lookup(uint32(i), &d); err != nil {
			return
		}
		for _, v := range s {
			sent[i] += v
		}
		for _, v := range d {
			dropped[i] += v
		}
	}
	return
}

// Detach stops the programs: no event is produced after it returns; what is in the ring stays readable.
func (p *Probe) Detach() {
	for _, l := range p.links {
		l.Close()
	}
	p.links = nil
}

// Close detaches and frees everything; a blocked Read returns ErrClosed.
func (p *Probe) Close() error {
	p.Detach()
	if p.rd != nil {
		p.rd.Close()
	}
	if p.coll != nil {
		p.coll.Close()
	}
	return nil
}

// Exec is a decoded exec or failed-exec event. Its byte slices alias the raw event.
type Exec struct {
	ExecHeader
	Filename, Interp, Exe, Cwd, Cgroup, Args []byte
}

var execHeaderSize = int(unsafe.Sizeof(ExecHeader{}))

// decode copies the head of raw into *v, a generated struct with the host's layout: the kernel wrote
// it in the same layout (bpf2go checks the sizes). A plain copy, where binary.Decode spent
// microseconds in reflection per event.
func decode[T any](raw []byte, v *T, what string) error {
	n := int(unsafe.Sizeof(*v))
	if len(raw) < n {
		return fmt.Errorf("decode %s event: %d bytes, want at least %d", what, len(raw), n)
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(v)), n), raw)
	return nil
}

// Type returns the type of a raw event.
func Type(raw []byte) EventType {
	if len(raw) < 4 {
		return 0
	}
	return EventType(binary.NativeEndian.Uint32(raw))
}

// DecodeExec decodes an exec or failed-exec event.
func DecodeExec(raw []byte, e *Exec) error {
	if err := decode(raw, &e.ExecHeader, "exec"); err != nil {
		return err
	}
	rest := raw[execHeaderSize:]
	next := func(n int) []byte {
		if n > len(rest) {
			n = len(rest)
		}
		b := rest[:n:n]
		rest = rest[n:]
		return b
	}
	h := &e.ExecHeader
	e.Filename = next(int(h.FilenameLen))
	e.Interp = next(int(h.InterpLen))
	e.Exe = next(int(h.ExeLen))
	e.Cwd = next(int(h.CwdLen))
	e.Cgroup = next(int(h.CgroupLen))
	e.Args = next(int(h.ArgsLen))
	return nil
}

// DecodeFork decodes a fork event.
func DecodeFork(raw []byte, f *ForkEvent) error {
	return decode(raw, f, "fork")
}

// DecodeExit decodes an exit event.
func DecodeExit(raw []byte, x *ExitEvent) error {
	return decode(raw, x, "exit")
}
