package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRotation: logrotate's rename + SIGHUP while commands run: no record is lost, prec-cat -a reads
// both files in order, and each file is a complete zstd stream.
func TestRotation(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	run := exec.Command("bash", "-c", `for i in $(seq 600); do /bin/echo rot-marker-$i >/dev/null; done`)
	run.Dir = dir
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := os.Rename(d.log, d.log+".1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // records keep going to the renamed file until the HUP
	d.cmd.Process.Signal(syscall.SIGHUP)
	if err := run.Wait(); err != nil {
		t.Fatal(err)
	}
	settle()
	d.stop()
	if _, err := os.Stat(d.log); err != nil {
		t.Fatalf("no new log after SIGHUP: %v", err)
	}
	rows := find(d.rows(), "command", "rot-marker-")
	if len(rows) != 600 {
		t.Errorf("%d rows across the rotation, want 600", len(rows))
	}
	for i, r := range rows {
		if want := fmt.Sprintf("rot-marker-%d", i+1); strs(r["argv"])[1] != want {
			t.Fatalf("row %d is %v, want %s: out of order", i, r["argv"], want)
		}
		if r["end_timestamp"] == nil {
			t.Errorf("%v has no end", r["argv"])
		}
	}
	for _, f := range []string{d.log, d.log + ".1"} {
		if out, err := exec.Command("zstd", "-tq", f).CombinedOutput(); err != nil {
			if _, lerr := exec.LookPath("zstd"); lerr != nil {
				t.Logf("zstd not installed: %s not checked with it", f)
				continue
			}
			t.Errorf("zstd -t %s: %v %s", f, err, out)
		}
	}
}

// TestKill9: precd killed with SIGKILL leaves a readable log holding all but at most the last flush
// interval.
func TestKill9(t *testing.T) {
	d := startPrecd(t, "")
	sh(t, t.TempDir(), `for i in $(seq 50); do /bin/true kill9-marker-$i; done`)
	time.Sleep(600 * time.Millisecond) // > flush_interval (200ms)
	d.cmd.Process.Kill()
	<-d.done
	out, err := exec.Command(filepath.Join(binDir, "prec-cat"), d.log).CombinedOutput()
	if err != nil {
		t.Fatalf("prec-cat after kill -9: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), `"record_type":"start"`); n < 51 { // the 50 and the shell
		t.Errorf("%d start records readable after kill -9, want all 51", n)
	}
	rows := find(readRows(t, fmt.Sprintf("%s/prec-cat %s | %s/prec-join", binDir, d.log, binDir)), "command", "kill9-marker-")
	for _, r := range rows {
		if r["end_timestamp"] == nil {
			t.Errorf("%v lost its end", r["argv"])
		}
	}
	if len(rows) != 50 {
		t.Errorf("%d of 50 commands readable after kill -9", len(rows))
	}
}

// TestFilterRules: first matching rule wins, then filter_default; ends only for written starts.
func TestFilterRules(t *testing.T) {
	d := startPrecd(t, `filter_default = "deny"
filter = ["-argv~=skip-marker", "+argv~=keep-marker", "+record_type=fail && exe~=failkeep"]`)
	dir := t.TempDir()
	sh(t, dir, `/bin/true keep-marker; /bin/true keep-marker skip-marker; /bin/true other-marker; ./failkeep-marker 2>/dev/null; ./faildrop-marker 2>/dev/null; true`)
	settle()
	d.stop()
	rows := d.rows()
	if got := len(find(rows, "command", "keep-marker")); got != 1 {
		t.Errorf("%d keep-marker rows, want 1", got)
	}
	for _, m := range []string{"other-marker", "skip-marker"} {
		if got := find(rows, "command", m); len(got) != 0 {
			t.Errorf("%s recorded: %v", m, got)
		}
	}
	if got := find(rows, "fail", filepath.Join(dir, "failkeep-marker")); len(got) != 1 {
		t.Errorf("%d failkeep rows, want 1", len(got))
	}
	if got := find(rows, "fail", filepath.Join(dir, "faildrop-marker")); len(got) != 0 {
		t.Errorf("faildrop recorded: %v", got)
	}
	raw, _ := exec.Command(filepath.Join(binDir, "prec-cat"), d.log).Output()
	if n := strings.Count(string(raw), `"record_type":"end"`); n != 1 {
		t.Errorf("%d end records, want 1 (only the kept start's)", n)
	}
}

// TestSecondInstance: a second precd on the same log is refused with one line, exit 1.
func TestSecondInstance(t *testing.T) {
	d := startPrecd(t, "")
	out, err := exec.Command(filepath.Join(binDir, "precd"), "-c", d.conf).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("second precd: %v %s", err, out)
	}
	if msg := strings.TrimSpace(string(out)); strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "already running") {
		t.Errorf("message %q", msg)
	}
	d.stop()
}

