// Command gen writes a synthetic prec log of realistic records for the benchmarks: starts with their
// ends a few records later, some failed execs, users root and 1000-1009, varied command lines.
//
//	go run ./tests/bench/gen -n 1000000 -o /tmp/bench/prec.log   (zstd, as precd writes it)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/record"
)

func main() {
	n := flag.Int("n", 1000000, "records to write")
	out := flag.String("o", "prec.log", "log to write")
	compress := flag.String("c", logio.Zstd, "compression: no, gz, zstd")
	flag.Parse()
	os.Remove(*out)
	w, err := logio.Create(*out, *compress, logio.DefaultLevel(*compress))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := rand.New(rand.NewPCG(1, 2))
	cmds := [][]string{
		{"/usr/bin/ls", "-la", "/home/user/src"}, {"/usr/bin/git", "status", "--short"}, {"/usr/bin/grep", "-rn", "TODO", "."},
		{"/usr/bin/make", "-j4", "all"}, {"/usr/bin/cc", "-O2", "-c", "main.c", "-o", "main.o"}, {"/usr/bin/ssh", "build@10.0.0.7", "uptime"},
		{"/usr/bin/python3", "-m", "pytest", "-q", "tests/"}, {"/usr/bin/curl", "-fsSL", "https://example.org/install.sh"},
		{"/usr/sbin/cron", "-f"}, {"/bin/sh", "-c", "run-parts --report /etc/cron.hourly"}, {"/usr/bin/sleep", "1"},
	}
	t0 := time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)
	type open struct {
		id  string
		pid uint32
		at  time.Time
		src string
	}
	var pending []open
	var buf []byte
	write := func(v any) {
		b, _ := json.Marshal(v)
		buf = append(append(buf[:0], b...), '\n')
		w.Write(buf)
	}
	auid := uint32(4294967295)
	for i, id := 0, 0; i < *n; i++ {
		now := t0.Add(time.Duration(i) * 731 * time.Microsecond)
		if len(pending) > 0 && (r.IntN(2) == 0 || len(pending) > 8) {
			k := r.IntN(len(pending))
			p := pending[k]
			pending = append(pending[:k], pending[k+1:]...)
			st := []int{0, 0, 0, 0, 1, 2, 127, 137}[r.IntN(8)]
			e := record.End{Timestamp: now.Format(time.RFC3339Nano), EventID: p.id, PID: p.pid, Source: p.src,
				RecordType: record.TypeEnd, ExitStatus: &st, DurationNs: int64(now.Sub(p.at))}
			if st == 137 {
				e.Signal = "SIGKILL"
			}
			write(&e)
			continue
		}
		uid := uint32(0)
		if r.IntN(3) > 0 {
			uid = 1000 + uint32(r.IntN(10))
		}
		argv := cmds[r.IntN(len(cmds))]
		src := record.SourceSystem
		if r.IntN(2) == 0 {
			src = record.SourceUser
		}
		pid := uint32(10000 + i%50000)
		s := record.Start{Timestamp: now.Format(time.RFC3339Nano), UID: uid, GID: uid, AUID: &auid, SessionID: &auid,
			User: fmt.Sprintf("user%d", uid), Group: fmt.Sprintf("user%d", uid), PID: pid, PPID: pid - 1,
			Comm: argv[0][len(argv[0])-4:], Exe: argv[0], Cwd: "/home/user/src/project", Argv: argv, Argc: len(argv),
			Cgroup: "/user.slice/user-1000.slice/session-3.scope", TTY: "/dev/pts/1", TTYNr: 34817, Source: src,
			ParentComm: "bash", ParentExe: "/usr/bin/bash", ParentCmdline: "-bash", ParentTTY: "/dev/pts/1", ParentTTYNr: 34817,
			ProcessKey: fmt.Sprintf("%d@%d", pid, 1_000_000_000_000+i), ParentKey: fmt.Sprintf("%d@%d", pid-1, 1_000_000_000_000)}
		if r.IntN(20) == 0 {
			errno := 2
			s.RecordType, s.ExecErrno, s.ExecError = record.TypeFail, &errno, "no such file or directory"
			write(&s)
			continue
		}
		id++
		s.EventID = fmt.Sprintf("20261122130000-%d", id)
		s.RecordType = record.TypeStart
		write(&s)
		pending = append(pending, open{s.EventID, pid, now, src})
		if i%1000 == 0 {
			w.Flush()
		}
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
