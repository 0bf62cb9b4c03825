package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBurst: 2,000 short-lived commands from a shell loop are all recorded, with exact argv and cwd,
// and every start has its end.
func TestBurst(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	sh(t, dir, `for i in $(seq 2000); do /bin/echo burst-marker-$i >/dev/null; done`)
	settle()
	d.stop()
	rows := find(d.rows(), "command", "burst-marker-")
	seen := map[string]bool{}
	for _, r := range rows {
		argv := strs(r["argv"])
		if len(argv) != 2 || argv[0] != "/bin/echo" {
			t.Errorf("argv = %q", argv)
			continue
		}
		seen[argv[1]] = true
		if r["cwd"] != dir {
			t.Errorf("cwd = %v, want %s", r["cwd"], dir)
		}
		if num(r["exit_status"]) != 0 || r["end_timestamp"] == nil {
			t.Errorf("no end or exit status for %v", r)
		}
		if r["exe"] != "/usr/bin/echo" && r["exe"] != "/bin/echo" {
			t.Errorf("exe = %v", r["exe"])
		}
	}
	for i := 1; i <= 2000; i++ {
		if !seen[fmt.Sprintf("burst-marker-%d", i)] {
			t.Errorf("burst-marker-%d not recorded", i)
		}
	}
	if len(rows) != 2000 {
		t.Errorf("%d rows, want 2000", len(rows))
	}
	if lost := find(d.rows(), "loss", ""); len(lost) != 0 {
		t.Errorf("loss records: %v", lost)
	}
}

// TestFields checks every field of one command's record against what the test knows of it.
func TestFields(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	c := exec.Command("/bin/sh", "-c", "exit 3", "fields-marker")
	c.Dir = dir
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("run: %v", err)
	}
	settle()
	d.stop()
	r := one(t, d.rows(), "command", "fields-marker")
	eq(t, r, "argv", []any{"/bin/sh", "-c", "exit 3", "fields-marker"})
	eq(t, r, "argc", 4)
	eq(t, r, "exe", "/usr/bin/dash")
	eq(t, r, "filename", "/bin/sh")
	eq(t, r, "comm", "sh")
	eq(t, r, "cwd", dir)
	eq(t, r, "uid", 0)
	eq(t, r, "gid", 0)
	eq(t, r, "user", "root")
	eq(t, r, "group", "root")
	eq(t, r, "pid", c.Process.Pid)
	eq(t, r, "ppid", os.Getpid())
	eq(t, r, "exit_status", 3)
	eq(t, r, "record_type", "command")
	eq(t, r, "source", "system") // parent is the Go test, not a shell
	eq(t, r, "parent_comm", filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))])
	self, _ := os.Executable()
	eq(t, r, "parent_exe", self)
	loginuid, _ := os.ReadFile("/proc/self/loginuid")
	eq(t, r, "auid", strings.TrimSpace(string(loginuid)))
	sessionid, _ := os.ReadFile("/proc/self/sessionid")
	eq(t, r, "session_id", strings.TrimSpace(string(sessionid)))
	if _, ok := r["signal"]; ok {
		t.Errorf("signal on a normal exit: %v", r["signal"])
	}
	if !strings.HasPrefix(r["event_id"].(string), "20") || !strings.Contains(r["event_id"].(string), "-") {
		t.Errorf("event_id = %v", r["event_id"])
	}
	if num(r["duration_ns"]) <= 0 {
		t.Errorf("duration_ns = %v", r["duration_ns"])
	}
	start, _ := time.Parse(time.RFC3339Nano, r["timestamp"].(string))
	end, _ := time.Parse(time.RFC3339Nano, r["end_timestamp"].(string))
	if time.Since(start) > time.Minute || end.Before(start) {
		t.Errorf("timestamp %v end_timestamp %v", start, end)
	}
	if want := fmt.Sprintf("%d@", c.Process.Pid); !strings.HasPrefix(r["process_key"].(string), want) {
		t.Errorf("process_key = %v, want %s...", r["process_key"], want)
	}
}

