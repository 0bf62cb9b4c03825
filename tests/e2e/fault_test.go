package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/logio"
)

// The log's bad days: a crash, a full or read-only file system, its file or directory removed,
// rotation in every logrotate mode. In each, every record that reached the disk stays readable, a
// loss record accounts for every one precd could not keep, and precd goes on recording.

// script writes body to a file and returns the command that runs it: the shell's own argv then
// names no marker, only the commands it runs do.
func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.sh")
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return "bash " + path
}

// loop runs /bin/true marker1, marker2, ... until the returned stop is called, which returns how
// many it ran: the faults below happen while it runs, however fast the machine.
func loop(t *testing.T, marker string) (stop func() int) { return loopWith(t, marker, "") }

// loopWith is loop with more arguments after the marker (shell words, expanded for each command).
func loopWith(t *testing.T, marker, more string) (stop func() int) {
	t.Helper()
	dir := t.TempDir()
	c := exec.Command("bash", "-c", fmt.Sprintf(`i=0; while [ ! -e %[1]s/stop ]; do i=$((i+1)); /bin/true %[2]s$i %[3]s; done; echo $i > %[1]s/count`, dir, marker, more))
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() { // a test that fails before stop must not leave the loop running
		if !stopped {
			c.Process.Kill()
			c.Wait()
		}
	})
	return func() int {
		t.Helper()
		stopped = true
		os.WriteFile(filepath.Join(dir, "stop"), nil, 0o644)
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "count"))
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || n < 100 {
			t.Fatalf("the loop ran %q commands", b)
		}
		return n
	}
}

// mountTmpfs mounts a tmpfs of its own at dir (created), unmounted at the end of the test.
func mountTmpfs(t *testing.T, dir, opts string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("e2e: cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
}

// alive fails the test when precd has exited.
func (d *daemon) alive() {
	d.t.Helper()
	select {
	case err := <-d.done:
		d.done <- err
		d.t.Fatalf("precd exited: %v\n%s", err, d.stderrText())
	default:
	}
}

// catLog runs prec-cat on paths and returns its output and stderr, failing the test on exit != 0.
func catLog(t *testing.T, paths ...string) (string, string) {
	t.Helper()
	c := exec.Command(filepath.Join(binDir, "prec-cat"), paths...)
	var out, errs bytes.Buffer
	c.Stdout, c.Stderr = &out, &errs
	if err := c.Run(); err != nil {
		t.Fatalf("prec-cat %v: %v\n%s", paths, err, errs.String())
	}
	return out.String(), errs.String()
}

// byMarker counts the command rows per argument: marker-N -> how many rows.
func byMarker(rows []map[string]any, marker string) map[string]int {
	n := map[string]int{}
	for _, r := range find(rows, "command", marker) {
		if a := strs(r["argv"]); len(a) > 1 {
			n[a[1]]++
		}
	}
	return n
}

// exactlyOnce checks that marker-from .. marker-to each have one row.
func exactlyOnce(t *testing.T, got map[string]int, marker string, from, to int) {
	t.Helper()
	var missing, twice []string
	for i := from; i <= to; i++ {
		switch k := fmt.Sprintf("%s%d", marker, i); got[k] {
		case 1:
		case 0:
			missing = append(missing, k)
		default:
			twice = append(twice, k)
		}
	}
	if len(missing)+len(twice) > 0 {
		t.Errorf("%d of %d %s* rows missing (first %v), %d shown more than once (first %v)",
			len(missing), to-from+1, marker, head(missing), len(twice), head(twice))
	}
}

func head(s []string) []string { return s[:min(len(s), 3)] }

// rawStarts counts the start records per marker argument in prec-cat's output (before prec-join,
// which would merge a start seen twice).
func rawStarts(out, marker string) map[string]int {
	n := map[string]int{}
	re := regexp.MustCompile(`"(` + regexp.QuoteMeta(marker) + `[0-9]+)"`)
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `"record_type":"start"`) {
			if m := re.FindStringSubmatch(l); m != nil {
				n[m[1]]++
			}
		}
	}
	return n
}

