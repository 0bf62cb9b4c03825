package recorder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/bpfexec"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // timestamps are written in local time; the expectations are in UTC
	os.Exit(m.Run())
}

// fakeNames names uid/gid 0 root and 4242 alice/staff, and counts lookups.
type fakeNames struct{ lookups int }

func (n *fakeNames) User(uid uint32) string {
	n.lookups++
	return map[uint32]string{0: "root", 4242: "alice"}[uid]
}

func (n *fakeNames) Group(gid uint32) string {
	n.lookups++
	return map[uint32]string{0: "root", 4242: "staff"}[gid]
}

const (
	ms      = uint64(1_000_000)
	t0      = uint64(5_000_000_000)
	shell   = uint32(100)
	shellSt = boot0 + 100
)

// ts is the timestamp of an event at ktime k under fixedClock.
func ts(k uint64) string { return time.Unix(0, int64(k)+monoOff).UTC().Format(time.RFC3339Nano) }

// login is the interactive shell every test starts with (pid 100, on /dev/pts/2, parent systemd).
func login() execSpec {
	return execSpec{ktime: t0, pid: shell, ppid: 1, start: shellSt, pstart: 1, auid: 4242, ses: 7, uid: 4242, gid: 4242,
		euid: 4242, egid: 4242, comm: "bash", pcomm: "systemd", filename: "/bin/bash", exe: "/usr/bin/bash", cwd: "/home/u",
		cgroup: "/user.slice", args: []string{"-bash"}, argc: 1, tty: [2]uint32{136, 2}, ttyName: "2", flags: bpfexec.FHasTTY}
}

// kid is a command the login shell runs in process pid.
func kid(pid uint32, k uint64, args ...string) execSpec {
	return execSpec{ktime: k, pid: pid, ppid: shell, start: boot0 + uint64(pid), pstart: shellSt, uid: 4242, gid: 4242,
		euid: 4242, egid: 4242, auid: 4242, ses: 7, comm: args[0], pcomm: "bash", filename: args[0], exe: "/usr/bin/" + args[0],
		cwd: "/home/u", cgroup: "/user.slice", args: args, argc: int32(len(args)),
		tty: [2]uint32{136, 2}, ttyName: "2", ptty: [2]uint32{136, 2}, pttyName: "2", flags: bpfexec.FHasTTY | bpfexec.FParentHasTTY}
}

type fields map[string]any

// null is a JSON null in a want (nil in with deletes the key).
var null = json.RawMessage("null")

// shellStart is the login shell's start record, event 1.
func shellStart() fields {
	return fields{"timestamp": ts(t0), "event_id": "20261201120000-1", "uid": 4242, "gid": 4242, "auid": 4242, "session_id": 7,
		"user": "alice", "group": "staff", "pid": 100, "ppid": 1, "comm": "bash", "exe": "/usr/bin/bash", "cwd": "/home/u",
		"argv": []string{"-bash"}, "argc": 1, "cgroup": "/user.slice", "tty": "/dev/pts/2", "tty_nr": 34818, "source": "system",
		"record_type": "start", "parent_comm": "systemd", "filename": "/bin/bash",
		"process_key": fmt.Sprintf("100@%d", shellSt), "parent_key": "1@1"}
}

// kidStart is the start record of kid(pid, k, args...) as event id, its parent the login shell.
func kidStart(id int, pid uint32, k uint64, args ...string) fields {
	return fields{"timestamp": ts(k), "event_id": fmt.Sprintf("20261201120000-%d", id), "uid": 4242, "gid": 4242, "auid": 4242,
		"session_id": 7, "user": "alice", "group": "staff", "pid": pid, "ppid": 100, "comm": args[0], "exe": "/usr/bin/" + args[0],
		"cwd": "/home/u", "argv": args, "argc": len(args), "cgroup": "/user.slice", "tty": "/dev/pts/2", "tty_nr": 34818,
		"source": "user", "record_type": "start", "parent_comm": "bash", "parent_exe": "/usr/bin/bash", "parent_cmdline": "-bash",
		"parent_tty": "/dev/pts/2", "parent_tty_nr": 34818, "filename": args[0],
		"process_key": fmt.Sprintf("%d@%d", pid, boot0+uint64(pid)), "parent_key": fmt.Sprintf("100@%d", shellSt)}
}