// TestArguments: empty arguments, spaces, newlines, control characters and invalid UTF-8 survive.
func TestArguments(t *testing.T) {
	d := startPrecd(t, "")
	args := []string{"args-marker", "", "with space", "new\nline", "tab\tesc\x1b[31m", "bad\xff\xfeutf8", ""}
	if err := exec.Command("/bin/true", args...).Run(); err != nil {
		t.Fatal(err)
	}
	settle()
	d.stop()
	r := one(t, d.rows(), "command", "args-marker")
	argv := strs(r["argv"])
	want := append([]string{"/bin/true"}, args...)
	want[6] = "bad\ufffd\ufffdutf8"
	if fmt.Sprintf("%q", argv) != fmt.Sprintf("%q", want) {
		t.Errorf("argv = %q\nwant   %q", argv, want)
	}
	eq(t, r, "argc", len(args)+1)
	raw := strs(r["argv_raw"])
	if len(raw) != len(args)+1 {
		t.Fatalf("argv_raw = %q", raw)
	}
	for i, a := range append([]string{"/bin/true"}, args...) {
		b, err := base64.StdEncoding.DecodeString(raw[i])
		if err != nil || string(b) != a {
			t.Errorf("argv_raw[%d] = %q (%q), want %q", i, raw[i], b, a)
		}
	}
}

// TestLongCommands: a 300-argument command and a 100 KiB argument are cut, flagged, with argc exact.
func TestLongCommands(t *testing.T) {
	d := startPrecd(t, "")
	many := []string{"many-marker"}
	for i := 1; i < 300; i++ {
		many = append(many, fmt.Sprintf("a%d", i))
	}
	if err := exec.Command("/bin/true", many...).Run(); err != nil {
		t.Fatal(err)
	}
	big := "big-marker-" + strings.Repeat("x", 100<<10)
	if err := exec.Command("/bin/true", big).Run(); err != nil {
		t.Fatal(err)
	}
	settle()
	d.stop()
	rows := d.rows()
	r := one(t, rows, "command", "many-marker")
	eq(t, r, "argc", 301)
	eq(t, r, "argv_truncated", true)
	if argv := strs(r["argv"]); len(argv) != 128 || argv[1] != "many-marker" || argv[127] != "a126" {
		t.Errorf("argv: %d args, %q ... %q", len(argv), argv[:2], argv[len(argv)-1])
	}
	r = one(t, rows, "command", "big-marker")
	eq(t, r, "argc", 2)
	eq(t, r, "argv_truncated", true)
	if argv := strs(r["argv"]); len(argv) != 2 || len(argv[1]) != 1024 || !strings.HasPrefix(argv[1], "big-marker-xxx") {
		t.Errorf("argv[1] has %d bytes", len(argv[1]))
	}
}

