package recorder

import (
	"strings"

	"github.com/prec-dev/prec/lib/bpfexec"
)

// The synthetic event sequence of the golden files: every path of the event-to-record mapping.

const (
	boot0   = uint64(1_000_000_000) // start times since boot
	monoOff = int64(1_764_590_400_000_000_000)
)

func cs16(s string) (a [16]int8) {
	for i := 0; i < len(s) && i < 15; i++ {
		a[i] = int8(s[i])
	}
	return
}

func cs32(s string) (a [32]int8) {
	for i := 0; i < len(s) && i < 31; i++ {
		a[i] = int8(s[i])
	}
	return
}

type ev struct {
	exec *bpfexec.Exec
	exit *bpfexec.ExitEvent
	fork *bpfexec.ForkEvent
}

type execSpec struct {
	fail                  bool
	ktime                 uint64
	pid, ppid             uint32
	start, pstart         uint64
	uid, gid, euid, egid  uint32
	auid, ses             uint32
	comm, pcomm           string
	tty, ptty             [2]uint32
	ttyName, pttyName     string
	flags                 bpfexec.Flag
	filename, interp, exe string
	cwd, cgroup           string
	args                  []string
	argc                  int32
	ret                   int32
}

func mkExec(s execSpec) ev {
	e := &bpfexec.Exec{}
	h := &e.ExecHeader
	h.Type = bpfexec.EvExec
	if s.fail {
		h.Type = bpfexec.EvExecFail
	}
	h.Flags = s.flags
	h.KtimeNs = s.ktime
	h.StartBootNs, h.ParentStartBootNs = s.start, s.pstart
	h.Pid, h.Tgid, h.Ppid = s.pid, s.pid, s.ppid
	h.Uid, h.Gid, h.Euid, h.Egid = s.uid, s.gid, s.euid, s.egid
	h.Loginuid, h.Sessionid = s.auid, s.ses
	h.TtyMajor, h.TtyMinor = s.tty[0], s.tty[1]
	h.ParentTtyMajor, h.ParentTtyMinor = s.ptty[0], s.ptty[1]
	h.Comm, h.ParentComm = cs16(s.comm), cs16(s.pcomm)
	h.TtyName, h.ParentTtyName = cs32(s.ttyName), cs32(s.pttyName)
	h.Argc, h.Ret = s.argc, s.ret
	e.Filename, e.Exe, e.Cwd, e.Cgroup = []byte(s.filename), []byte(s.exe), []byte(s.cwd), []byte(s.cgroup)
	if s.interp != "" {
		e.Interp = []byte(s.interp)
	}
	if s.args != nil {
		e.Args = []byte(strings.Join(s.args, "\x00") + "\x00")
	}
	return ev{exec: e}
}

func mkExit(ktime uint64, pid uint32, start uint64, status uint32) ev {
	return ev{exit: &bpfexec.ExitEvent{Type: bpfexec.EvExit, KtimeNs: ktime, Tgid: pid, StartBootNs: start, Status: status}}
}

func mkFork(ktime uint64, parent uint32, pstart uint64, child uint32, cstart uint64) ev {
	return ev{fork: &bpfexec.ForkEvent{Type: bpfexec.EvFork, KtimeNs: ktime, ParentTgid: parent, ParentStartBootNs: pstart, ChildTgid: child, ChildStartBootNs: cstart}}
}