// TestBadConfig: an unknown key or a bad value stops startup with one line naming it.
func TestBadConfig(t *testing.T) {
	requireBPF(t)
	dir := t.TempDir()
	for conf, want := range map[string]string{
		`compress = "lz4"`:             `invalid compress: "lz4"`,
		`colour = "red"`:               `unknown key "colour"`,
		`filter = ["argv~=x"]`:         `missing action prefix`,
		`include_uids = [0]`:           `include_uids is no longer supported`,
		`flush_interval = "forever"`:   `invalid flush_interval`,
		`compress_level = 99`:          `invalid compress_level`,
		`ring_buffer_size = 100000`:    `invalid ring_buffer_size`,
		`lost_samples_action = "drop"`: `invalid lost_samples_action`,
	} {
		path := filepath.Join(dir, "bad.conf")
		os.WriteFile(path, []byte(fmt.Sprintf("log_path = %q\n%s\n", filepath.Join(dir, "log"), conf)), 0o644)
		out, err := exec.Command(filepath.Join(binDir, "precd"), "-c", path).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("%s: %v", conf, err)
		}
		if msg := strings.TrimSpace(string(out)); strings.Count(msg, "\n") != 0 || !strings.Contains(msg, want) || !strings.HasPrefix(msg, "precd: ") {
			t.Errorf("%s: message %q, want one line with %q", conf, msg, want)
		}
	}
	// A configuration another user could have written is refused: it chooses the log and the rules.
	path := filepath.Join(dir, "open.conf")
	os.WriteFile(path, []byte(fmt.Sprintf("log_path = %q\n", filepath.Join(dir, "log"))), 0o644)
	os.Chmod(path, 0o666)
	out, err := exec.Command(filepath.Join(binDir, "precd"), "-c", path).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("world-writable config: %v", err)
	}
	if msg := strings.TrimSpace(string(out)); strings.Count(msg, "\n") != 0 || !strings.Contains(msg, path+": configuration file writable by group or others (mode 0666)") {
		t.Errorf("world-writable config: message %q", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); err == nil {
		t.Errorf("precd created the log of a configuration it refused")
	}
}