func endRec(id int, pid uint32, k, dur uint64, source string) fields {
	return fields{"timestamp": ts(k), "event_id": fmt.Sprintf("20261201120000-%d", id), "pid": pid, "source": source,
		"record_type": "end", "duration_ns": dur}
}

// with returns f with the keys of o set, and those o maps to nil deleted.
func (f fields) with(o fields) fields {
	g := fields{}
	for k, v := range f {
		g[k] = v
	}
	for k, v := range o {
		if v == nil {
			delete(g, k)
		} else {
			g[k] = v
		}
	}
	return g
}

func norm(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

func decode(t *testing.T, line []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return m
}

// diff names every field that differs, is missing or is extra.
func diff(got, want map[string]any) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			continue
		}
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			out = append(out, fmt.Sprintf("%s: missing, want %v", k, w))
		case !wok:
			out = append(out, fmt.Sprintf("%s: %v, want none", k, g))
		case !reflect.DeepEqual(g, w):
			out = append(out, fmt.Sprintf("%s: %v, want %v", k, g, w))
		}
	}
	return strings.Join(out, "; ")
}

// check compares the records written with want, every field of every record, and the types given
// to the sink with the records' own. Every record must carry the test's host and run_id and the seq
// that follows the record before's, from 1: a want says nothing of them.
func check(t *testing.T, out *lines, want []fields) {
	t.Helper()
	checkFrom(t, out, 1, want)
}

// checkFrom is check for records whose seq starts at seq.
func checkFrom(t *testing.T, out *lines, seq int, want []fields) {
	t.Helper()
	got := bytes.SplitAfter(out.buf.Bytes(), []byte("\n"))
	got = got[:len(got)-1]
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("record %d: missing, want %v", i, want[i])
		case i >= len(want):
			t.Errorf("record %d: %s, want none", i, got[i])
		default:
			g := decode(t, got[i])
			id := fields{"host": testHost, "run_id": "20261201120000", "seq": json.Number(fmt.Sprint(seq + i))}
			for k, w := range id {
				if fmt.Sprint(g[k]) != fmt.Sprint(w) {
					t.Errorf("record %d: %s: %v, want %v\n%s", i, k, g[k], w, got[i])
				}
				delete(g, k)
			}
			if d := diff(g, norm(t, want[i])); d != "" {
				t.Errorf("record %d: %s\n%s", i, d, got[i])
			}
			if out.types[i] != g["record_type"] || out.times[i] != g["timestamp"] {
				t.Errorf("record %d: sink told %s at %s", i, out.types[i], out.times[i])
			}
		}
	}
}

func newTest(t *testing.T, conf string) (*Recorder, *lines) {
	var out lines
	opt := fixedClock()
	opt.Names = &fakeNames{}
	return New(loadConfig(t, conf), &out, opt), &out
}

func exitSt(k uint64, pid uint32, status uint32) ev { return mkExit(k, pid, boot0+uint64(pid), status) }
func forkKid(k uint64, pid uint32) ev               { return mkFork(k, shell, shellSt, pid, boot0+uint64(pid)) }

