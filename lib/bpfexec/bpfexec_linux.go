package bpfexec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"reflect"
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

// The kernel's types, under Go names; the enums and their values are in names_x86_bpfel.go, both
// generated from bpf/prec.h.
type (
	// ExecHeader is the fixed part of an exec or failed-exec event.
	ExecHeader = execPrecExec
	// ExitEvent is the exit of a process's last thread.
	ExitEvent = execPrecExit
	// ForkEvent is the birth of a process.
	ForkEvent = execPrecFork
)

// NumCounters is the number of counters of each kind, one per event type.
const NumCounters = int(CntNR)

// Has reports whether every flag of want is set in f.
func (f Flag) Has(want Flag) bool { return f&want == want }

// The programs of each attach mode. LoadAndAssign loads, and the verifier checks, only the programs
// named by the struct it is given: a kernel that refuses one program type can still run the other
// mode, and hooks not asked for cost no load time.
type (
	// schedProgs are exec, exit and fork, whichever way they attach; schedBTF and schedRaw convert to it.
	schedProgs struct{ Exec, Exit, Fork *ebpf.Program }
	// schedBTF: tp_btf, typed arguments and no tracefs (docs/kernel.md, "Attach modes").
	schedBTF struct {
		Exec *ebpf.Program `ebpf:"exec_btf"`
		Exit *ebpf.Program `ebpf:"exit_btf"`
		Fork *ebpf.Program `ebpf:"fork_btf"`
	}
	// schedRaw: raw_tp, the same C for a kernel that refuses tp_btf.
	schedRaw struct {
		Exec *ebpf.Program `ebpf:"exec_raw"`
		Exit *ebpf.Program `ebpf:"exit_raw"`
		Fork *ebpf.Program `ebpf:"fork_raw"`
	}
	// syscallTracepoints see failed execve/execveat calls, costing only those syscalls.
	syscallTracepoints struct {
		EnterExecve   *ebpf.Program `ebpf:"enter_execve"`
		EnterExecveat *ebpf.Program `ebpf:"enter_execveat"`
		ExitExecve    *ebpf.Program `ebpf:"exit_execve"`
		ExitExecveat  *ebpf.Program `ebpf:"exit_execveat"`
	}
	// rawSyscalls see 32-bit failed execs too, and run on every syscall of the host.
	rawSyscalls struct {
		Enter *ebpf.Program `ebpf:"sys_enter_any"`
		Exit  *ebpf.Program `ebpf:"sys_exit_any"`
	}
)

// Probe is the loaded and attached program set. Its methods are not safe for concurrent use, except
// Close, which may be called while Read blocks.
type Probe struct {
	maps   execMaps
	progs  []*ebpf.Program
	links  []link.Link
	rd     *ringbuf.Reader
	rec    ringbuf.Record
	Attach []string // how each hook was attached, for the daemon's startup log
	// FailedErr is why failed execs are not recorded, or nil.
	FailedErr error
}

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

// Open loads the programs and attaches them: exec, exit and fork with tp_btf, else raw_tp; failed
// execs through the execve/execveat syscall tracepoints, mounting tracefs in a private mount
// namespace when the host has none. A failure to load or attach the failed-exec hooks is not fatal:
// it is in FailedErr.
func Open(opt Options) (*Probe, error) {
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("remove memlock limit: %w", err)
	}
	spec, err := loadExec()
	if err != nil {
		return nil, fmt.Errorf("load BPF spec: %w", err)
	}
	if opt.RingBytes == 0 {
		opt.RingBytes = defaultRingBytes
	}
	if opt.ArgsMax == 0 || opt.ArgsMax > MaxArgs {
		opt.ArgsMax = MaxArgs
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return nil, fmt.Errorf("count CPUs: %w", err)
	}
	var specs execSpecs
	if err := spec.Assign(&specs); err != nil {
		return nil, err
	}
	specs.Events.MaxEntries = uint32(opt.RingBytes)
	specs.Scratches.MaxEntries = uint32(ncpu)
	specs.Pathbufs.MaxEntries = uint32(ncpu)
	if err := specs.CfgArgsMax.Set(opt.ArgsMax); err != nil {
		return nil, err
	}
	if err := specs.CfgWakeupBytes.Set(wakeupBytes(opt.RingBytes)); err != nil {
		return nil, err
	}
	if _, err := btf.LoadKernelSpec(); err != nil {
		return nil, fmt.Errorf("kernel BTF: %w", err)
	}

	p := &Probe{}
	if err := spec.LoadAndAssign(&p.maps, nil); err != nil {
		return nil, fmt.Errorf("create BPF maps: %w", err)
	}
	// Every program load after this one shares these maps.
	opts := &ebpf.CollectionOptions{MapReplacements: p.maps.byName()}
	// tp_btf first; on a kernel that refuses it, the raw_tp twins run the same code.
	modes := []bool{false, true}
	if opt.RawTP {
		modes = modes[1:]
	}
	for _, raw := range modes {
		var s schedProgs
		if s, err = loadSched(spec, opts, raw); err != nil {
			continue
		}
		p.progs = append(p.progs, s.Exec, s.Exit, s.Fork)
		if err = p.attachSched(s, raw); err != nil {
			p.Detach()
			p.closeProgs()
			p.Attach = nil
			continue
		}
		break
	}
	if err != nil {
		p.Close()
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("load BPF programs: %+v", ve)
		}
		return nil, fmt.Errorf("load BPF programs: %w", err)
	}
	nLinks, nAttach := len(p.links), len(p.Attach)
	switch {
	case opt.NoFailed:
		p.FailedErr = errors.New("disabled by configuration")
	case opt.Compat32:
		p.FailedErr = p.attachRawSyscalls(spec, opts)
	default:
		p.FailedErr = p.attachFailed(spec, opts)
	}
	if p.FailedErr != nil { // no entry hook without its exit hook
		for _, l := range p.links[nLinks:] {
			l.Close()
		}
		p.links, p.Attach = p.links[:nLinks], p.Attach[:nAttach]
	}
	rd, err := ringbuf.NewReader(p.maps.Events)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	p.rd = rd
	return p, nil
}