// inOrder checks that the start records of marker-N come in the order of N: prec-cat -a read the
// rotated files oldest first.
func inOrder(t *testing.T, out, marker string) {
	t.Helper()
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(marker) + `([0-9]+)"`)
	last := 0
	for _, l := range strings.Split(out, "\n") {
		if m := re.FindStringSubmatch(l); m != nil && strings.Contains(l, `"record_type":"start"`) {
			n, _ := strconv.Atoi(m[1])
			if n < last {
				t.Errorf("%s%d after %s%d: the files were not read in order", marker, n, marker, last)
				return
			}
			last = n
		}
	}
}

// unwrittenStarts sums unwritten_starts over the loss records and returns their reasons.
func unwrittenStarts(rows []map[string]any) (int64, []string) {
	var n int64
	var why []string
	for _, r := range find(rows, "loss", "") {
		if v, ok := r["unwritten_starts"]; ok {
			n += num(v)
			why = append(why, fmt.Sprint(r["unwritten_reason"]))
		}
	}
	return n, why
}

// TestKill9Restart: precd killed during a burst, then started again on the same log: every record
// read before the restart is read after it, with the new run's, and no damage is reported.
func TestKill9Restart(t *testing.T) {
	for _, mode := range []string{"zstd", "gz", "no"} {
		t.Run(mode, func(t *testing.T) {
			d := startPrecd(t, fmt.Sprintf("compress = %q", mode))
			stop := loop(t, "k9r-marker-")
			time.Sleep(1500 * time.Millisecond)
			d.cmd.Process.Kill()
			<-d.done
			ran := stop()
			before := byMarker(readRows(t, fmt.Sprintf("%s/prec-cat %s | %s/prec-join", binDir, d.log, binDir)), "k9r-marker-")
			if len(before) == 0 {
				t.Fatal("nothing readable after kill -9")
			}
			d.start()
			sh(t, t.TempDir(), script(t, `for i in $(seq 20); do /bin/true k9r-new-$i; done`))
			settle()
			d.stop()
			// kill -9 in the middle of a write(2) tears that unit: one damaged region at most
			c := exec.Command(filepath.Join(binDir, "prec-cat"), "-a", d.log)
			var stdout, stderr bytes.Buffer
			c.Stdout, c.Stderr = &stdout, &stderr
			err := c.Run()
			if msg := strings.TrimSpace(stderr.String()); (err != nil || msg != "") && (strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "damaged")) {
				t.Errorf("prec-cat after the restart: %v\n%s", err, msg)
			}
			for k, n := range rawStarts(stdout.String(), "k9r-marker-") {
				if n != 1 {
					t.Errorf("%s: %d start records", k, n)
				}
			}
			validate(t, d.log, stdout.Bytes())
			rows := readRows(t, fmt.Sprintf("(%s/prec-cat -a %s 2>/dev/null; true) | %s/prec-join", binDir, d.log, binDir))
			after := byMarker(rows, "k9r-marker-")
			lost := 0
			for k := range before {
				if after[k] != 1 {
					lost++
				}
			}
			if lost > 0 {
				t.Errorf("%d of the %d records read before the restart are not read once after it", lost, len(before))
			}
			exactlyOnce(t, byMarker(rows, "k9r-new-"), "k9r-new-", 1, 20)
			t.Logf("%d of %d recorded before kill -9", len(before), ran)
		})
	}
}