func TestRecords(t *testing.T) {
	ls := kid(101, t0+2*ms, "ls", "-l")
	for _, c := range []struct {
		name string
		conf string
		evs  []ev
		want []fields
	}{
		{"exit 0", "", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(ls), exitSt(t0+5*ms, 101, 0)}, []fields{
			shellStart(), kidStart(2, 101, t0+2*ms, "ls", "-l"),
			endRec(2, 101, t0+5*ms, 3*ms, "user").with(fields{"exit_status": 0}),
		}},
		{"exit 3, and an end before its start", "", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(ls), exitSt(t0+ms, 101, 3<<8)}, []fields{
			shellStart(), kidStart(2, 101, t0+2*ms, "ls", "-l"),
			endRec(2, 101, t0+ms, 0, "user").with(fields{"exit_status": 3}),
		}},
		{"SIGKILL", "", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(ls), exitSt(t0+3*ms, 101, 9)}, []fields{
			shellStart(), kidStart(2, 101, t0+2*ms, "ls", "-l"),
			endRec(2, 101, t0+3*ms, ms, "user").with(fields{"exit_status": 137, "signal": "SIGKILL"}),
		}},
		{"SIGSEGV with a core", "", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(ls), exitSt(t0+3*ms, 101, 0x80|11)}, []fields{
			shellStart(), kidStart(2, 101, t0+2*ms, "ls", "-l"),
			endRec(2, 101, t0+3*ms, ms, "user").with(fields{"exit_status": 139, "signal": "SIGSEGV", "core_dumped": true}),
		}},
		{"a signal with no name", "", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(ls), exitSt(t0+3*ms, 101, 40)}, []fields{
			shellStart(), kidStart(2, 101, t0+2*ms, "ls", "-l"),
			endRec(2, 101, t0+3*ms, ms, "user").with(fields{"exit_status": 168, "signal": "SIG40"}),
		}},
		{"exec replaces the image: replaced_by; a thread exec", "", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(kid(101, t0+2*ms, "env", "make")),
			mkExec(func() execSpec { s := kid(101, t0+4*ms, "make"); s.flags |= bpfexec.FThreadExec; return s }()),
			exitSt(t0+9*ms, 101, 2<<8)}, []fields{
			shellStart(), kidStart(2, 101, t0+2*ms, "env", "make"),
			endRec(2, 101, t0+4*ms, 2*ms, "user").with(fields{"replaced_by": "20261201120000-3"}),
			kidStart(3, 101, t0+4*ms, "make").with(fields{"thread_exec": true}),
			endRec(3, 101, t0+9*ms, 5*ms, "user").with(fields{"exit_status": 2}),
		}},
		{"a pid reused: no end for the old process, its late exit ignored", "", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(ls),
			mkExec(func() execSpec { s := kid(101, t0+4*ms, "true"); s.start = 7; return s }()),
			exitSt(t0+5*ms, 101, 0), mkExit(t0+6*ms, 101, 7, 1<<8)}, []fields{
			shellStart(), kidStart(2, 101, t0+2*ms, "ls", "-l"),
			kidStart(3, 101, t0+4*ms, "true").with(fields{"process_key": "101@7"}),
			endRec(3, 101, t0+6*ms, 2*ms, "user").with(fields{"exit_status": 1}),
		}},
		{"argv limits, argv_raw, the kernel's truncation flags", "max_args = 3\nmax_arg_length = 4\n", []ev{mkExec(func() execSpec {
			s := kid(101, t0, "printf", "caf\xe9s", "\xff", "x", "y")
			s.ppid, s.pstart, s.flags, s.argc = 7, 7, bpfexec.FExeTrunc|bpfexec.FCwdTrunc|bpfexec.FHasTTY|bpfexec.FParentHasTTY, 9
			return s
		}())}, []fields{
			kidStart(1, 101, t0, "prin", "caf\ufffd", "\ufffd").with(fields{"comm": "printf", "exe": "/usr/bin/printf", "filename": "printf",
				"ppid": 7, "parent_key": "7@7", "parent_exe": nil, "parent_cmdline": nil, "argc": 9,
				"argv_raw": []string{"cHJpbg==", "Y2Fm6Q==", "/w=="}, "argv_truncated": true, "exe_truncated": true, "cwd_truncated": true}),
		}},
		{"argv cut by the kernel; no argv at all", "", []ev{mkExec(login()),
			mkExec(func() execSpec { s := kid(101, t0, "a", "b"); s.flags |= bpfexec.FArgsTrunc; s.argc = 3; return s }()),
			mkExec(func() execSpec { s := kid(102, t0, "x"); s.args, s.argc = nil, 0; return s }())}, []fields{
			shellStart(), kidStart(2, 101, t0, "a", "b").with(fields{"argc": 3, "argv_truncated": true}),
			kidStart(3, 102, t0, "x").with(fields{"argv": null, "argc": 0}),
		}},
		{"failed execs", "", []ev{mkExec(login()),
			mkExec(func() execSpec {
				s := kid(shell, t0+ms, "nope", "-x")
				s.fail, s.ppid, s.pstart, s.start, s.pcomm, s.comm, s.flags = true, 1, 1, shellSt, "systemd", "bash", bpfexec.FHasTTY
				s.filename, s.exe, s.ret, s.ptty, s.pttyName = "bin/nope", "", -2, [2]uint32{}, ""
				return s
			}()),
			mkExec(func() execSpec {
				s := kid(101, t0+2*ms, "/etc/passwd")
				s.fail, s.exe, s.ret, s.flags = true, "", -13, s.flags|bpfexec.FExecveat|bpfexec.FPONR|bpfexec.FCompat
				return s
			}()),
			mkExec(func() execSpec { s := kid(102, t0+3*ms, "x"); s.fail, s.exe, s.ret, s.cwd = true, "", -8, ""; return s }()),
		}, []fields{
			shellStart(),
			shellStart().with(fields{"timestamp": ts(t0 + ms), "event_id": nil, "record_type": "fail", "exe": "/home/u/bin/nope", "filename": "bin/nope",
				"argv": []string{"nope", "-x"}, "argc": 2, "exec_errno": 2, "exec_error": "no such file or directory", "syscall": "execve"}),
			kidStart(0, 101, t0+2*ms, "/etc/passwd").with(fields{"event_id": nil, "record_type": "fail", "exe": "/etc/passwd", "filename": nil,
				"comm": "/etc/passwd", "exec_errno": 13, "exec_error": "permission denied", "syscall": "execveat",
				"exec_after_ponr": true, "compat_32bit": true}),
			kidStart(0, 102, t0+3*ms, "x").with(fields{"event_id": nil, "record_type": "fail", "exe": "x", "filename": nil, "cwd": "",
				"exec_errno": 8, "exec_error": "exec format error", "syscall": "execve"}),
		}},
		{"rules: a filtered exec takes no id, ends nothing, and ids stay dense", `filter = ["-argv~=secret"]`, []ev{mkExec(login()),
			forkKid(t0+ms, 101), mkExec(kid(101, t0+2*ms, "mysql", "secret")), exitSt(t0+3*ms, 101, 0),
			forkKid(t0+4*ms, 102), mkExec(kid(102, t0+5*ms, "sh", "-c", "echo secret")), mkExec(kid(102, t0+6*ms, "echo", "hi")),
			mkExec(func() execSpec { s := kid(103, t0+7*ms, "secret"); s.fail, s.ret = true, -2; return s }()),
			exitSt(t0+8*ms, 102, 0)}, []fields{
			shellStart(), kidStart(2, 102, t0+6*ms, "echo", "hi"), endRec(2, 102, t0+8*ms, 2*ms, "user").with(fields{"exit_status": 0}),
		}},
		{"rules: filter_default deny, a fail allowed", "filter_default = \"deny\"\nfilter = [\"+record_type=fail\", \"+comm=ls\"]\n", []ev{mkExec(login()),
			forkKid(t0+ms, 101), mkExec(ls), exitSt(t0+5*ms, 101, 0),
			mkExec(func() execSpec { s := kid(103, t0+7*ms, "x"); s.fail, s.ret, s.exe = true, -2, ""; return s }())}, []fields{
			kidStart(1, 101, t0+2*ms, "ls", "-l"), endRec(1, 101, t0+5*ms, 3*ms, "user").with(fields{"exit_status": 0}),
			kidStart(0, 103, t0+7*ms, "x").with(fields{"event_id": nil, "record_type": "fail", "exe": "/home/u/x",
				"exec_errno": 2, "exec_error": "no such file or directory", "syscall": "execve"}),
		}},
		{"user_only", "user_only = true\n", []ev{mkExec(login()), forkKid(t0+ms, 101), mkExec(ls), exitSt(t0+5*ms, 101, 0)}, []fields{
			kidStart(1, 101, t0+2*ms, "ls", "-l"), endRec(1, 101, t0+5*ms, 3*ms, "user").with(fields{"exit_status": 0}),
		}},
		{"source: system without a tty, under a non-shell, or under init; user under a shell by exe", "", []ev{mkExec(login()),
			mkExec(func() execSpec { s := kid(101, t0, "a"); s.flags = 0; return s }()),
			mkExec(func() execSpec { s := kid(102, t0, "b"); s.pcomm, s.pstart = "make", 5; return s }()),
			mkExec(func() execSpec { s := kid(103, t0, "c"); s.ppid, s.pstart = 1, 1; return s }()),
			mkExec(func() execSpec { s := kid(104, t0, "d"); s.pcomm, s.flags = "x", bpfexec.FParentHasTTY; return s }())}, []fields{
			shellStart(),
			kidStart(2, 101, t0, "a").with(fields{"source": "system"}),
			kidStart(3, 102, t0, "b").with(fields{"source": "system", "parent_comm": "make", "parent_key": "100@5", "parent_exe": nil, "parent_cmdline": nil}),
			kidStart(4, 103, t0, "c").with(fields{"source": "system", "ppid": 1, "parent_key": "1@1", "parent_exe": nil, "parent_cmdline": nil}),
			// the parent's exe from the table (bash) makes it a shell when its comm does not; its tty is enough
			kidStart(5, 104, t0, "d").with(fields{"parent_comm": "x"}),
		}},
		{"parent fields from fork and exec", "", []ev{mkExec(login()),
			forkKid(t0+ms, 101), mkExec(kid(101, t0+2*ms, "python3", strings.Repeat("é", 300))),
			mkFork(t0+3*ms, 101, boot0+101, 102, boot0+102),
			mkExec(func() execSpec {
				s := kid(102, t0+4*ms, "id")
				s.ppid, s.pstart, s.pcomm = 101, boot0+101, "python3"
				return s
			}()),
			// the parent's start time does not match the table's: no parent_exe
			mkExec(func() execSpec { s := kid(103, t0+5*ms, "id"); s.pstart = 5; return s }()),
			// a fork of an unknown parent adds nothing
			mkFork(t0+6*ms, 999, 1, 998, 2),
			mkExec(func() execSpec { s := kid(998, t0+7*ms, "id"); s.ppid, s.pstart, s.start = 999, 1, 2; return s }())}, []fields{
			shellStart(),
			kidStart(2, 101, t0+2*ms, "python3", strings.Repeat("é", 300)),
			kidStart(3, 102, t0+4*ms, "id").with(fields{"ppid": 101, "parent_comm": "python3", "parent_exe": "/usr/bin/python3",
				"parent_cmdline": "python3 " + strings.Repeat("é", 252), "source": "system", "parent_key": fmt.Sprintf("101@%d", boot0+101)}),
			kidStart(4, 103, t0+5*ms, "id").with(fields{"parent_exe": nil, "parent_cmdline": nil, "parent_key": "100@5"}),
			kidStart(5, 998, t0+7*ms, "id").with(fields{"ppid": 999, "parent_key": "999@1", "process_key": "998@2", "parent_exe": nil, "parent_cmdline": nil}),
		}},
		{"ttys, cgroup /, euid and egid", "", []ev{
			mkExec(func() execSpec {
				s := kid(101, t0, "agetty")
				s.ppid, s.pstart, s.tty, s.ttyName, s.ptty, s.pttyName, s.cgroup = 1, 1, [2]uint32{4, 1}, "tty1", [2]uint32{5, 1}, "console", "/"
				s.uid, s.gid, s.euid, s.egid = 0, 0, 4242, 0
				return s
			}()),
			mkExec(func() execSpec {
				s := kid(102, t0, "x")
				s.ppid, s.pstart, s.tty, s.ttyName, s.ptty, s.pttyName, s.flags = 1, 1, [2]uint32{}, "", [2]uint32{136, 300}, "", 0
				s.euid, s.egid = 4242, 0
				return s
			}())}, []fields{
			kidStart(1, 101, t0, "agetty").with(fields{"ppid": 1, "parent_key": "1@1", "parent_exe": nil, "parent_cmdline": nil,
				"tty": "/dev/tty1", "tty_nr": 1025, "parent_tty": "/dev/console", "parent_tty_nr": 1281, "cgroup": nil, "source": "system",
				"uid": 0, "gid": 0, "user": "root", "group": "root", "euid": 4242}),
			kidStart(2, 102, t0, "x").with(fields{"ppid": 1, "parent_key": "1@1", "parent_exe": nil, "parent_cmdline": nil,
				"tty": nil, "tty_nr": nil, "parent_tty": "/dev/pts/300", "parent_tty_nr": 34860 | 256<<12, "source": "system", "egid": 0}),
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, out := newTest(t, c.conf)
			feed(t, r, c.evs)
			check(t, out, c.want)
		})
	}
}

