// Package cli does for every prec binary what no main should repeat: flag parsing with go-flags,
// --version, "prog: " messages, signals, the exit code of an error, and a quiet exit when the reader
// of our output goes away.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

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
}

// OS returns the process's real streams. It also asks for SIGPIPE to be delivered to a channel, so
// that a write to a closed pipe returns EPIPE, which Run turns into a quiet exit 0, instead of the
// Go runtime killing the process.
func OS() Stdio {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	return Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Getenv: os.Getenv, OutTerminal: isTerminal(os.Stdout)}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// UsageError is a mistake in how the program was called: exit status 2.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

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
}

// Parser returns the go-flags parser Run uses for opts: for man pages and completion too.
func Parser(name string, opts any) *flags.Parser {
	p, _ := newParser(name, opts)
	return p
}

func newParser(name string, opts any) (*flags.Parser, *versionFlag) {
	p := flags.NewNamedParser(name, flags.HelpFlag|flags.PassDoubleDash)
	if _, err := p.AddGroup("Options", "", opts); err != nil {
		panic(err) // a malformed options struct: a programming error
	}
	v := &versionFlag{}
	if _, err := p.AddGroup("Other", "", v); err != nil {
		panic(err)
	}
	return p, v
}

// Run parses args into opts, then calls fn with the remaining arguments and buffered output, and
// returns the exit status: 0 when fn succeeds or its reader went away, 2 for usage errors, 1 for
// anything else. It prints each error once, as "name: error".
func Run(name string, args []string, std Stdio, opts any, fn func(ctx context.Context, std Stdio, rest []string) error) int {
	if std.Getenv == nil {
		std.Getenv = func(string) string { return "" }
	}
	p, version := newParser(name, opts)
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
	if path := std.Getenv("PREC_CPUPROFILE"); path != "" { // for developers: go tool pprof
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

// Exit prints err (if it needs printing) and returns its exit status.
func Exit(name string, stderr io.Writer, err error) int {
	switch {
	case err == nil, pipeline.Stopped(err):
		return ExitOK
	case pipeline.Partial(err):
		return ExitFailure // each problem was reported as it was met
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}