// TestExitStatus: exit codes and signal deaths as the shell sees them.
func TestExitStatus(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	cases := []struct {
		script string
		status int
		signal string
	}{
		{"exit 0", 0, ""},
		{"exit 3", 3, ""},
		{"exit 300", 44, ""},
		{"kill -TERM $$", 143, "SIGTERM"},
		{"kill -KILL $$", 137, "SIGKILL"},
		{"ulimit -c unlimited; kill -SEGV $$", 139, "SIGSEGV"},
	}
	var cores []bool
	for i, c := range cases {
		cmd := exec.Command("/bin/sh", "-c", c.script, fmt.Sprintf("exit-marker-%d", i))
		cmd.Dir = dir
		err := cmd.Run()
		code := 0
		var ws syscall.WaitStatus
		if ee, ok := err.(*exec.ExitError); ok {
			ws = ee.Sys().(syscall.WaitStatus)
			code = ws.ExitStatus()
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
		if code != c.status {
			t.Fatalf("%s: shell status %d, want %d", c.script, code, c.status)
		}
		cores = append(cores, ws.CoreDump())
	}
	settle()
	d.stop()
	rows := d.rows()
	for i, c := range cases {
		r := one(t, rows, "command", fmt.Sprintf("exit-marker-%d", i))
		eq(t, r, "exit_status", c.status)
		if c.signal != "" {
			eq(t, r, "signal", c.signal)
		} else if r["signal"] != nil {
			t.Errorf("%s: signal = %v", c.script, r["signal"])
		}
		if got := r["core_dumped"] == true; got != cores[i] {
			t.Errorf("%s: core_dumped = %v, the wait status says %v", c.script, got, cores[i])
		}
	}
	if !cores[len(cases)-1] {
		t.Logf("no core dump happened (core_pattern %q?), core_dumped checked false", "see /proc/sys/kernel/core_pattern")
	}
}

// TestFailedExec: ENOENT and EACCES, with the attempted path, argv and errno.
func TestFailedExec(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec-marker.sh")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	missing := filepath.Join(dir, "missing-marker")
	for _, p := range []string{missing, noexec} {
		c := exec.Command(p, "fail-arg")
		c.Dir = dir
		if err := c.Run(); err == nil {
			t.Fatalf("%s ran", p)
		}
	}
	// relative path: the record names it absolutely
	sh(t, dir, "./missing-marker-rel 2>/dev/null; true")
	settle()
	d.stop()
	rows := d.rows()
	r := one(t, rows, "fail", missing)
	eq(t, r, "exe", missing)
	eq(t, r, "argv", []any{missing, "fail-arg"})
	eq(t, r, "exec_errno", 2)
	eq(t, r, "exec_error", "no such file or directory")
	eq(t, r, "cwd", dir)
	eq(t, r, "syscall", "execve")
	r = one(t, rows, "fail", noexec)
	eq(t, r, "exec_errno", 13)
	eq(t, r, "exec_error", "permission denied")
	r = one(t, rows, "fail", "missing-marker-rel")
	eq(t, r, "exe", filepath.Join(dir, "missing-marker-rel"))
	eq(t, r, "filename", "./missing-marker-rel")
}

// TestShebang: a script's record names the interpreter the kernel ran.
func TestShebang(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	script := filepath.Join(dir, "shebang-marker.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755)
	if out, err := exec.Command(script, "arg1").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	settle()
	d.stop()
	r := one(t, d.rows(), "command", script)
	eq(t, r, "argv", []any{"/bin/sh", script, "arg1"})
	eq(t, r, "exe", "/usr/bin/dash")
	eq(t, r, "filename", script)
	eq(t, r, "interpreter", "/bin/sh")
	eq(t, r, "exit_status", 0)
}

// TestThreadExec: an exec from a thread that is not the leader; the test binary's own image ends
// there, replaced by the new one.
func TestThreadExec(t *testing.T) {
	d := startPrecd(t, "")
	self, _ := os.Executable()
	c := exec.Command(self, "thread-exec-image")
	c.Env = append(os.Environ(), "PREC_E2E_HELPER=threadexec")
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "thread-exec-marker") {
		t.Fatalf("%v: %s", err, out)
	}
	settle()
	d.stop()
	rows := d.rows()
	r := one(t, rows, "command", "thread-exec-marker")
	eq(t, r, "pid", c.Process.Pid)
	eq(t, r, "thread_exec", true)
	eq(t, r, "exit_status", 0)
	before := one(t, rows, "command", "thread-exec-image")
	eq(t, before, "pid", c.Process.Pid)
	eq(t, before, "replaced_by", r["event_id"])
	eq(t, before, "process_key", r["process_key"])
}

// TestMemfdExec: fexecve of a memfd, through execveat.
func TestMemfdExec(t *testing.T) {
	d := startPrecd(t, "")
	self, _ := os.Executable()
	c := exec.Command(self)
	c.Env = append(os.Environ(), "PREC_E2E_HELPER=memfd")
	if out, err := c.CombinedOutput(); err != nil || !strings.Contains(string(out), "memfd-exec-marker") {
		t.Fatalf("%v: %s", err, out)
	}
	settle()
	d.stop()
	r := one(t, d.rows(), "command", "memfd-exec-marker")
	if exe, _ := r["exe"].(string); !strings.HasPrefix(exe, "/memfd:prec-memfd-marker") {
		t.Errorf("exe = %q, want /memfd:prec-memfd-marker...", exe)
	}
	if fn, _ := r["filename"].(string); !strings.HasPrefix(fn, "/dev/fd/") {
		t.Errorf("filename = %q, want /dev/fd/N", fn)
	}
	eq(t, r, "argv", []any{"echo", "memfd-exec-marker"})
}

// TestSetuid: a setuid-root program run by nobody: uid stays nobody's, euid is 0.
func TestSetuid(t *testing.T) {
	d := startPrecd(t, "")
	dir, err := os.MkdirTemp("", "prec-e2e-setuid-") // t.TempDir's parent is closed to nobody
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	prog := filepath.Join(dir, "setuid-marker")
	data, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(prog, data, 0o755)
	os.Chmod(prog, os.ModeSetuid|0o755) // (os.Chmod ignores a plain 0o4000 bit)
	if out, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", prog).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	settle()
	d.stop()
	r := one(t, d.rows(), "command", "setuid-marker")
	eq(t, r, "uid", 65534)
	eq(t, r, "gid", 65534)
	eq(t, r, "euid", 0)
	eq(t, r, "user", "nobody")
	if _, ok := r["egid"]; ok {
		t.Errorf("egid written though it equals gid: %v", r["egid"])
	}
}

// TestCgroup: a command in a new cgroup is recorded with that cgroup's path.
func TestCgroup(t *testing.T) {
	d := startPrecd(t, "")
	root, rel := "", fmt.Sprintf("/prec-e2e-%d", os.Getpid())
	for _, dir := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil {
			root = dir
			break
		}
	}
	if root == "" {
		t.Skip("e2e: no writable cgroup hierarchy found")
	}
	cg := root + rel
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Skipf("e2e: cannot create a cgroup: %v", err)
	}
	defer os.Remove(cg)
	sh(t, "/", fmt.Sprintf("echo $$ > %s/cgroup.procs && /bin/true cgroup-marker", cg))
	settle()
	d.stop()
	r := one(t, d.rows(), "command", "cgroup-marker")
	eq(t, r, "cgroup", rel)
}