// TestRunning: a process found in /proc at start (clock-tick precision) is its children's parent.
func TestRunning(t *testing.T) {
	r, out := newTest(t, "")
	r.Running(shell, shellSt/tickNs, "/usr/bin/zsh", []string{"zsh", "-l"})
	s := kid(101, t0, "ls")
	s.pstart = shellSt + 3 // the kernel's exact start time, in the same tick
	feed(t, r, []ev{mkExec(s)})
	check(t, out, []fields{kidStart(1, 101, t0, "ls").with(fields{"parent_exe": "/usr/bin/zsh", "parent_cmdline": "zsh -l",
		"parent_key": fmt.Sprintf("100@%d", shellSt+3)})})
}

func lossRec(ts string) fields {
	return fields{"timestamp": ts, "uid": 0, "gid": 0, "user": "root", "group": "root", "pid": 0, "ppid": 0, "comm": "precd",
		"exe": "precd", "cwd": "", "argv": []string{"precd", "loss"}, "argc": 2, "source": "system", "record_type": "loss",
		"lost_samples": 0, "lost_samples_total": 0, "lost_starts": 0, "lost_ends": 0, "lost_fails": 0, "lost_forks": 0}
}

func counts(exec, exit, fail, fork uint64) (c [bpfexec.NumCounters]uint64) {
	c[bpfexec.CntExec], c[bpfexec.CntExit], c[bpfexec.CntExecFail], c[bpfexec.CntFork] = exec, exit, fail, fork
	return
}

