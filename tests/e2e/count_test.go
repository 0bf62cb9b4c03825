package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// testCgroup is a cgroup v2 child made for one test: processes started in it are the test's own,
// whatever else runs on the host.
type testCgroup struct {
	path string // as precd records it, from the v2 root: /prec-e2e-...
	id   uint64 // what bpf_get_current_cgroup_id returns for its processes
	fd   int    // for SysProcAttr.CgroupFD
}

// newCgroup creates a cgroup v2 child of the root, removed when the test ends.
func newCgroup(t *testing.T) *testCgroup {
	t.Helper()
	root := cgroup2Root()
	if root == "" {
		t.Skip("e2e: no cgroup v2 hierarchy mounted (needed to tell the test's execs from the host's)")
	}
	name := fmt.Sprintf("prec-e2e-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("create cgroup: %v", err)
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(dir)
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Close(fd)
		if err := os.Remove(dir); err != nil { // its processes have all been waited for
			t.Errorf("remove cgroup: %v", err)
		}
	})
	return &testCgroup{path: "/" + name, id: st.Ino, fd: fd} // on cgroup2 the inode number is the id
}

// cgroup2Root is where the v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
// hybrid host), or "".
func cgroup2Root() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if fs := strings.Fields(pre); ok && len(fs) >= 5 && strings.HasPrefix(post, "cgroup2 ") && fs[3] == "/" {
			return fs[4]
		}
	}
	return ""
}

// precdMap opens the BPF map named name that precd (process pid) holds, found through the map ids
// in /proc/PID/fdinfo: other precds on the host (other tests) have maps of the same name. The map
// stays readable after precd exits, for as long as the test holds it.
func precdMap(t *testing.T, pid int, name string) *ebpf.Map {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fdinfo", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		info, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(info), "\n") {
			v, ok := strings.CutPrefix(l, "map_id:")
			if !ok {
				continue
			}
			id, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			m, err := ebpf.NewMapFromID(ebpf.MapID(id))
			if err != nil {
				continue
			}
			if mi, err := m.Info(); err == nil && mi.Name == name {
				t.Cleanup(func() { m.Close() })
				return m
			}
			m.Close()
		}
	}
	t.Fatalf("precd (pid %d) holds no map named %q", pid, name)
	return nil
}

// sumCounters returns precd's per-CPU counter map summed over CPUs, indexed by event type.
func sumCounters(t *testing.T, m *ebpf.Map) []uint64 {
	t.Helper()
	n := int(m.MaxEntries())
	out := make([]uint64, n)
	for i := range n {
		var per []uint64
		if err := m.Lookup(uint32(i), &per); err != nil {
			t.Fatal(err)
		}
		for _, v := range per {
			out[i] += v
		}
	}
	return out
}

// Indexes of execCounter's counts.
const (
	ownExecs   = iota // execs in the cgroup
	ownSent           // ... that precd's program sent to its ring
	ownDropped        // ... that it counted as dropped
	ownUnknown        // ... that moved neither counter by exactly one: an accounting bug, or a CPU not warmed up
	numOwn
)

// execCounter is the test's own witness of precd's loss accounting. Its program runs at every
// sched_process_exec right after precd's (probes of one tracepoint run in the order they were
// attached, one after the other on the same CPU), reads precd's per-CPU sent and drops counters for
// exec events, and remembers them per CPU: between two exec events on a CPU only precd's program
// for the second one changes them, so their change says whether precd sent that exec or dropped it.
// It attributes only the execs of one cgroup, so other activity on the host cannot blur the count.
type execCounter struct {
	counts *ebpf.Map
	state  *ebpf.Map
	prog   *ebpf.Program
	link   link.Link
}