// TestDiskFull: the log's file system fills up. precd stays up; what it flushed before stays
// readable; it holds max_pending_bytes of records, counts the rest, and once there is space writes
// what it held and a loss record for the others: recorded + unwritten_starts == execs run.
func TestDiskFull(t *testing.T) {
	requireBPF(t)
	for _, mode := range []string{"zstd", "gz", "no"} {
		t.Run(mode, func(t *testing.T) {
			mnt := filepath.Join(t.TempDir(), "mnt")
			mountTmpfs(t, mnt, "size=1m,mode=0750")
			d := startPrecdOn(t, filepath.Join(mnt, "log", "prec.log"), fmt.Sprintf(`compress = %q
max_pending_bytes = 20000
filter_default = "deny"
filter = ["+argv~=full-marker-"]`, mode))
			sh(t, mnt, script(t, `for i in $(seq 50); do /bin/true full-marker-a-$i; done`))
			settle()
			sh(t, mnt, `dd if=/dev/zero of=fill bs=64k 2>/dev/null; dd if=/dev/zero of=fill2 bs=1k 2>/dev/null; true`)
			sh(t, t.TempDir(), script(t, `for i in $(seq 300); do /bin/true full-marker-b-$i; done`))
			time.Sleep(time.Second)
			d.alive()
			out, _ := catLog(t, d.log)
			if n := strings.Count(out, `"full-marker-a-`); n != 50 {
				t.Errorf("%d of 50 records flushed before the disk filled readable while it is full", n)
			}
			os.Remove(filepath.Join(mnt, "fill"))
			os.Remove(filepath.Join(mnt, "fill2"))
			time.Sleep(time.Second)
			sh(t, t.TempDir(), script(t, `for i in $(seq 20); do /bin/true full-marker-c-$i; done`))
			settle()
			d.alive()
			d.stop()
			if _, errs := catLog(t, d.log); errs != "" {
				t.Errorf("the log is damaged (a write cut short was not truncated back?):\n%s", errs)
			}
			rows := d.rows()
			exactlyOnce(t, byMarker(rows, "full-marker-a-"), "full-marker-a-", 1, 50)
			exactlyOnce(t, byMarker(rows, "full-marker-c-"), "full-marker-c-", 1, 20)
			b := byMarker(rows, "full-marker-b-")
			unw, why := unwrittenStarts(rows)
			if int64(len(b))+unw != 300 {
				t.Errorf("recorded %d + unwritten_starts %d != 300 execs", len(b), unw)
			}
			if len(b) == 0 || unw == 0 {
				t.Errorf("recorded %d, unwritten %d: the test held nothing or dropped nothing", len(b), unw)
			}
			// the kept ones are the oldest: a continuous run from the fault on
			for i := 1; i <= len(b); i++ {
				if b[fmt.Sprintf("full-marker-b-%d", i)] != 1 {
					t.Errorf("full-marker-b-%d missing: the records kept are not the first %d", i, len(b))
					break
				}
			}
			if len(why) != 1 || !strings.Contains(why[0], "no space left on device") {
				t.Errorf("unwritten_reason %q, want one loss record saying no space left on device", why)
			}
			if n := strings.Count(d.stderrText(), "cannot write the log"); n != 1 {
				t.Errorf("%d warnings about the log, want 1:\n%s", n, d.stderrText())
			}
			t.Logf("held and written %d, counted %d; precd said:\n%s", len(b), unw, d.stderrText())
		})
	}
}

// TestReadOnlyDir: a read-only file system mounted over the log directory (EROFS for the lock and
// the log): precd holds the records, and writes them once the mount is gone.
func TestReadOnlyDir(t *testing.T) {
	d := startPrecd(t, "")
	dir := filepath.Dir(d.log)
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true ro-marker-a-$i; done`))
	settle()
	mountTmpfs(t, dir, "ro,mode=0750,size=64k")
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true ro-marker-b-$i; done`))
	time.Sleep(time.Second)
	d.alive()
	if !strings.Contains(d.stderrText(), "read-only file system") {
		t.Errorf("no warning about the read-only directory:\n%s", d.stderrText())
	}
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
	time.Sleep(time.Second)
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true ro-marker-c-$i; done`))
	settle()
	d.stop()
	rows := d.rows()
	for _, m := range []string{"ro-marker-a-", "ro-marker-b-", "ro-marker-c-"} {
		exactlyOnce(t, byMarker(rows, m), m, 1, 30)
	}
}

// TestImmutableDir: SIGHUP after the log was renamed, with the directory immutable (chattr +i): the
// reopen fails, precd warns once, holds the records and writes them when the directory is writable.
func TestImmutableDir(t *testing.T) {
	requireBPF(t)
	if _, err := exec.LookPath("chattr"); err != nil {
		t.Skip("e2e: chattr (e2fsprogs) not installed")
	}
	mnt := filepath.Join(t.TempDir(), "mnt")
	mountTmpfs(t, mnt, "size=4m,mode=0750")
	d := startPrecdOn(t, filepath.Join(mnt, "log", "prec.log"), "")
	dir := filepath.Dir(d.log)
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true imm-marker-a-$i; done`))
	settle()
	if err := os.Rename(d.log, d.log+".1"); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("e2e: chattr +i on a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
	d.cmd.Process.Signal(syscall.SIGHUP)
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true imm-marker-b-$i; done`))
	time.Sleep(time.Second)
	d.alive()
	if _, err := os.Stat(d.log); err == nil {
		t.Fatal("a log was created in an immutable directory")
	}
	exec.Command("chattr", "-i", dir).Run()
	time.Sleep(time.Second)
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true imm-marker-c-$i; done`))
	settle()
	d.stop()
	if n := strings.Count(d.stderrText(), "cannot write the log"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, d.stderrText())
	}
	rows := d.rows()
	for _, m := range []string{"imm-marker-a-", "imm-marker-b-", "imm-marker-c-"} {
		exactlyOnce(t, byMarker(rows, m), m, 1, 30)
	}
}