// TestPrecShowsRecords: the everyday command on the daemon's real log: text with quoting, CSV, JSON,
// and the same output from prec as from the shell pipeline of the stage binaries.
func TestPrecShowsRecords(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	sh(t, dir, `/bin/echo prec-marker 'two words' $'esc\e[31m' >/dev/null; sh -c 'exit 7' prec-marker-exit; true`)
	settle()
	d.stop()
	prec := func(args ...string) string {
		out, err := exec.Command(filepath.Join(binDir, "prec"), append([]string{"-i", d.log}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("prec %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := prec("-A", "-q", "argv~=prec-marker && comm!=bash", "-f", "command,exit_status,cwd")
	want := fmt.Sprintf("/bin/echo prec-marker 'two words' $'esc\\e[31m' 0 %s\nsh -c 'exit 7' prec-marker-exit 7 %s\n", dir, dir)
	if out != want {
		t.Errorf("prec text:\n%s\nwant:\n%s", out, want)
	}
	for _, args := range [][]string{
		{"-A", "-o", "json", "-f", "all"},
		{"-A", "-o", "csv", "-q", "exit_status!=0", "-f", "+exit_status,duration"},
		{"-A", "--tree", "-n", "3"},
		{"-q", "cwd=" + dir},
	} {
		got := prec(args...)
		pipe := fmt.Sprintf("%[1]s/prec-cat %[2]s | %[1]s/prec-join | %[1]s/prec-filter %[3]s | %[1]s/prec-fmt %[4]s",
			binDir, d.log, filterArgs(args), fmtArgs(args))
		shOut, err := exec.Command("bash", "-o", "pipefail", "-c", pipe).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", pipe, err, shOut)
		}
		if got != string(shOut) {
			t.Errorf("prec %v differs from %s:\n%s\n---\n%s", args, pipe, got, shOut)
		}
	}
}

// filterArgs and fmtArgs split prec's flags between the stages, shell-quoted.
func filterArgs(args []string) string {
	var q []string
	source := "source=user"
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-A":
			source = ""
		case "-q":
			q = append(q, args[i+1])
			i++
		case "-o", "-f", "-n":
			i++
		}
	}
	if source != "" {
		q = append([]string{source}, q...)
	}
	for i := range q {
		q[i] = "'" + q[i] + "'"
	}
	return strings.Join(q, " ")
}

func fmtArgs(args []string) string {
	var f []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-o", "-f", "-n":
			f = append(f, args[i], "'"+args[i+1]+"'")
			i++
		case "--tree":
			f = append(f, args[i])
		case "-q":
			i++
		}
	}
	return strings.Join(f, " ")
}

// TestLossAccounting: with a tiny ring buffer and precd stopped (SIGSTOP) during a burst, the kernel
// drops events; afterwards each of the test's own execs is either recorded or was dropped, exactly,
// and precd's loss records report every drop the kernel counted. The test's execs run in a cgroup of
// their own, and a BPF counter of the test's (count_test.go) tells, for each of them, whether precd's
// program sent it or dropped it: execs elsewhere on the host, lost or not, change nothing.
func TestLossAccounting(t *testing.T) {
	d := startPrecd(t, "ring_buffer_size = 65536")
	cg := newCgroup(t)
	drops := precdMap(t, d.cmd.Process.Pid, "drops")
	c := newExecCounter(t, cg.id, precdMap(t, d.cmd.Process.Pid, "sent"), drops)
	warmUp(t)
	d.cmd.Process.Signal(syscall.SIGSTOP)
	burst := exec.Command("bash", "-c", `for i in $(seq 1500); do /bin/true loss-marker-$i; done`)
	burst.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg.fd}
	out, err := burst.CombinedOutput()
	d.cmd.Process.Signal(syscall.SIGCONT)
	if err != nil {
		t.Fatalf("burst: %v\n%s", err, out)
	}
	time.Sleep(1500 * time.Millisecond) // a loss check runs every second
	d.stop()

	own := c.read(t)
	const execs = 1502 // bash, seq and 1500 /bin/true
	if own[ownExecs] != execs || own[ownUnknown] != 0 {
		t.Fatalf("the counter saw %d execs in the test's cgroup, %d of them neither sent nor dropped by precd's program; want %d, 0",
			own[ownExecs], own[ownUnknown], execs)
	}
	if own[ownDropped] == 0 {
		t.Fatalf("nothing of the test's was dropped (%d sent): the test did not overflow the ring", own[ownSent])
	}
	var recorded uint64
	rows := d.rows()
	for _, r := range find(rows, "command", "") {
		if r["cgroup"] == cg.path {
			recorded++
		}
	}
	if recorded+own[ownDropped] != execs {
		t.Errorf("recorded %d + dropped %d != %d execs of the test (the kernel sent %d of them)",
			recorded, own[ownDropped], execs, own[ownSent])
	}

	// precd reports what its kernel counters say was dropped, no less and no more.
	var lost [4]int64 // starts, ends, fails, forks
	var lostTotal, last int64
	for _, r := range find(rows, "loss", "") {
		for i, k := range []string{"lost_starts", "lost_ends", "lost_fails", "lost_forks"} {
			lost[i] += num(r[k])
		}
		if num(r["lost_samples"]) != num(r["lost_starts"])+num(r["lost_ends"])+num(r["lost_fails"])+num(r["lost_forks"]) {
			t.Errorf("lost_samples is not the sum of its parts: %v", r)
		}
		if num(r["lost_samples_total"]) < last {
			t.Errorf("lost_samples_total went down: %v", r)
		}
		last = num(r["lost_samples_total"])
		lostTotal += num(r["lost_samples"])
	}
	if last != lostTotal {
		t.Errorf("lost_samples_total %d != sum of lost_samples %d", last, lostTotal)
	}
	kernel := sumCounters(t, drops) // precd has exited: nothing changes them any more
	for i, k := range []string{"starts", "ends", "fails", "forks"} {
		if uint64(lost[i]) != kernel[i] {
			t.Errorf("loss records report %d lost %s, the kernel counted %d", lost[i], k, kernel[i])
		}
	}
	t.Logf("own execs %d: recorded %d, dropped %d; precd reported %v lost (starts, ends, fails, forks)",
		execs, recorded, own[ownDropped], lost)
}