// goldenEvents: a login shell, its children, scripts, signals, replaced images, thread execs,
// odd arguments, failed execs, filtered commands, unknown processes.
func goldenEvents() []ev {
	const ms = 1_000_000
	t := uint64(5_000_000_000)
	bash := execSpec{ktime: t, pid: 100, ppid: 1, start: boot0 + 100, pstart: 1, uid: 0, gid: 0, euid: 0, egid: 0,
		auid: 4294967295, ses: 4294967295, comm: "bash", pcomm: "systemd", filename: "/bin/bash", exe: "/usr/bin/bash",
		cwd: "/root", cgroup: "/user.slice/user-0.slice/session-1.scope", args: []string{"-bash"}, argc: 1,
		tty: [2]uint32{136, 2}, ttyName: "2", flags: bpfexec.FHasTTY}
	child := func(pid uint32, k uint64, args ...string) execSpec {
		return execSpec{ktime: k, pid: pid, ppid: 100, start: boot0 + uint64(pid), pstart: boot0 + 100, uid: 4242, gid: 4242,
			euid: 4242, egid: 4242, auid: 4242, ses: 7, comm: args[0], pcomm: "bash", filename: args[0], exe: "/usr/bin/" + args[0],
			cwd: "/home/u", cgroup: "/user.slice", args: args, argc: int32(len(args)),
			tty: [2]uint32{136, 2}, ttyName: "2", ptty: [2]uint32{136, 2}, pttyName: "2", flags: bpfexec.FHasTTY | bpfexec.FParentHasTTY}
	}
	var evs []ev
	add := func(e ...ev) { evs = append(evs, e...) }

	add(mkExec(bash))
	// ls: exit 0; euid differs (setuid), filename differs from exe.
	add(mkFork(t+1*ms, 100, boot0+100, 101, boot0+101))
	ls := child(101, t+2*ms, "ls", "-l", "/tmp")
	ls.euid, ls.egid = 0, 0
	add(mkExec(ls), mkExit(t+5*ms, 101, boot0+101, 0))
	// a script: interpreter, exit 3.
	add(mkFork(t+6*ms, 100, boot0+100, 102, boot0+102))
	sc := child(102, t+7*ms, "sh", "./run.sh", "a b", "<&>\"\\\n\t")
	sc.filename, sc.interp, sc.exe = "./run.sh", "/bin/sh", "/usr/bin/dash"
	add(mkExec(sc), mkExit(t+9*ms, 102, boot0+102, 3<<8))
	// killed: SIGKILL (137), then SIGSEGV with a core (139), then a realtime signal.
	for i, st := range []uint32{9, 0x80 | 11, 40, 15} {
		pid := uint32(103 + i)
		add(mkFork(t+10*ms, 100, boot0+100, pid, boot0+uint64(pid)))
		c := child(pid, t+11*ms, "sleep", "100")
		add(mkExec(c), mkExit(t+12*ms+uint64(i), pid, boot0+uint64(pid), st))
	}
	// no parent known, cgroup "/", no tty, console parent tty, tty1.
	orphan := child(200, t+20*ms, "cron", "-f")
	orphan.ppid, orphan.pstart, orphan.cgroup, orphan.pcomm = 2, 77, "/", "kthreadd"
	orphan.tty, orphan.ttyName, orphan.ptty, orphan.pttyName, orphan.flags = [2]uint32{}, "", [2]uint32{5, 1}, "console", bpfexec.FParentHasTTY
	add(mkExec(orphan))
	tty1 := child(201, t+21*ms, "agetty", "tty1")
	tty1.ppid, tty1.pstart, tty1.pcomm, tty1.tty, tty1.ttyName = 1, 1, "systemd", [2]uint32{4, 1}, "tty1"
	add(mkExec(tty1))
	// exec replaces an image, twice; then the last exits.
	add(mkFork(t+30*ms, 100, boot0+100, 110, boot0+110))
	a := child(110, t+31*ms, "env", "FOO=1", "make")
	b := child(110, t+32*ms, "make", "all")
	b.pcomm = "bash"
	c := child(110, t+33*ms, "cc", "-c", "x.c")
	c.flags |= bpfexec.FThreadExec
	add(mkExec(a), mkExec(b), mkExec(c), mkExit(t+40*ms, 110, boot0+110, 2<<8))
	// the same pid, a new process (pid reuse): no end for the old one, its exit ignored.
	add(mkFork(t+41*ms, 100, boot0+100, 111, boot0+111))
	add(mkExec(child(111, t+42*ms, "true")))
	r := child(111, t+43*ms, "false")
	r.start = boot0 + 999
	add(mkExec(r), mkExit(t+44*ms, 111, boot0+111, 0), mkExit(t+45*ms, 111, boot0+999, 1<<8))
	// arguments: non-UTF-8, many, long, empty, truncated by the kernel; flags for truncated exe/cwd.
	add(mkFork(t+50*ms, 100, boot0+100, 120, boot0+120))
	odd := child(120, t+51*ms, "printf", "caf\xe9", "ok", "", "\xff\xfe", strings.Repeat("x", 1100), "é€𝄞")
	odd.flags |= bpfexec.FArgsTrunc | bpfexec.FExeTrunc | bpfexec.FCwdTrunc
	odd.argc = 9
	add(mkExec(odd))
	many := make([]string, 140)
	for i := range many {
		many[i] = "arg" + strings.Repeat("y", i%7)
	}
	m := child(121, t+52*ms, "xargs")
	m.args, m.argc, m.ppid, m.pstart = append([]string{"xargs"}, many...), 141, 120, boot0+120
	add(mkFork(t+51*ms+1, 120, boot0+120, 121, boot0+121), mkExec(m))
	noargs := child(122, t+53*ms, "x")
	noargs.args, noargs.argc = nil, 0
	add(mkExec(noargs))
	// a child of a process with a long, multibyte command line: parent_cmdline cut at 512 bytes.
	longp := child(130, t+60*ms, "python3", strings.Repeat("é", 300))
	add(mkFork(t+59*ms, 100, boot0+100, 130, boot0+130), mkExec(longp))
	add(mkFork(t+61*ms, 130, boot0+130, 131, boot0+131))
	k := child(131, t+62*ms, "id")
	k.ppid, k.pstart, k.pcomm = 130, boot0+130, "python3"
	add(mkExec(k), mkExit(t+63*ms, 131, boot0+131, 0))
	// fork of an unknown parent, exit of an unknown process.
	add(mkFork(t+64*ms, 999, 5, 998, 6), mkExit(t+65*ms, 998, 6, 0), mkExit(t+66*ms, 100, 12345, 0))
	// failed execs: relative path made absolute, absolute path, execveat, after PONR, 32-bit.
	f1 := child(100, t+70*ms, "nope", "--x")
	f1.fail, f1.pid, f1.ppid, f1.start, f1.pstart, f1.pcomm = true, 100, 1, boot0+100, 1, "systemd"
	f1.filename, f1.exe, f1.ret, f1.comm = "./bin/nope", "", -2, "bash"
	add(mkExec(f1))
	f2 := child(140, t+71*ms, "/etc/passwd")
	f2.fail, f2.filename, f2.exe, f2.ret = true, "/etc/passwd", "", -13
	f2.flags |= bpfexec.FExecveat | bpfexec.FPONR | bpfexec.FCompat
	add(mkExec(f2))
	f3 := child(141, t+72*ms, "x")
	f3.fail, f3.filename, f3.exe, f3.ret, f3.cwd = true, "x", "", -8, ""
	add(mkExec(f3))
	// a secret that the rules of some configurations drop, then a command after it.
	add(mkFork(t+80*ms, 100, boot0+100, 150, boot0+150))
	add(mkExec(child(150, t+81*ms, "mysql", "--password=secret")), mkExit(t+82*ms, 150, boot0+150, 0))
	add(mkFork(t+83*ms, 100, boot0+100, 151, boot0+151))
	s2 := child(151, t+84*ms, "sh", "-c", "echo secret")
	s3 := child(151, t+85*ms, "echo", "public")
	add(mkExec(s2), mkExec(s3), mkExit(t+86*ms, 151, boot0+151, 0))
	sf := child(152, t+87*ms, "secret")
	sf.fail, sf.filename, sf.exe, sf.ret = true, "secret", "", -2
	add(mkExec(sf))
	// an end before its start in ktime: duration 0.
	add(mkFork(t+90*ms, 100, boot0+100, 160, boot0+160))
	add(mkExec(child(160, t+91*ms, "date")), mkExit(t+90*ms, 160, boot0+160, 0))
	// the shell exits.
	add(mkExit(t+100*ms, 100, boot0+100, 0))
	return evs
}

// goldenConfigs are the configurations the events go through, by golden file name.
var goldenConfigs = map[string]string{
	"default": "",
	"limits": `max_args = 3
max_arg_length = 5
filter = ["-argv~=secret", "+record_type=fail", "-comm=cron"]
`,
	"rules": `filter = ["-argv~=secret", "-comm=cron"]
`,
	"useronly": `user_only = true
filter_default = "deny"
filter = ["+comm=ls", "+record_type=fail", "+exe~=make"]
`,
}