// byName returns the maps by their names in the object, for CollectionOptions.MapReplacements.
func (m *execMaps) byName() map[string]*ebpf.Map {
	v := reflect.ValueOf(m).Elem()
	out := make(map[string]*ebpf.Map, v.NumField())
	for i := range v.NumField() {
		out[v.Type().Field(i).Tag.Get("ebpf")] = v.Field(i).Interface().(*ebpf.Map)
	}
	return out
}

func loadSched(spec *ebpf.CollectionSpec, opts *ebpf.CollectionOptions, raw bool) (schedProgs, error) {
	if raw {
		var s schedRaw
		err := spec.LoadAndAssign(&s, opts)
		return schedProgs(s), err
	}
	var s schedBTF
	err := spec.LoadAndAssign(&s, opts)
	return schedProgs(s), err
}

func (p *Probe) attachSched(s schedProgs, raw bool) error {
	for _, h := range []struct {
		event string
		prog  *ebpf.Program
	}{{"exec", s.Exec}, {"exit", s.Exit}, {"fork", s.Fork}} {
		tp := "sched_process_" + h.event
		var l link.Link
		var err error
		mode := "btf"
		if raw {
			mode = "raw"
			l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: tp, Program: h.prog})
		} else {
			l, err = link.AttachTracing(link.TracingOptions{Program: h.prog})
		}
		if err != nil {
			return fmt.Errorf("attach %s %s: %w", mode, tp, err)
		}
		p.links = append(p.links, l)
		p.Attach = append(p.Attach, mode+"/"+tp)
	}
	return nil
}

// attachRawSyscalls attaches the raw sys_enter/sys_exit hooks that see 32-bit execs too.
func (p *Probe) attachRawSyscalls(spec *ebpf.CollectionSpec, opts *ebpf.CollectionOptions) error {
	var s rawSyscalls
	if err := spec.LoadAndAssign(&s, opts); err != nil {
		return fmt.Errorf("load raw sys_enter/sys_exit: %w", err)
	}
	p.progs = append(p.progs, s.Enter, s.Exit)
	for _, h := range []struct {
		tp   string
		prog *ebpf.Program
	}{{"sys_enter", s.Enter}, {"sys_exit", s.Exit}} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: h.tp, Program: h.prog})
		if err != nil {
			return fmt.Errorf("attach raw_tp/%s: %w", h.tp, err)
		}
		p.links = append(p.links, l)
		p.Attach = append(p.Attach, "raw_tp/"+h.tp)
	}
	return nil
}

// attachFailed attaches the syscall tracepoints. They are found through tracefs; where it is not
// mounted, it is mounted in a private mount namespace of one locked OS thread, which the host never sees.
func (p *Probe) attachFailed(spec *ebpf.CollectionSpec, opts *ebpf.CollectionOptions) error {
	var s syscallTracepoints
	if err := spec.LoadAndAssign(&s, opts); err != nil {
		return fmt.Errorf("load syscall tracepoint programs: %w", err)
	}
	p.progs = append(p.progs, s.EnterExecve, s.EnterExecveat, s.ExitExecve, s.ExitExecveat)
	attach := func() error {
		for _, h := range []struct {
			tp   string
			prog *ebpf.Program
		}{
			{"sys_enter_execve", s.EnterExecve}, {"sys_enter_execveat", s.EnterExecveat},
			{"sys_exit_execve", s.ExitExecve}, {"sys_exit_execveat", s.ExitExecveat},
		} {
			l, err := link.Tracepoint("syscalls", h.tp, h.prog, nil)
			if err != nil {
				return fmt.Errorf("attach tracepoint syscalls/%s: %w", h.tp, err)
			}
			p.links = append(p.links, l)
			p.Attach = append(p.Attach, "tracepoint/syscalls/"+h.tp)
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
	// deadlocks against a blocked ReadInto (docs/kernel.md, "Reading the ring").
	p.rd.SetDeadline(time.Now().Add(timeout))
	if err := p.rd.ReadInto(&p.rec); err != nil {
		return nil, err
	}
	return p.rec.RawSample, nil
}

// Counters returns, per event type (CntExec, ...), how many events the kernel sent and dropped.
func (p *Probe) Counters() (sent, dropped [NumCounters]uint64, err error) {
	for i := range NumCounters {
		var s, d []uint64
		if err = p.maps.Sent.Lookup(uint32(i), &s); err != nil {
			return
		}
		if err = p.maps.Drops.Lookup(uint32(i), &d); err != nil {
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
	p.closeProgs()
	p.maps.Close()
	return nil
}

func (p *Probe) closeProgs() {
	for _, prog := range p.progs {
		prog.Close()
	}
	p.progs = nil
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
