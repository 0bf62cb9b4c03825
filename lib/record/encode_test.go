package record

import (
	"encoding/json"
	"testing"
)

func u32(v uint32) *uint32 { return &v }
func i(v int) *int         { return &v }

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	starts := []Start{
		{},
		{Timestamp: "2026-11-22T13:33:29.485285684Z", EventID: "e-1", UID: 1000, GID: 5, AUID: u32(4294967295), SessionID: u32(3),
			User: "alice", Group: "users", PID: 10, PPID: 9, Comm: "ls", Exe: "/usr/bin/ls", Cwd: "/tmp/<&>",
			Argv: []string{"ls", "", "a\"b\\c", "\x00\x1f\x7f\u2028\u2029\xff\xfe\b\f\n\r\t", "é"}, Argc: 5, Cgroup: "/x", TTY: "/dev/pts/0",
			TTYNr: 34816, Source: "user", RecordType: "start", ParentComm: "bash", ParentExe: "/usr/bin/bash", ParentCmdline: "bash -i",
			ParentTTY: "/dev/pts/0", ParentTTYNr: 34816, EUID: u32(0), EGID: u32(0), Filename: "/bin/ls", Interpreter: "/bin/sh",
			ArgvRaw: []string{"bHM="}, ArgvTruncated: true, ArgvRedacted: true, ArgvRedactedIdx: []int{1, 12}, ParentCmdlineRedacted: true, ExeTruncated: true, CwdTruncated: true, ProcessKey: "10@1",
			ParentKey: "9@1", ThreadExec: true, ExecAfterPONR: true, SyscallFailure: "execve", Compat32: true,
			Identity: Identity{Host: "h<1>", RunID: "20261201173000", Seq: 7}},
		{Timestamp: "t", RecordType: "fail", ExecErrno: i(2), ExecError: "no such file or directory", Argv: []string{}},
	}
	for _, s := range starts {
		want, _ := json.Marshal(&s)
		if got := s.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
	for _, e := range []End{{}, {Timestamp: "t", EventID: "e", PID: 1, Source: "user", RecordType: "end", ExitStatus: i(137),
		DurationNs: 99, Signal: "SIGKILL", CoreDumped: true, ReplacedBy: "e-2", Identity: Identity{Host: "h", RunID: "r", Seq: 1}},
		{Identity: Identity{Seq: 18446744073709551615}}} {
		want, _ := json.Marshal(&e)
		if got := e.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}

func TestDaemonAppendJSONMatchesEncodingJSON(t *testing.T) {
	id := Identity{Host: "web-1", RunID: "20261201173000", Seq: 3}
	for _, d := range []Daemon{
		{},
		{Self: Self{Timestamp: "t", Argv: []string{"precd", "start"}, Argc: 2, Source: "system", RecordType: "daemon"}, Event: "start",
			DaemonStart: &DaemonStart{Version: "1.0", Kernel: "6.1.0", BootID: "b", ConfigPath: "/etc/prec/precd.conf",
				ConfigSHA256: "ab", LogPath: "/var/log/prec/prec.log", Attach: []string{"tp/sched/sched_process_exec"}}, Identity: id},
		{Event: "start", DaemonStart: &DaemonStart{}},
		{Event: "stop", DaemonStop: &DaemonStop{Reason: "SIGTERM", WrittenStarts: 1, WrittenEnds: 2, WrittenFails: 3, WrittenLosses: 4,
			LostStarts: 5, LostEnds: 6, LostFails: 7, LostForks: 8, UnwrittenStarts: 9, UnwrittenEnds: 10, UnwrittenFails: 11}, Identity: id},
		{Event: "crashed", DaemonCrashed: &DaemonCrashed{PrevRunID: "20261201172959", PrevLastTimestamp: "t0", PrevLastSeq: 99}, Identity: id},
	} {
		want, _ := json.Marshal(&d)
		if got := d.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>", "\x00\xff", "\u2028", "é\"\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	s := Start{Timestamp: "2026-11-22T13:33:29.485285684Z", EventID: "20261122133327-4", AUID: u32(4294967295), SessionID: u32(4294967295),
		User: "root", Group: "root", PID: 22808, PPID: 22807, Comm: "ls", Exe: "/usr/bin/ls", Cwd: "/tmp/w/w-inter",
		Argv: []string{"/usr/bin/ls", "-la", "/tmp/w/w-inter"}, Argc: 3, Cgroup: "/system.slice/agent/9df7b2067ca196d37dbc54ce8c3724a8",
		TTY: "/dev/pts/0", TTYNr: 34816, Source: "user", RecordType: "start", ParentComm: "bash", ParentExe: "/usr/bin/bash",
		ParentCmdline: "bash --norc --noprofile -i", ParentTTY: "/dev/pts/0", ParentTTYNr: 34816, ProcessKey: "22808@1", ParentKey: "22807@1"}
	var buf []byte
	b.Run("AppendJSON", func(b *testing.B) {
		for b.Loop() {
			buf = s.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			json.Marshal(&s)
		}
	})
}
