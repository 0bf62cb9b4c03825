package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawRecords returns the log's records (and its rotated files') as precd wrote them, not joined.
func rawRecords(d *daemon) []map[string]any {
	d.t.Helper()
	validateLog(d.t, d.log)
	return readRows(d.t, fmt.Sprintf("%s/prec-cat -a %s", binDir, d.log))
}

// runOf returns the records of the run run_id, by seq; it fails the test on a record without the
// identity keys, on a repeated seq, and on a gap: every run numbers its records 1..N.
func runOf(t *testing.T, recs []map[string]any, runID string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range recs {
		if r["host"] == nil || r["run_id"] == nil || r["seq"] == nil {
			t.Fatalf("record without host, run_id or seq: %v", r)
		}
		if r["run_id"] == runID {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return num(out[i]["seq"]) < num(out[j]["seq"]) })
	for i, r := range out {
		if num(r["seq"]) != int64(i+1) {
			t.Fatalf("run %s: record %d has seq %v, want %d (a gap or a repeat): %v", runID, i+1, r["seq"], i+1, r)
		}
	}
	return out
}

// runIDs returns the run ids in the order their start records come.
func runIDs(recs []map[string]any) []string {
	var ids []string
	for _, r := range recs {
		if r["record_type"] == "daemon" && r["event"] == "start" {
			ids = append(ids, fmt.Sprint(r["run_id"]))
		}
	}
	return ids
}

// checkStop: the run's stop record is its last, and its counts are the run's own records, counted.
func checkStop(t *testing.T, run []map[string]any, reason string) {
	t.Helper()
	last := run[len(run)-1]
	if last["record_type"] != "daemon" || last["event"] != "stop" {
		t.Fatalf("last record of the run is not its stop record: %v", last)
	}
	eq(t, last, "reason", reason)
	count := map[string]int{}
	lost := map[string]int64{}
	for _, r := range run {
		count[fmt.Sprint(r["record_type"])]++
		if r["record_type"] == "loss" {
			for _, k := range []string{"lost_starts", "lost_ends", "lost_fails", "lost_forks", "unwritten_starts", "unwritten_ends", "unwritten_fails"} {
				lost[k] += max(num(r[k]), 0)
			}
		}
	}
	eq(t, last, "written_starts", count["start"])
	eq(t, last, "written_ends", count["end"])
	eq(t, last, "written_fails", count["fail"])
	eq(t, last, "written_losses", count["loss"])
	for k, n := range lost {
		eq(t, last, k, n)
	}
	if count["daemon"] < 2 {
		t.Errorf("run has %d daemon records, want its start and stop", count["daemon"])
	}
}

// TestLifecycleStartStop: a run begins with its start record (seq 1: version, kernel, boot id, the
// configuration's digest, the attach points, the log) and ends with its stop record (the signal, and
// the run's records counted by type); the run's markers are between them, named by host and run.
func TestLifecycleStartStop(t *testing.T) {
	d := startPrecd(t, `hostname = "lifecycle-host-1"`)
	dir := t.TempDir()
	sh(t, dir, `for i in 1 2 3; do /bin/true lifecycle-ss-marker-$i; done; /nonexistent/lifecycle-ss-fail 2>/dev/null; true`)
	settle()
	d.stop()
	recs := rawRecords(d)
	ids := runIDs(recs)
	if len(ids) != 1 {
		t.Fatalf("%d start records, want 1: %v", len(ids), ids)
	}
	run := runOf(t, recs, ids[0])
	first := run[0]
	eq(t, first, "record_type", "daemon")
	eq(t, first, "event", "start")
	eq(t, first, "host", "lifecycle-host-1")
	eq(t, first, "pid", d.cmd.Process.Pid)
	eq(t, first, "log_path", d.log)
	eq(t, first, "config_path", d.conf)
	conf, _ := os.ReadFile(d.conf)
	eq(t, first, "config_sha256", fmt.Sprintf("%x", sha256sum(conf)))
	var u syscall.Utsname
	syscall.Uname(&u)
	eq(t, first, "kernel", utsString(u.Release[:]))
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	eq(t, first, "boot_id", strings.TrimSpace(string(boot)))
	if a := strs(first["attach"]); len(a) == 0 {
		t.Errorf("start record names no attach points: %v", first)
	}
	if v, _ := first["version"].(string); v == "" {
		t.Errorf("start record has no version: %v", first)
	}
	checkStop(t, run, "SIGTERM")
	for i := 1; i <= 3; i++ {
		starts := find(run, "start", fmt.Sprintf("lifecycle-ss-marker-%d", i))
		if len(starts) != 1 {
			t.Fatalf("marker %d: %d start records in the run, want 1", i, len(starts))
		}
		eq(t, starts[0], "host", "lifecycle-host-1")
		if !strings.HasPrefix(fmt.Sprint(starts[0]["event_id"]), ids[0]+"-") {
			t.Errorf("event_id %v is not of run %s", starts[0]["event_id"], ids[0])
		}
	}
	if len(find(run, "fail", "/nonexistent/lifecycle-ss-fail")) != 1 {
		t.Errorf("the failed exec's record is not in the run")
	}

	// Joined rows: one host, run_id and seq, the end's seq as end_seq.
	rows := d.rows()
	c := one(t, rows, "command", "lifecycle-ss-marker-1")
	if num(c["end_seq"]) <= num(c["seq"]) {
		t.Errorf("command row: end_seq %v not after seq %v", c["end_seq"], c["seq"])
	}
	if len(find(rows, "daemon", "")) != 2 {
		t.Errorf("prec-join did not pass the daemon records through: %v", find(rows, "daemon", ""))
	}

	// prec shows them with -A, and they are a query's fields.
	out, err := exec.Command(filepath.Join(binDir, "prec"), "-A", "-i", d.log, "-q", "record_type=daemon",
		"-f", "command,event,host,seq,written_starts").CombinedOutput()
	if err != nil {
		t.Fatalf("prec: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	stop := run[len(run)-1]
	want := []string{"precd start start lifecycle-host-1 1", fmt.Sprintf("precd stop stop lifecycle-host-1 %v %v", stop["seq"], stop["written_starts"])}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], want[0]) || lines[1] != want[1] {
		t.Errorf("prec -A -q record_type=daemon:\n%s\nwant lines starting\n%s", out, strings.Join(want, "\n"))
	}
	if out, _ := exec.Command(filepath.Join(binDir, "prec"), "-i", d.log, "-q", "record_type=daemon").CombinedOutput(); strings.Contains(string(out), "precd") {
		t.Errorf("prec without -A shows daemon records:\n%s", out)
	}
}

