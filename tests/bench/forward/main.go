// Command forward measures lib/forward's rate per protocol to a real rsyslogd running the shipped
// collector configuration (packaging/collector/rsyslog.conf, on loopback), against a bare TCP write
// of the same framed bytes to the same collector in the same run. Run it from the repository (see
// tests/bench/forward.sh).
//
//	go run ./tests/bench/forward -n 200000 -runs 3
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prec-dev/prec/lib/forward"
	"github.com/prec-dev/prec/lib/forward/rsyslogtest"
	"github.com/prec-dev/prec/lib/record"
)

func main() {
	n := flag.Int("n", 200000, "records per run")
	runs := flag.Int("runs", 3, "runs per path (the best is kept)")
	window := flag.Int("window", 0, "RELP window (0: the default)")
	only := flag.String("p", "", "only this protocol (tcp, tls, relp, relp+tls)")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the forwarder runs here")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "forward:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	protocols = slices.DeleteFunc(protocols, func(p string) bool { return *only != "" && p != *only })
	if err := run(*n, *runs, *window); err != nil {
		fmt.Fprintln(os.Stderr, "forward:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

var protocols = []string{forward.TCP, forward.TLS, forward.RELP, forward.RELPTLS}

// records makes n precd-like start records (~800 bytes of JSON on average).
func records(n int) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	cmds := [][]string{
		{"/usr/bin/ls", "-la", "/home/user/src"}, {"/usr/bin/git", "status", "--short"}, {"/usr/bin/grep", "-rn", "TODO", "."},
		{"/usr/bin/make", "-j4", "all"}, {"/usr/bin/cc", "-O2", "-c", "main.c", "-o", "main.o"},
		{"/usr/bin/python3", "-m", "pytest", "-q", "tests/", "--maxfail=1", "-k", "not slow and not network"},
		{"/bin/sh", "-c", "run-parts --report /etc/cron.hourly"}, {"/usr/bin/curl", "-fsSL", "https://example.org/install.sh"},
	}
	auid, sess := uint32(1000), uint32(3)
	out := make([][]byte, n)
	t0 := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	for i := range out {
		argv := cmds[r.IntN(len(cmds))]
		rec := record.Start{
			Timestamp: t0.Add(time.Duration(i) * 731 * time.Microsecond).Format(time.RFC3339Nano),
			EventID:   "20261201170000-" + strconv.Itoa(i+1), UID: 1000, GID: 1000, AUID: &auid, SessionID: &sess,
			User: "user", Group: "user", PID: uint32(10000 + i%30000), PPID: 4242, Comm: argv[0][strings.LastIndexByte(argv[0], '/')+1:],
			Exe: argv[0], Cwd: "/home/user/src/project", Argv: argv, Argc: len(argv),
			Cgroup: "/user.slice/user-1000.slice/session-3.scope", TTY: "pts/1", TTYNr: 34817, Source: "user", RecordType: "start",
			ParentComm: "bash", ParentExe: "/usr/bin/bash", ParentCmdline: "-bash", ParentTTY: "pts/1",
			ProcessKey: fmt.Sprintf("%d@%d", 10000+i%30000, 1234567890+i), ParentKey: "4242@1000000",
		}
		out[i] = rec.AppendJSON(nil)
	}
	return out
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type result struct {
	secs      float64
	cpu, coll time.Duration // ours, rsyslogd's
}

func best(rs []result) result {
	slices.SortFunc(rs, func(a, b result) int { return int((a.secs - b.secs) * 1e9) })
	return rs[0]
}

func run(n, runs, window int) error {
	if why := rsyslogtest.Missing(); why != "" {
		return fmt.Errorf("%s", why)
	}
	dir, err := os.MkdirTemp("", "prec-bench-forward.")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c, err := rsyslogtest.Start(dir)
	if err != nil {
		return err
	}
	defer c.Stop()
	recs := records(n)
	size := 0
	for _, r := range recs {
		size += len(r)
	}
	fmt.Printf("collector: rsyslogd with packaging/collector/rsyslog.conf on 127.0.0.1; %d records of %d bytes on average per run, best of %d\n\n",
		n, size/n, runs)
	settle := func() { time.Sleep(2 * time.Second) } // rsyslogd's queue empties between runs

	// The baseline: the frames the forwarder sends for tcp, written on a bare connection.
	var bare []result
	for k := range runs {
		host := fmt.Sprintf("bare-%d", k)
		var frames []byte
		for _, r := range recs {
			msg := "<134>1 " + ts(r) + " " + host + " precd 4242 start - " + string(r)
			frames = strconv.AppendInt(frames, int64(len(msg)), 10)
			frames = append(append(frames, ' '), msg...)
		}
		conn, err := net.Dial("tcp", c.Addr(forward.TCP))
		if err != nil {
			return err
		}
		c0, r0, t0 := cpu(), c.CPU(), time.Now()
		for b := frames; len(b) > 0; {
			k := min(len(b), 64<<10)
			if _, err := conn.Write(b[:k]); err != nil {
				return err
			}
			b = b[k:]
		}
		bare = append(bare, result{time.Since(t0).Seconds(), cpu() - c0, c.CPU() - r0})
		conn.Close()
		settle()
	}
	base := best(bare)
	line := func(name string, r result) {
		rate := float64(n) / r.secs
		fmt.Printf("%-50s %6.2f s %8.0f records/s %5.2fx bare   CPU µs/record: sender %5.2f, rsyslogd %5.2f\n",
			name, r.secs, rate, rate/(float64(n)/base.secs), float64(r.cpu.Microseconds())/float64(n), float64(r.coll.Microseconds())/float64(n))
	}
	line("bare TCP write of the framed bytes (baseline)", base)

	hosts := map[string]int{}
	for _, p := range protocols {
		var rs []result
		for k := range runs {
			host := fmt.Sprintf("%s-%d", strings.ReplaceAll(p, "+", "-"), k)
			cfg := forward.Config{Protocol: p, Address: c.Addr(p), Hostname: host, PID: 4242, Window: window}
			if p == forward.TLS || p == forward.RELPTLS {
				cfg.CAFile, cfg.CertFile, cfg.KeyFile, cfg.ServerName = c.Client.CA, c.Client.Cert, c.Client.Key, rsyslogtest.ServerName
			}
			f, err := forward.New(cfg)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { f.Run(ctx); close(done) }()
			for t := time.Now(); !f.Stats().Connected; time.Sleep(time.Millisecond) { // rates of a session, not of its setup
				if time.Since(t) > 10*time.Second {
					cancel()
					return fmt.Errorf("%s: not connected after 10 s: %s", p, f.Stats().LastError)
				}
			}
			c0, r0, t0 := cpu(), c.CPU(), time.Now()
			for i, r := range recs {
				if err := f.Send(ctx, uint64(i+1), r); err != nil {
					cancel()
					return err
				}
			}
			dctx, dcancel := context.WithTimeout(ctx, 120*time.Second)
			err = f.Drain(dctx)
			dcancel()
			r := result{time.Since(t0).Seconds(), cpu() - c0, c.CPU() - r0}
			cancel()
			<-done
			if err != nil {
				return fmt.Errorf("%s: %v (%+v)", p, err, f.Stats())
			}
			if s := f.Stats(); s.Connects != 1 {
				return fmt.Errorf("%s: %d sessions: the collector dropped one (%s)", p, s.Connects, s.LastError)
			}
			rs = append(rs, r)
			hosts[host] = n
			settle()
		}
		name := "forwarder " + p
		switch p {
		case forward.TCP, forward.TLS:
			name += ", written"
		default:
			name += ", acked"
		}
		if p == forward.RELPTLS {
			name += " (target 40,000/s)"
		}
		line(name, best(rs))
	}
	if err := c.Stop(); err != nil {
		return err
	}
	short := 0
	for h, want := range hosts {
		lines, err := c.Lines(h)
		if err != nil {
			return err
		}
		if len(lines) != want {
			fmt.Printf("%s: the collector's file has %d of %d records\n", h, len(lines), want)
			short++
		}
	}
	if short == 0 {
		fmt.Printf("\nevery forwarder run's records are all in the collector's files (%d runs checked)\n", len(hosts))
	}
	return nil
}

// ts is the record's timestamp with the fraction cut to microseconds, as lib/forward sends it.
func ts(r []byte) string {
	v, _ := record.NewView("timestamp")
	v.Load(r)
	s := v.String(v.Col("timestamp"))
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s) > i+7 {
		z := strings.IndexAny(s[i:], "Z+-")
		s = s[:i+7] + s[i+z:]
	}
	return s
}
