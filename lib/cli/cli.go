// Package cli does for every prec binary what no main should repeat: flag parsing with go-flags,
// --version, "prog: " messages, signals, the exit code of an error, and a quiet exit when the reader
// of our output goes away.
package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/jessevdk/go-flags"
	"github.com/prec-dev/prec/lib/pipeline"
)

// Set at build time with -ldflags "-X github.com/prec-dev/prec/lib/cli.Version=...".
var (
	Version = "dev"
	Commit  = "none"
	Date    = "unknown"
)

// Stdio is a program's streams and environment; tests fill one with buffers.
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
	Getenv   func(string) string
	// OutTerminal says whether Out is a terminal (colour, line buffering).
	OutTerminal bool

	exit func(int) // ends the process when a stage outlives a signal (OS sets it; tests leave it nil)
}

// OS returns the process's real streams. It also asks for SIGPIPE to be delivered to a channel, so
// that a write to a closed pipe returns EPIPE, which Run turns into a quiet exit 0, instead of the
// Go runtime killing the process.
func OS() Stdio {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	return Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, OutTerminal: isTerminal(os.Stdout), exit: os.Exit}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// UsageError is a mistake in how the program was called: exit status 2.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

// ExitCode is ExitUsage.
func (e *UsageError) ExitCode() int { return ExitUsage }

// Usagef returns a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{msg: fmt.Sprintf(format, args...)} }

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

type versionFlag struct {
	Version bool `long:"version" description:"Print version, commit and build date, and exit"`
	ManPage bool `long:"man-page" hidden:"true" description:"Print the manual page (roff), generated from these flags"`
}

// Filename is a flag or argument naming a file: shell completion offers file names for it.
type Filename = flags.Filename

// Command describes a program for its help text and manual page.
type Command struct {
	Name    string
	Section int    // manual section: 1 for commands, 8 for the daemon
	Short   string // one line: what it does
	Long    string // paragraphs for -h and the manual page's DESCRIPTION
	Usage   string // after the name in the synopsis; "" means "[OPTIONS]"
	// Help gives flags, by long name, a description other than their struct tag's: a flag struct
	// two programs embed may mean a little more in one of them.
	Help map[string]string
	// Grace, when above 0, bounds how long a run may take to end after SIGINT or SIGTERM: then the
	// process is ended (status 0), and a second signal ends it at once. The readers use Grace; 0
	// (precd) leaves the stop to fn, whose shutdown writes what it holds to the log.
	Grace time.Duration
}

func newParser(cmd Command, opts any) (*flags.Parser, *versionFlag) {
	p := flags.NewNamedParser(cmd.Name, flags.HelpFlag|flags.PassDoubleDash)
	p.ShortDescription, p.LongDescription = cmd.Short, cmd.Long
	if cmd.Usage != "" {
		p.Usage = cmd.Usage
	}
	if _, err := p.AddGroup("Options", "", opts); err != nil {
		panic(err) // a malformed options struct: a programming error
	}
	for long, desc := range cmd.Help {
		o := p.FindOptionByLongName(long)
		if o == nil {
			panic("cli: Help for unknown flag --" + long)
		}
		o.Description = desc
	}
	v := &versionFlag{}
	if _, err := p.AddGroup("Other", "", v); err != nil {
		panic(err)
	}
	return p, v
}

// writeManPage writes the manual page go-flags generates from the flags, in the command's section.
func writeManPage(w io.Writer, p *flags.Parser, cmd Command) error {
	var b bytes.Buffer
	p.WriteManPage(&b)
	page := b.String()
	if cmd.Section != 0 && cmd.Section != 1 {
		page = strings.Replace(page, ".TH "+cmd.Name+" 1 ", fmt.Sprintf(".TH %s %d ", cmd.Name, cmd.Section), 1)
	}
	_, err := io.WriteString(w, page)
	return err
}

// Run parses args into opts (-h prints help; --version; the hidden --man-page prints the manual
// page), then calls fn with the remaining arguments and buffered output, and returns the exit status
// of fn's error (see Exit). It prints each error once, as "name: error".
//
// SIGINT and SIGTERM cancel fn's context. A signal is not a failure: the run it stops ends with
// status 0, whatever it was doing (following a log, or a batch run cut short), unless fn returns a
// failure of its own. With cmd.Grace set and the Stdio of OS, a run that has not ended cmd.Grace
// after the signal (a stage that does not watch ctx, a write blocked on a full pipe) is ended there
// with status 0, and a second signal ends it at once, also with 0.
func Run(cmd Command, args []string, std Stdio, opts any, fn func(ctx context.Context, std Stdio, rest []string) error) int {
	name := cmd.Name
	if std.Getenv == nil {
		std.Getenv = func(string) string { return "" }
	}
	p, version := newParser(cmd, opts)
	rest, err := p.ParseArgs(args)
	if err != nil {
		var fe *flags.Error
		if errors.As(err, &fe) && fe.Type == flags.ErrHelp {
			fmt.Fprint(std.Out, fe.Message)
			if !strings.HasSuffix(fe.Message, "\n") {
				fmt.Fprintln(std.Out)
			}
			return ExitOK
		}
		fmt.Fprintf(std.Err, "%s: %v\n", name, err)
		return ExitUsage
	}
	if version.Version {
		fmt.Fprintf(std.Out, "%s %s (commit %s, built %s)\n", name, Version, Commit, Date)
		return ExitOK
	}
	if version.ManPage {
		return Exit(name, std.Err, writeManPage(std.Out, p, cmd))
	}
	if path := std.Getenv("PREC_CPUPROFILE"); path != "" { // for developers: go tool pprof
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := std.exit
	if cmd.Grace <= 0 {
		exit = nil
	}
	defer onSignal(cancel, cmd.Grace, exit)()
	bw := bufio.NewWriterSize(std.Out, 64<<10)
	out := std
	out.Out = bw
	err = fn(ctx, out, rest)
	if ferr := bw.Flush(); err == nil || pipeline.Partial(err) {
		if ferr != nil {
			err = ferr
		}
	}
	return Exit(name, std.Err, err)
}

// Grace is how long a reader may take to end after SIGINT or SIGTERM before the process is ended
// (Command.Grace).
const Grace = time.Second

// onSignal calls cancel on the first SIGINT or SIGTERM, then exit(ExitOK) on a second one or when
// grace has passed (exit nil: never). The function it returns stops watching.
func onSignal(cancel func(), grace time.Duration, exit func(int)) (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		if exit == nil {
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-sigs:
		case <-t.C:
		case <-done:
			return
		}
		exit(ExitOK)
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}

// Exit prints err (if it needs printing) and returns its exit status. Nil, and errors that say the
// reader went away or the user stopped us (pipeline.Stopped), are 0 and not printed. Others are
// printed, except partial ones (pipeline.Partial: bad input, reported as it was met), and their
// status is what their ExitCode() int method says (found with errors.As: *UsageError 2,
// *jsonl.ProblemsError 1), else ExitFailure.
func Exit(name string, stderr io.Writer, err error) int {
	if err == nil || pipeline.Stopped(err) {
		return ExitOK
	}
	if !pipeline.Partial(err) {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return ExitFailure
}