// TestLifecycleCrashed: after kill -9, the next run's second record says the run before it ended
// without a stop record, naming it and its last record in the log.
func TestLifecycleCrashed(t *testing.T) {
	d := startPrecd(t, "")
	sh(t, t.TempDir(), `/bin/true lifecycle-crash-marker-1`)
	settle()
	d.cmd.Process.Kill()
	<-d.done
	before := rawRecords(d)             // the first run's records, as the crash left them
	time.Sleep(1100 * time.Millisecond) // a later second: the next run's id is new in any case, but be plain
	d.start()
	sh(t, t.TempDir(), `/bin/true lifecycle-crash-marker-2`)
	settle()
	d.stop()
	recs := rawRecords(d)
	ids := runIDs(recs)
	if len(ids) != 2 {
		t.Fatalf("%d start records, want 2: %v", len(ids), ids)
	}
	first := runOf(t, before, ids[0])
	last := first[len(first)-1]
	if len(find(first, "start", "lifecycle-crash-marker-1")) != 1 {
		t.Fatalf("marker 1 not in the first run")
	}
	if got := runOf(t, recs, ids[0]); len(got) != len(first) {
		t.Errorf("first run: %d records after the restart, %d before it", len(got), len(first))
	}
	second := runOf(t, recs, ids[1])
	if len(second) < 3 {
		t.Fatalf("second run: %v", second)
	}
	eq(t, second[0], "event", "start")
	cr := second[1]
	eq(t, cr, "record_type", "daemon")
	eq(t, cr, "event", "crashed")
	eq(t, cr, "prev_run_id", ids[0])
	eq(t, cr, "prev_last_seq", last["seq"])
	eq(t, cr, "prev_last_timestamp", last["timestamp"])
	checkStop(t, second, "SIGTERM")
	if len(find(second, "start", "lifecycle-crash-marker-2")) != 1 {
		t.Errorf("marker 2 not in the second run")
	}

	// A clean stop then a start: no crashed record.
	d.start()
	d.stop()
	recs = rawRecords(d)
	ids = runIDs(recs)
	third := runOf(t, recs, ids[len(ids)-1])
	for _, r := range third {
		if r["event"] == "crashed" {
			t.Errorf("crashed record after a clean stop: %v", r)
		}
	}
}

// TestLifecycleSeqAcrossReopen: a SIGHUP reopen (logrotate) does not break the run's numbering: the
// records in the rotated file and the new one are 1..N without a gap, and every marker is there.
func TestLifecycleSeqAcrossReopen(t *testing.T) {
	d := startPrecd(t, "")
	dir := t.TempDir()
	sh(t, dir, `for i in $(seq 1 50); do /bin/true lifecycle-hup-marker-a$i-x; done`)
	settle()
	if err := os.Rename(d.log, d.log+".1"); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(d.stderrText(), "log reopened") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	sh(t, dir, `for i in $(seq 1 50); do /bin/true lifecycle-hup-marker-b$i-x; done`)
	settle()
	d.stop()
	if _, err := os.Stat(d.log); err != nil {
		t.Fatalf("no new log after SIGHUP: %v", err)
	}
	recs := rawRecords(d)
	ids := runIDs(recs)
	if len(ids) != 1 {
		t.Fatalf("%d start records, want 1", len(ids))
	}
	run := runOf(t, recs, ids[0]) // fails on a gap
	checkStop(t, run, "SIGTERM")
	for _, m := range []string{"a", "b"} {
		for i := 1; i <= 50; i++ {
			if n := len(find(run, "start", fmt.Sprintf("lifecycle-hup-marker-%s%d-", m, i))); n != 1 {
				t.Errorf("marker %s%d: %d start records, want 1", m, i, n)
			}
		}
	}
}

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}
