package recorder

import (
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/record"
)

func daemonRec(event string) fields {
	return fields{"timestamp": ts(0), "uid": 0, "gid": 0, "user": "root", "group": "root", "pid": 4321, "ppid": 1, "comm": "precd",
		"exe": "precd", "cwd": "", "argv": []string{"precd", event}, "argc": 2, "source": "system", "record_type": "daemon", "event": event}
}

// TestLifecycle: a run's records are numbered from its start record to its stop record, whatever
// their type; filtered records take no seq (an exec that replaces a recorded image and is itself
// filtered still ends it); the stop record counts what the run wrote and lost.
func TestLifecycle(t *testing.T) {
	r, out := newTest(t, `filter = ["-argv~=secret"]`)
	r.opt.PID, r.opt.PPID = 4321, 1
	start := record.DaemonStart{Version: "v1", Kernel: "6.1.0-test", BootID: "b-1", ConfigPath: "/etc/prec/precd.conf",
		ConfigSHA256: "00ff", LogPath: "/var/log/prec/prec.log", Attach: []string{"tracepoint/sched/sched_process_exec"}}
	if err := r.Started(start); err != nil {
		t.Fatal(err)
	}
	if err := r.Crashed(record.DaemonCrashed{PrevRunID: "20261201115959", PrevLastTimestamp: "2026-12-01T11:59:59Z", PrevLastSeq: 12}); err != nil {
		t.Fatal(err)
	}
	feed(t, r, []ev{mkExec(login()),
		forkKid(t0+ms, 101), mkExec(kid(101, t0+2*ms, "sh", "-c", "x")),
		mkExec(kid(101, t0+3*ms, "mysql", "secret")),                                                       // ends sh (seq 5), takes none itself
		mkExec(func() execSpec { s := kid(102, t0+4*ms, "secret"); s.fail, s.ret = true, -2; return s }()), // filtered fail
		mkExec(func() execSpec { s := kid(103, t0+5*ms, "nope"); s.fail, s.ret = true, -2; return s }()),
		exitSt(t0+6*ms, 101, 0), // mysql was not recorded: no end
	})
	if _, err := r.Dropped(counts(3, 2, 1, 4)); err != nil {
		t.Fatal(err)
	}
	if err := r.Stopped("SIGTERM", Unwritten{Starts: 1, Fails: 1}); err != nil {
		t.Fatal(err)
	}
	check(t, out, []fields{
		daemonRec("start").with(fields{"version": "v1", "kernel": "6.1.0-test", "boot_id": "b-1", "config_path": "/etc/prec/precd.conf",
			"config_sha256": "00ff", "log_path": "/var/log/prec/prec.log", "attach": []string{"tracepoint/sched/sched_process_exec"}}),
		daemonRec("crashed").with(fields{"prev_run_id": "20261201115959", "prev_last_timestamp": "2026-12-01T11:59:59Z", "prev_last_seq": 12}),
		shellStart(),
		kidStart(2, 101, t0+2*ms, "sh", "-c", "x"),
		endRec(2, 101, t0+3*ms, ms, "user"),
		kidStart(0, 103, t0+5*ms, "nope").with(fields{"event_id": nil, "record_type": "fail", "exe": "/home/u/nope",
			"exec_errno": 2, "exec_error": "no such file or directory", "syscall": "execve"}),
		lossRec(ts(0)).with(fields{"lost_samples": 10, "lost_samples_total": 10, "lost_starts": 3, "lost_ends": 2, "lost_fails": 1, "lost_forks": 4}),
		daemonRec("stop").with(fields{"reason": "SIGTERM", "written_starts": 1, "written_ends": 1, "written_fails": 0, "written_losses": 1,
			"lost_starts": 3, "lost_ends": 2, "lost_fails": 1, "lost_forks": 4, "unwritten_starts": 1, "unwritten_ends": 0, "unwritten_fails": 1}),
	})
}

// TestLifecycleIgnoredLoss: with lost_samples_action ignore there is no loss record, and the stop
// record still counts the drops.
func TestLifecycleIgnoredLoss(t *testing.T) {
	r, out := newTest(t, `lost_samples_action = "ignore"`)
	r.opt.PID, r.opt.PPID = 4321, 1
	if _, err := r.Dropped(counts(1, 0, 0, 2)); err != nil {
		t.Fatal(err)
	}
	if err := r.Stopped("read ring buffer: boom", Unwritten{}); err != nil {
		t.Fatal(err)
	}
	check(t, out, []fields{daemonRec("stop").with(fields{"reason": "read ring buffer: boom", "written_starts": 0, "written_ends": 0,
		"written_fails": 0, "written_losses": 0, "lost_starts": 1, "lost_ends": 0, "lost_fails": 0, "lost_forks": 2,
		"unwritten_starts": 0, "unwritten_ends": 0, "unwritten_fails": 0})})
}

func TestPrevRun(t *testing.T) {
	for _, c := range []struct {
		name, last string
		want       *record.DaemonCrashed
		err        string
	}{
		{"empty log", "", nil, ""},
		{"clean stop", `{"timestamp":"2026-12-01T12:00:00Z","record_type":"daemon","event":"stop","host":"h","run_id":"20261201110000","seq":9}`, nil, ""},
		{"no stop: an end", `{"timestamp":"2026-12-01T12:00:01.5Z","event_id":"20261201110000-3","pid":1,"source":"user","record_type":"end","duration_ns":1,"host":"h","run_id":"20261201110000","seq":8}`,
			&record.DaemonCrashed{PrevRunID: "20261201110000", PrevLastTimestamp: "2026-12-01T12:00:01.5Z", PrevLastSeq: 8}, ""},
		{"no stop: the run's start", `{"timestamp":"t","record_type":"daemon","event":"start","run_id":"20261201110000","seq":1}`,
			&record.DaemonCrashed{PrevRunID: "20261201110000", PrevLastTimestamp: "t", PrevLastSeq: 1}, ""},
		{"no stop: a crashed record", `{"timestamp":"t","record_type":"daemon","event":"crashed","run_id":"20261201110000","seq":2}`,
			&record.DaemonCrashed{PrevRunID: "20261201110000", PrevLastTimestamp: "t", PrevLastSeq: 2}, ""},
		{"old format: no seq", `{"timestamp":"2026-12-01T12:00:00Z","event_id":"20261201110000-3","pid":1,"source":"user","record_type":"end","duration_ns":1}`, nil, ""},
		{"not JSON", `{"timestamp":`, nil, "byte"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := PrevRun([]byte(c.last))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