// TestLoss: loss records count new drops by kind, with the run's total; unwritten records are a loss
// record of their own; lost_samples_action ignore and stop.
func TestLoss(t *testing.T) {
	r, out := newTest(t, "")
	now := ts(0)
	for _, c := range []struct {
		c    [bpfexec.NumCounters]uint64
		want uint64
	}{{counts(0, 0, 0, 0), 0}, {counts(3, 2, 1, 1), 7}, {counts(3, 2, 1, 1), 0}, {counts(10, 2, 1, 4), 10}} {
		if n, err := r.Dropped(c.c); n != c.want || err != nil {
			t.Errorf("Dropped(%v) = %d, %v; want %d", c.c, n, err, c.want)
		}
	}
	if err := r.Unwritten(Unwritten{Starts: 5, Ends: 4, Fails: 3, From: "t1", To: "t2", Reason: "write x: no space left on device"}); err != nil {
		t.Fatal(err)
	}
	if r.LostTotal() != 17 {
		t.Errorf("LostTotal %d", r.LostTotal())
	}
	check(t, out, []fields{
		lossRec(now).with(fields{"lost_samples": 7, "lost_samples_total": 7, "lost_starts": 3, "lost_ends": 2, "lost_fails": 1, "lost_forks": 1}),
		lossRec(now).with(fields{"lost_samples": 10, "lost_samples_total": 17, "lost_starts": 7, "lost_forks": 3}),
		lossRec(now).with(fields{"lost_samples_total": 17, "unwritten_starts": 5, "unwritten_ends": 4, "unwritten_fails": 3,
			"unwritten_from": "t1", "unwritten_to": "t2", "unwritten_reason": "write x: no space left on device"}),
	})

	r, out = newTest(t, `lost_samples_action = "ignore"`)
	if n, err := r.Dropped(counts(1, 1, 0, 0)); n != 2 || err != nil || out.buf.Len() != 0 || r.LostTotal() != 2 {
		t.Errorf("ignore: %d, %v, %q", n, err, out.buf.String())
	}
	r, out = newTest(t, `lost_samples_action = "stop"`)
	if _, err := r.Dropped(counts(1, 0, 0, 0)); err == nil || !strings.Contains(err.Error(), "lost_samples_action is stop") || out.buf.Len() != 0 {
		t.Errorf("stop: %v, %q", err, out.buf.String())
	}
}