// TestLogRemoved: rm of the log, no SIGHUP, during a burst: precd notices within a flush interval and
// writes to a new file; what went to the removed file (read through a descriptor the test kept) and
// what is in the new one hold every record once.
func TestLogRemoved(t *testing.T) {
	d := startPrecd(t, "")
	stop := loop(t, "rm-marker-")
	time.Sleep(700 * time.Millisecond)
	old, err := os.Open(d.log)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	os.Remove(d.log)
	time.Sleep(700 * time.Millisecond)
	ran := stop()
	settle()
	d.stop()
	if _, err := os.Stat(d.log); err != nil {
		t.Fatalf("no new log after rm: %v", err)
	}
	saved := filepath.Join(filepath.Dir(d.log), "removed")
	f, _ := os.Create(saved)
	io.Copy(f, old)
	f.Close()
	out := fmt.Sprintf("(%[1]s/prec-cat %[2]s; %[1]s/prec-cat %[3]s) | %[1]s/prec-join", binDir, saved, d.log)
	got := byMarker(readRows(t, out), "rm-marker-")
	exactlyOnce(t, got, "rm-marker-", 1, ran)
	newOnly := byMarker(readRows(t, fmt.Sprintf("%s/prec-cat %s | %s/prec-join", binDir, d.log, binDir)), "rm-marker-")
	if len(newOnly) == 0 || len(newOnly) == ran {
		t.Errorf("%d of %d in the new file: the removal did not happen while they ran", len(newOnly), ran)
	}
}

// TestDirRemoved: rm -rf of the log directory and SIGHUP: precd re-creates the directory with its
// lock, so a second precd on the same log is refused, and records go on.
func TestDirRemoved(t *testing.T) {
	d := startPrecd(t, "")
	sh(t, t.TempDir(), script(t, `for i in $(seq 20); do /bin/true rmrf-marker-a-$i; done`))
	settle()
	os.RemoveAll(filepath.Dir(d.log))
	d.cmd.Process.Signal(syscall.SIGHUP)
	settle()
	for _, name := range []string{d.log, d.log + ".lock"} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("not re-created: %v", err)
		}
	}
	second := exec.Command(filepath.Join(binDir, "precd"), "-c", d.conf)
	var out bytes.Buffer
	second.Stdout, second.Stderr = &out, &out
	second.Start()
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out.String(), "already running") {
			t.Errorf("second precd: %v %s", err, out.String())
		}
	case <-time.After(5 * time.Second):
		second.Process.Kill()
		<-done
		t.Errorf("a second precd runs on the re-created directory")
	}
	sh(t, t.TempDir(), script(t, `for i in $(seq 20); do /bin/true rmrf-marker-b-$i; done`))
	settle()
	d.stop()
	exactlyOnce(t, byMarker(d.rows(), "rmrf-marker-b-"), "rmrf-marker-b-", 1, 20)
}