// TestInteractive: a command typed in a terminal's shell is source=user, with the terminal named.
func TestInteractive(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("e2e: script(1) not installed (util-linux)")
	}
	d := startPrecd(t, "")
	c := exec.Command("script", "-qfec", "bash --norc --noprofile -c '/bin/true tty-marker; true'", "/dev/null")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	settle()
	d.stop()
	r := one(t, d.rows(), "command", "tty-marker")
	eq(t, r, "source", "user")
	eq(t, r, "parent_comm", "bash")
	if tty, _ := r["tty"].(string); !strings.HasPrefix(tty, "/dev/pts/") {
		t.Errorf("tty = %q", tty)
	}
	if num(r["tty_nr"]) < 136<<8 {
		t.Errorf("tty_nr = %v", r["tty_nr"])
	}
	eq(t, r, "parent_tty", r["tty"])
}

// TestFailedExec32: with failed_execs_32bit, a 32-bit program's failed execve is recorded (argv read
// as 4-byte pointers), and native failures still are.
func TestFailedExec32(t *testing.T) {
	requireBPF(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "exec32.c")
	os.WriteFile(src, []byte(`#include <unistd.h>
int main(void) {
	char *argv[] = {"/nonexistent/exec32-marker", "arg one", "", 0};
	execve(argv[0], argv, 0);
	return 7;
}
`), 0o644)
	prog := filepath.Join(dir, "exec32")
	if out, err := exec.Command("gcc", "-m32", "-static", "-o", prog, src).CombinedOutput(); err != nil {
		t.Skipf("e2e: cannot build a 32-bit program (apt-get install gcc-multilib): %v %s", err, out)
	}
	d := startPrecd(t, "failed_execs_32bit = true")
	if !strings.Contains(d.stderrText(), "raw_tp/sys_enter") {
		t.Errorf("raw syscall hooks not attached:\n%s", d.stderrText())
	}
	if err := exec.Command(prog).Run(); err == nil || err.(*exec.ExitError).ExitCode() != 7 {
		t.Fatalf("32-bit program: %v", err)
	}
	sh(t, dir, "./missing64-marker 2>/dev/null; true")
	settle()
	d.stop()
	rows := d.rows()
	r := one(t, rows, "fail", "/nonexistent/exec32-marker")
	eq(t, r, "argv", []any{"/nonexistent/exec32-marker", "arg one", ""})
	eq(t, r, "compat_32bit", true)
	eq(t, r, "exec_errno", 2)
	r = one(t, rows, "fail", filepath.Join(dir, "missing64-marker"))
	if _, ok := r["compat_32bit"]; ok {
		t.Errorf("native failure marked 32-bit: %v", r)
	}
}

// TestLastThreadExit: the main thread leaves first (pthread_exit), another thread ends the process
// later with exit(5): the end record comes with the last thread, with its status.
func TestLastThreadExit(t *testing.T) {
	requireBPF(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "threads.c")
	os.WriteFile(src, []byte(`#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static void *late(void *arg) { usleep(300000); exit(5); }
int main(void) {
	pthread_t t;
	pthread_create(&t, 0, late, 0);
	pthread_exit(0);
}
`), 0o644)
	prog := filepath.Join(dir, "threads-marker")
	if out, err := exec.Command("gcc", "-pthread", "-o", prog, src).CombinedOutput(); err != nil {
		t.Skipf("e2e: cannot build a C test program: %v %s", err, out)
	}
	d := startPrecd(t, "")
	err := exec.Command(prog).Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 5 {
		t.Fatalf("run: %v", err)
	}
	settle()
	d.stop()
	r := one(t, d.rows(), "command", "threads-marker")
	eq(t, r, "exit_status", 5)
	if ns := num(r["duration_ns"]); ns < 300_000_000 {
		t.Errorf("duration_ns %d: the end came with the first thread, not the last", ns)
	}
}