// warmUp runs an exec on every CPU this test may use, so that the exec counter has seen precd's
// counters on each before the test's first exec there.
func warmUp(t *testing.T) {
	t.Helper()
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	for cpu := range 1024 {
		if set.IsSet(cpu) {
			if out, err := exec.Command("taskset", "-c", strconv.Itoa(cpu), "/bin/true").CombinedOutput(); err != nil {
				t.Fatalf("taskset: %v %s", err, out)
			}
		}
	}
}

// TestUnitCapabilities runs precd with only the capabilities its systemd unit grants (setpriv), and
// checks that it still records everything: execs with their parents' names, and failed execs.
func TestUnitCapabilities(t *testing.T) {
	requireBPF(t)
	unit, err := os.ReadFile("../../packaging/systemd/precd.service")
	if err != nil {
		t.Fatal(err)
	}
	var caps []string
	for _, l := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(l, "CapabilityBoundingSet="); ok {
			for _, c := range strings.Fields(v) {
				caps = append(caps, "+"+strings.ToLower(strings.TrimPrefix(c, "CAP_")))
			}
		}
	}
	if len(caps) == 0 {
		t.Fatal("the unit sets no CapabilityBoundingSet")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("e2e: setpriv (util-linux) not installed")
	}
	d := startPrecdWith(t, "", "setpriv", "--bounding-set=-all,"+strings.Join(caps, ","), "--inh-caps=-all", "--")
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid)); err == nil {
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "CapBnd:") {
				t.Logf("precd %s (caps %s)", l, strings.Join(caps, ","))
			}
		}
	}
	dir := t.TempDir()
	sh(t, dir, `/bin/true caps-marker; ./caps-missing 2>/dev/null; true`)
	settle()
	d.stop()
	rows := d.rows()
	r := one(t, rows, "command", "caps-marker")
	eq(t, r, "parent_exe", "/usr/bin/bash")
	one(t, rows, "fail", filepath.Join(dir, "caps-missing"))
	if strings.Contains(d.stderrText(), "not recorded") {
		t.Errorf("precd lost a feature with the unit's capabilities:\n%s", d.stderrText())
	}
}