// TestCopytruncateGap: copytruncate by hand, with a flush between the copy and the truncation:
// the unit only the truncated file held is written again (REPLAY), so the copy and the log hold every
// record once.
func TestCopytruncateGap(t *testing.T) {
	d := startPrecd(t, `flush_interval = "1s"`)
	stop := loop(t, "ctg-marker-")
	time.Sleep(1500 * time.Millisecond)
	sh(t, filepath.Dir(d.log), `cp prec.log prec.log.1 && sleep 0.7 && truncate -s 0 prec.log`)
	time.Sleep(time.Second)
	ran := stop()
	time.Sleep(1500 * time.Millisecond)
	d.stop()
	out, errs := catLog(t, "-a", d.log)
	if errs != "" {
		t.Errorf("prec-cat -a: %s", errs)
	}
	exactlyOnce(t, rawStarts(out, "ctg-marker-"), "ctg-marker-", 1, ran)
	t.Logf("precd saw the truncation %d times", strings.Count(d.stderrText(), "log truncated under precd"))
}

// requireReplaySkip skips a test whose count needs readers that skip a replayed unit (the
// contract of issue 7), when prec-cat shows a replayed unit twice: until the readers' branch is in.
func requireReplaySkip(t *testing.T) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "replayed.log")
	w, err := logio.Create(path, logio.Zstd, 3)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`{"replay":"probe"}` + "\n"))
	w.Close()
	unit, _ := os.ReadFile(path)
	unit[13] |= 1 // the index's REPLAY flag
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(unit)
	f.Close()
	if out, _ := catLog(t, path); strings.Count(out, "probe") != 1 {
		t.Skip("e2e: prec-cat shows a replayed unit twice: the readers do not skip replays yet (branch reader, issue 7)")
	}
}

// logrotateConf is the packaged logrotate file pointed at log, its postrotate a SIGHUP to pid, with
// the directives of change replaced ("create" -> "copytruncate") or added ("+compress").
func logrotateConf(t *testing.T, log string, pid int, change ...string) string {
	t.Helper()
	b, err := os.ReadFile("../../packaging/logrotate/prec")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	skip := false
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		switch {
		case skip && len(f) > 0 && f[0] == "endscript":
			skip = false
			lines = append(lines, fmt.Sprintf("\t\tkill -HUP %d", pid), l)
			continue
		case skip:
			continue
		case len(f) > 0 && f[0] == "postrotate":
			skip = true
		case strings.HasPrefix(l, "/var/log/prec/prec.log"):
			l = strings.Replace(l, "/var/log/prec/prec.log", log, 1)
		}
		for _, c := range change {
			from, to, ok := strings.Cut(c, "->")
			if ok && len(f) > 0 && f[0] == strings.TrimSpace(from) {
				l = "\t" + strings.TrimSpace(to)
			}
		}
		lines = append(lines, l)
	}
	conf := strings.Join(lines, "\n")
	for _, c := range change {
		if add, ok := strings.CutPrefix(c, "+"); ok {
			conf = strings.Replace(conf, "\tmissingok", "\tmissingok\n\t"+add, 1)
		}
	}
	return conf
}

// TestLogrotate: the packaged logrotate file, and its copytruncate, compress, delaycompress and
// numbered variants, rotating twice while commands run: every record is read, exactly once.
func TestLogrotate(t *testing.T) {
	requireBPF(t)
	if _, err := exec.LookPath("logrotate"); err != nil {
		t.Skip("e2e: logrotate not installed")
	}
	for _, v := range []struct {
		name   string
		change []string
	}{
		{"packaged", nil},
		{"copytruncate", []string{"create->copytruncate"}},
		{"copytruncate-compress", []string{"create->copytruncate", "nocompress->compress"}},
		{"compress", []string{"nocompress->compress"}},
		{"delaycompress", []string{"nocompress->compress", "+delaycompress"}},
		{"numbered-compress", []string{"dateext->nodateext", "dateformat->", "nocompress->compress", "+delaycompress"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			if strings.HasPrefix(v.name, "copytruncate") {
				requireReplaySkip(t) // a truncation seen after the copy replays the last flush
			}
			d := startPrecd(t, "")
			conf := filepath.Join(t.TempDir(), "prec.logrotate")
			os.WriteFile(conf, []byte(logrotateConf(t, d.log, d.cmd.Process.Pid, v.change...)), 0o644)
			state := filepath.Join(t.TempDir(), "state")
			stop := loop(t, "lr-marker-")
			for range 2 {
				time.Sleep(1100 * time.Millisecond) // dateformat has seconds
				if out, err := exec.Command("logrotate", "-f", "-s", state, conf).CombinedOutput(); err != nil {
					t.Errorf("logrotate -f: %v\n%s", err, out)
				}
			}
			time.Sleep(500 * time.Millisecond)
			ran := stop()
			settle()
			d.stop()
			files, _ := filepath.Glob(d.log + "*")
			if len(files) < 4 { // the log, its lock and two rotated files
				t.Errorf("files after two rotations: %v", files)
			}
			out, errs := catLog(t, "-a", d.log)
			if errs != "" {
				t.Errorf("prec-cat -a: %s", errs)
			}
			exactlyOnce(t, rawStarts(out, "lr-marker-"), "lr-marker-", 1, ran)
			inOrder(t, out, "lr-marker-")
			exactlyOnce(t, byMarker(d.rows(), "lr-marker-"), "lr-marker-", 1, ran)
			if n := strings.Count(d.stderrText(), "log truncated under precd"); n > 0 {
				t.Logf("precd saw the truncation %d times", n)
			}
			t.Logf("%d commands; files: %v", ran, files)
			if t.Failed() { // what the next look at a loss needs: which file held what, and precd's view
				for _, f := range files {
					if !strings.HasSuffix(f, ".lock") {
						o, e := catLog(t, f)
						t.Logf("%s: %d lr-marker starts, stderr %q", f, len(rawStarts(o, "lr-marker-")), e)
					}
				}
				t.Logf("precd's log:\n%s", d.stderrText())
			}
		})
	}
}

