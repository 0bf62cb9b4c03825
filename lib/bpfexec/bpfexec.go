// Package bpfexec loads precd's BPF programs (bpf/exec.bpf.c, compiled by bpf2go and committed),
// attaches them, and reads their events from the ring buffer. It works on Linux only; elsewhere Open
// and Check return errors.ErrUnsupported. How the kernel side works: docs/kernel.md.
package bpfexec

// Options tunes what is loaded; the zero value takes the defaults.
type Options struct {
	RingBytes int    // ring buffer size: a power of two, multiple of the page size (default 8 MiB)
	ArgsMax   uint32 // bytes of argv copied per exec (default and maximum MaxArgs)
	NoFailed  bool   // don't attach the failed-exec hooks
	// Compat32 catches failed 32-bit execs too, with raw sys_enter/sys_exit hooks instead of the
	// execve/execveat tracepoints: they run on every syscall of the host.
	Compat32 bool
	// RawTP attaches exec, exit and fork with raw_tp, as on a kernel that refuses tp_btf (tests use it
	// to exercise that path).
	RawTP bool
}

// MaxArgs is the most argv bytes an exec event can carry.
const MaxArgs = 16384

const defaultRingBytes = 8 << 20

// wakeupBytes is how much must be pending in a ring of ring bytes before the kernel wakes the reader
// (cfg_wakeup_bytes in bpf/exec.bpf.c): a quarter of the ring, at most 256 KiB. Below it events go in
// without a wake-up and the reader collects them at its next poll; at it, three quarters of the ring
// are still free for what comes while the reader wakes up (docs/kernel.md, "Batched wake-ups").
func wakeupBytes(ring int) uint64 {
	return uint64(min(ring/4, 256<<10))
}