// TestClockAndNames: SyncClock moves the timestamps with the wall clock; names are looked up once a
// minute per id.
func TestClockAndNames(t *testing.T) {
	var out lines
	names := &fakeNames{}
	wall := time.Unix(0, monoOff)
	r := New(loadConfig(t, ""), &out, Options{Prefix: "p", Names: names, Now: func() time.Time { return wall }, Mono: func() int64 { return 0 }})
	feed(t, r, []ev{mkExec(kid(101, t0, "a"))})
	wall = wall.Add(2 * time.Second)
	r.SyncClock()
	feed(t, r, []ev{mkExec(kid(102, t0, "b"))})
	if names.lookups != 2 {
		t.Errorf("%d lookups for one uid and gid within a minute", names.lookups)
	}
	wall = wall.Add(time.Minute)
	feed(t, r, []ev{mkExec(kid(103, t0, "c"))})
	if names.lookups != 4 {
		t.Errorf("%d lookups after a minute, want 4", names.lookups)
	}
	if out.times[0] != ts(t0) || out.times[1] != ts(t0+2e9) {
		t.Errorf("timestamps %q", out.times)
	}
}

type failing struct{}

func (failing) Write([]byte, string, string) error { return errors.New("disk on fire") }

// TestSinkError: the sink's error comes back from the call that emitted the record.
func TestSinkError(t *testing.T) {
	r := New(loadConfig(t, ""), failing{}, fixedClock())
	for i, e := range []ev{mkExec(kid(101, t0, "a")), exitSt(t0+1, 101, 0), mkExec(func() execSpec { s := kid(102, t0, "x"); s.fail = true; return s }())} {
		var err error
		switch {
		case e.exit != nil:
			err = r.Exit(e.exit)
		case e.exec.Type == bpfexec.EvExecFail:
			err = r.Fail(e.exec)
		default:
			err = r.Exec(e.exec)
		}
		if err == nil || err.Error() != "disk on fire" {
			t.Errorf("event %d: %v", i, err)
		}
	}
	if _, err := r.Dropped(counts(1, 0, 0, 0)); err == nil {
		t.Error("Dropped: no error")
	}
}