// newExecCounter attaches the counter for cgroup id cg, after precd's own exec program; sent and
// drops are precd's counter maps.
func newExecCounter(t *testing.T, cg uint64, sent, drops *ebpf.Map) *execCounter {
	t.Helper()
	c := &execCounter{}
	var err error
	if c.counts, err = ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: numOwn}); err != nil {
		t.Fatal(err)
	}
	// per CPU: precd's sent and drops after the last exec event seen, and 1 once set
	if c.state, err = ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.PerCPUArray, KeySize: 4, ValueSize: 24, MaxEntries: 1}); err != nil {
		t.Fatal(err)
	}
	const cntExec = 0                          // PREC_CNT_EXEC
	bump := func(idx int32) asm.Instructions { // counts[idx]++ (per CPU: no atomics needed)
		return asm.Instructions{
			asm.StoreImm(asm.RFP, -8, int64(idx), asm.Word),
			asm.LoadMapPtr(asm.R1, c.counts.FD()),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, -8),
			asm.FnMapLookupElem.Call(),
			asm.JEq.Imm(asm.R0, 0, "update"),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
			asm.Add.Imm(asm.R1, 1),
			asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
		}
	}
	lookup := func(fd int, key int64) asm.Instructions { // r0 = &map[key] or exit
		return asm.Instructions{
			asm.StoreImm(asm.RFP, -4, key, asm.Word),
			asm.LoadMapPtr(asm.R1, fd),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, -4),
			asm.FnMapLookupElem.Call(),
			asm.JEq.Imm(asm.R0, 0, "exit"),
		}
	}
	var insns asm.Instructions
	insns = append(insns, lookup(sent.FD(), cntExec)...)
	insns = append(insns, asm.LoadMem(asm.R7, asm.R0, 0, asm.DWord)) // r7 = sent on this CPU
	insns = append(insns, lookup(drops.FD(), cntExec)...)
	insns = append(insns, asm.LoadMem(asm.R8, asm.R0, 0, asm.DWord)) // r8 = drops on this CPU
	insns = append(insns, lookup(c.state.FD(), 0)...)
	insns = append(insns,
		asm.Mov.Reg(asm.R9, asm.R0), // r9 = this CPU's state
		asm.FnGetCurrentCgroupId.Call(),
		asm.LoadImm(asm.R1, int64(cg), asm.DWord),
		asm.JNE.Reg(asm.R0, asm.R1, "update"), // not ours: only remember the counters
	)
	insns = append(insns, bump(ownExecs)...)
	insns = append(insns,
		asm.LoadMem(asm.R1, asm.R9, 16, asm.Word),
		asm.JEq.Imm(asm.R1, 0, "unknown"),
		asm.LoadMem(asm.R1, asm.R9, 0, asm.DWord),
		asm.Mov.Reg(asm.R2, asm.R7),
		asm.Sub.Reg(asm.R2, asm.R1), // r2 = sent - last sent
		asm.LoadMem(asm.R1, asm.R9, 8, asm.DWord),
		asm.Mov.Reg(asm.R3, asm.R8),
		asm.Sub.Reg(asm.R3, asm.R1), // r3 = drops - last drops
		asm.JNE.Imm(asm.R2, 1, "notsent"),
		asm.JNE.Imm(asm.R3, 0, "unknown"),
	)
	insns = append(insns, bump(ownSent)...)
	insns = append(insns, asm.Ja.Label("update"))
	insns = append(insns, asm.JNE.Imm(asm.R2, 0, "unknown").WithSymbol("notsent"))
	insns = append(insns, asm.JNE.Imm(asm.R3, 1, "unknown"))
	insns = append(insns, bump(ownDropped)...)
	insns = append(insns, asm.Ja.Label("update"))
	unknown := bump(ownUnknown)
	unknown[0] = unknown[0].WithSymbol("unknown")
	insns = append(insns, unknown...)
	insns = append(insns,
		asm.StoreMem(asm.R9, 0, asm.R7, asm.DWord).WithSymbol("update"),
		asm.StoreMem(asm.R9, 8, asm.R8, asm.DWord),
		asm.StoreImm(asm.R9, 16, 1, asm.Word),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("exit"),
		asm.Return(),
	)
	if c.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.RawTracepoint, Instructions: insns, License: "GPL"}); err != nil {
		t.Fatalf("load exec counter: %v", err)
	}
	if c.link, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sched_process_exec", Program: c.prog}); err != nil {
		t.Fatalf("attach exec counter: %v", err)
	}
	t.Cleanup(c.close)
	return c
}

// read returns the counts summed over CPUs.
func (c *execCounter) read(t *testing.T) [numOwn]uint64 {
	t.Helper()
	var out [numOwn]uint64
	for i := range out {
		var per []uint64
		if err := c.counts.Lookup(uint32(i), &per); err != nil {
			t.Fatal(err)
		}
		for _, v := range per {
			out[i] += v
		}
	}
	return out
}

func (c *execCounter) close() {
	c.link.Close()
	c.prog.Close()
	c.state.Close()
	c.counts.Close()
}