// TestFSErrorReadOnly: an ext4 file system turns read-only under precd after an error
// (errors=remount-ro, the kernel's trigger_fs_error): writes fail with EROFS, precd holds its
// records; once the file system is mounted again, it opens the new mount and writes them. What it
// wrote before the error is still in the image.
func TestFSErrorReadOnly(t *testing.T) {
	requireBPF(t)
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("e2e: mkfs.ext4 (e2fsprogs) not installed")
	}
	tmp := t.TempDir()
	img, mnt := filepath.Join(tmp, "fs.img"), filepath.Join(tmp, "mnt")
	os.Mkdir(mnt, 0o750)
	sh(t, tmp, "truncate -s 16M fs.img && mkfs.ext4 -q fs.img")
	mount := func() string {
		t.Helper()
		out, err := exec.Command("losetup", "--find", "--show", img).Output()
		if err != nil {
			t.Skipf("e2e: no loop device: %v", err)
		}
		dev := strings.TrimSpace(string(out))
		t.Cleanup(func() { exec.Command("losetup", "-d", dev).Run() })
		if out, err := exec.Command("mount", "-o", "errors=remount-ro", dev, mnt).CombinedOutput(); err != nil {
			t.Fatalf("mount %s: %v %s", dev, err, out)
		}
		t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
		os.Chmod(mnt, 0o750)
		return filepath.Base(dev)
	}
	dev := mount()
	trigger := "/sys/fs/ext4/" + dev + "/trigger_fs_error"
	if _, err := os.Stat(trigger); err != nil {
		t.Skipf("e2e: no %s", trigger)
	}
	d := startPrecdOn(t, filepath.Join(mnt, "log", "prec.log"), "")
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true fse-marker-a-$i; done`))
	settle()
	sh(t, tmp, "sync")
	if err := os.WriteFile(trigger, []byte("prec e2e\n"), 0); err != nil {
		t.Fatal(err)
	}
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true fse-marker-b-$i; done`))
	time.Sleep(time.Second)
	d.alive()
	if !strings.Contains(d.stderrText(), "read-only file system") {
		t.Fatalf("no EROFS warning:\n%s", d.stderrText())
	}
	mount() // the image again, on a new loop device, over the read-only mount: a new mount
	time.Sleep(time.Second)
	sh(t, t.TempDir(), script(t, `for i in $(seq 30); do /bin/true fse-marker-c-$i; done`))
	settle()
	d.stop()
	t.Logf("precd said:\n%s", d.stderrText())
	rows := d.rows()
	for _, m := range []string{"fse-marker-a-", "fse-marker-b-", "fse-marker-c-"} {
		exactlyOnce(t, byMarker(rows, m), m, 1, 30)
	}
}
