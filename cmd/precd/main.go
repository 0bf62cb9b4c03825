// Command precd records every exec, failed exec and process exit on the host, with its context
// captured in the kernel at event time, as JSON Lines records in a log.
//
//	precd [-c /etc/prec/precd.conf]
package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/daemon"
)

type options struct {
	Config cli.Filename `short:"c" long:"config" default:"/etc/prec/precd.conf" value-name:"FILE" description:"Configuration file (TOML); a missing file means all defaults"`
}

var command = cli.Command{
	Name: "precd", Section: 8,
	Short: "record every exec, failed exec and process exit",
	Long: `precd attaches eBPF programs to the kernel's exec, exit, fork and failed-exec events and writes
one JSON record per event to its log (see precd.conf(5)): start, end, fail, and loss when the kernel
could not hand events over. Every value is captured in the kernel at the time of the event. Each run
also writes daemon records: start first, stop last (why, and what it wrote and lost), and crashed
after start when the run before on this log ended without its stop record. Every record carries
host, run_id and seq (1, 2, … within the run): a missing record is a gap.

Each flush is one self-contained unit written with one write, so a crash costs at most the last
flush interval. When the log cannot be written (disk full, read-only, removed), precd keeps records in
memory up to max_pending_bytes, retries every flush interval, and then writes a loss record for what
it could not keep. SIGHUP reopens the log (after logrotate renamed it); a log, lock or directory that
was removed or replaced is also noticed and reopened within a flush interval, and a copytruncate is
noticed and its last flush written again. SIGTERM and SIGINT stop recording, write what the kernel
already sent and exit 0.

precd needs root and a kernel 5.8 or later with BTF. It refuses to start a second time on the same
log; to read a configuration file that anyone but root could have written (a file or a directory
above it owned by another user, or writable by group or others); and to write in a log directory
that is not root's alone, or to a log or lock that is a symlink, not a regular file, or another
user's.`,
}

func main() {
	if os.Getenv("GOMAXPROCS") == "" {
		// One goroutine does all the work; more Ps only add thread hand-offs around each blocking
		// read of the ring (measured: 20 -> 15 us of CPU per exec).
		runtime.GOMAXPROCS(1)
	}
	os.Exit(run(os.Args[1:], cli.OS()))
}

func run(args []string, std cli.Stdio) int {
	var opt options
	return cli.Run(command, args, std, &opt, func(ctx context.Context, std cli.Stdio, rest []string) error {
		if len(rest) > 0 {
			return cli.Usagef("unexpected argument %q", rest[0])
		}
		cfg, err := config.Load(string(opt.Config))
		if err != nil {
			return err
		}
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		stop := make(chan os.Signal, 1) // cli.Run stops precd on these; the stop record names the one that came
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(stop)
		return daemon.Run(ctx, cfg, daemon.Options{
			Log:        slog.New(slog.NewTextHandler(std.Err, nil)),
			Reopen:     hup,
			Ready:      notifyReady,
			Version:    cli.Version,
			ConfigPath: string(opt.Config),
			Stop:       stop,
		})
	})
}

// notifyReady tells systemd (Type=notify) that the probes are attached.
func notifyReady() {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	if sock[0] == '@' {
		sock = "\x00" + sock[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	c.Write([]byte("READY=1"))
}