// TestPrecFollow: prec -F on the live log shows a command when it starts and again when it ends, and
// exits 0 on SIGTERM.
func TestPrecFollow(t *testing.T) {
	d := startPrecd(t, "")
	var out bytes.Buffer
	f := exec.Command(filepath.Join(binDir, "prec"), "-A", "-F", "-i", d.log, "-q", "argv~=follow-marker && comm=sh", "-f", "command,exit_status")
	f.Stdout = &out
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	sh(t, t.TempDir(), `sh -c 'sleep 0.5; exit 3' follow-marker; true`)
	time.Sleep(1500 * time.Millisecond)
	f.Process.Signal(syscall.SIGTERM)
	if err := f.Wait(); err != nil {
		t.Errorf("prec -F after SIGTERM: %v", err)
	}
	d.stop()
	want := "sh -c 'sleep 0.5; exit 3' follow-marker -\nsh -c 'sleep 0.5; exit 3' follow-marker 3\n"
	if got := out.String(); got != want {
		t.Errorf("prec -F printed:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestTree: --tree on real records links commands by process identity: a child under its shell, and
// the image a shell exec'ed into under the shell's own row.
func TestTree(t *testing.T) {
	d := startPrecd(t, "")
	sh(t, t.TempDir(), `sh -c '/bin/true tree-child; exec /bin/true tree-exec' tree-parent`)
	settle()
	d.stop()
	out, err := exec.Command(filepath.Join(binDir, "prec"), "-A", "-i", d.log, "--tree", "-f", "command",
		"-q", "argv~=tree- && comm!=bash").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "sh -c '/bin/true tree-child; exec /bin/true tree-exec' tree-parent\n`- /bin/true tree-child\n`- /bin/true tree-exec\n"
	if string(out) != want {
		t.Errorf("prec --tree:\n%s\nwant:\n%s", out, want)
	}
}

// TestLossStop: with lost_samples_action = "stop", precd exits 1 with one line once events are lost.
func TestLossStop(t *testing.T) {
	d := startPrecd(t, "ring_buffer_size = 65536\nlost_samples_action = \"stop\"")
	d.cmd.Process.Signal(syscall.SIGSTOP)
	sh(t, t.TempDir(), `for i in $(seq 1000); do /bin/true; done`)
	d.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case err := <-d.done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("precd exited with %v, want status 1", err)
		}
		if !strings.Contains(d.stderrText(), "lost_samples_action is stop") {
			t.Errorf("stderr: %s", d.stderrText())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("precd did not stop on loss")
	}
}

// TestNotRoot: without root, precd says so in one line and exits 1.
func TestNotRoot(t *testing.T) {
	requireBPF(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("e2e: setpriv (util-linux) not installed")
	}
	dir, err := os.MkdirTemp("", "prec-e2e-nobody-") // reachable by nobody
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin, _ := os.ReadFile(filepath.Join(binDir, "precd"))
	os.WriteFile(filepath.Join(dir, "precd"), bin, 0o755)
	conf := filepath.Join(dir, "precd.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("log_path = %q\n", filepath.Join(dir, "prec.log"))), 0o644)
	out, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		filepath.Join(dir, "precd"), "-c", conf).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("precd as nobody: %v %s", err, out)
	}
	if msg := strings.TrimSpace(string(out)); msg != "precd: must run as root (loads BPF programs)" {
		t.Errorf("message %q", msg)
	}
}

// TestCompressModes: each compression writes a log of its format that prec reads back whole.
func TestCompressModes(t *testing.T) {
	// zstd: each unit begins with its index, a skippable frame
	for mode, magic := range map[string]string{"no": "{", "gz": "\x1f\x8b", "zstd": "\x50\x2a\x4d\x18"} {
		t.Run(mode, func(t *testing.T) {
			d := startPrecd(t, fmt.Sprintf("compress = %q", mode))
			sh(t, t.TempDir(), `for i in $(seq 20); do /bin/true compress-marker-$i; done`)
			settle()
			d.stop()
			head := make([]byte, 4)
			f, err := os.Open(d.log)
			if err != nil {
				t.Fatal(err)
			}
			f.Read(head)
			f.Close()
			if !strings.HasPrefix(string(head), magic) {
				t.Errorf("log starts with %q, want %q", head, magic)
			}
			if n := len(find(d.rows(), "command", "compress-marker-")); n != 20 {
				t.Errorf("%d of 20 commands read back", n)
			}
		})
	}
}
