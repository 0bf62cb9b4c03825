package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/pipeline"
)

type codeErr struct{}

func (codeErr) Error() string { return "three" }
func (codeErr) ExitCode() int { return 3 }

func TestExit(t *testing.T) {
	enospc := &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
	for _, c := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"nil", nil, 0, ""},
		{"usage", Usagef("bad %s", "flag"), 2, "p: bad flag\n"},
		{"wrapped usage", fmt.Errorf("fmt: %w", Usagef("bad")), 2, "p: fmt: bad\n"},
		{"bad records: reported already", &jsonl.ProblemsError{N: 2}, 1, ""},
		{"wrapped bad records", fmt.Errorf("join: %w", &jsonl.ProblemsError{N: 2}), 1, ""},
		{"reader went away", fmt.Errorf("fmt: %w", &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}), 0, ""},
		{"closed pipe", io.ErrClosedPipe, 0, ""},
		{"stopped", fmt.Errorf("cat: %w", context.Canceled), 0, ""},
		{"runtime failure", fmt.Errorf("fmt: %w", enospc), 1, "p: fmt: write /dev/stdout: no space left on device\n"},
		{"its own code", fmt.Errorf("x: %w", codeErr{}), 3, "p: x: three\n"},
	} {
		var errs bytes.Buffer
		if code := Exit("p", &errs, c.err); code != c.code || errs.String() != c.stderr {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", c.name, code, errs.String(), c.code, c.stderr)
		}
	}
}

type enospcWriter struct{}

func (enospcWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
}

// TestRunHardAfterPartial: a stage reports bad records, then the output's disk fills: the failed
// write is printed and the status is 1, not a silent "problems".
func TestRunHardAfterPartial(t *testing.T) {
	var errs bytes.Buffer
	var opt struct{}
	code := Run(Command{Name: "p"}, nil, Stdio{Out: enospcWriter{}, Err: &errs}, &opt, func(ctx context.Context, std Stdio, _ []string) error {
		problems := jsonl.NewProblems(std.Err, "p: cat: ")
		return pipeline.Run(ctx, nil, std.Out,
			pipeline.Stage{Name: "cat", Run: func(ctx context.Context, _ io.Reader, w io.Writer) error {
				problems.Addf("prec.log", 2, "bad record: x")
				problems.Addf("prec.log", 3, "bad record: y")
				_, err := io.WriteString(w, "{}\n")
				return errors.Join(err, problems.Err())
			}},
			pipeline.Stage{Name: "fmt", Run: func(ctx context.Context, r io.Reader, w io.Writer) error {
				_, err := io.Copy(w, r)
				return err
			}})
	})
	want := "p: cat: prec.log:2: bad record: x\np: cat: prec.log:3: bad record: y\np: fmt: write /dev/stdout: no space left on device\n"
	if code != 1 || errs.String() != want {
		t.Errorf("exit %d, stderr\n%s\nwant 1,\n%s", code, errs.String(), want)
	}
	// Only bad records: reported where met, nothing more, status 1.
	errs.Reset()
	code = Run(Command{Name: "p"}, nil, Stdio{Out: io.Discard, Err: &errs}, &opt, func(ctx context.Context, std Stdio, _ []string) error {
		p := jsonl.NewProblems(std.Err, "p: ")
		p.Addf("-", 1, "bad record")
		return p.Err()
	})
	if code != 1 || errs.String() != "p: -:1: bad record\n" {
		t.Errorf("partial: exit %d, stderr %q", code, errs.String())
	}
}

// The signal tests run this test binary as the program: TestMain runs helper instead of the tests
// when CLI_TEST_STAGE says how the stage behaves.
func TestMain(m *testing.M) {
	if stage := os.Getenv("CLI_TEST_STAGE"); stage != "" {
		os.Exit(helper(stage))
	}
	os.Exit(m.Run())
}

func helper(stage string) int {
	cmd := Command{Name: "clitest", Grace: Grace}
	switch os.Getenv("CLI_TEST_GRACE") {
	case "long":
		cmd.Grace = time.Hour
	case "none":
		cmd.Grace = 0
	}
	var opt struct{}
	return Run(cmd, nil, OS(), &opt, func(ctx context.Context, std Stdio, _ []string) error {
		fmt.Fprintln(std.Out, "kept") // buffered: shows whether the output was flushed
		fmt.Fprintln(std.Err, "ready")
		switch stage {
		case "cooperative":
			<-ctx.Done()
			return ctx.Err()
		case "stuck": // a stage that never looks at ctx, like a long jq program
			for n := 0; ; n++ {
				n ^= n >> 3
			}
		case "blocked-write": // the reader of our output stopped reading, but keeps the pipe open
			for {
				if _, err := std.Out.Write(make([]byte, 64<<10)); err != nil {
					return err
				}
			}
		case "slow-stop": // precd: on stop, it writes what it holds, which takes a while
			<-ctx.Done()
			time.Sleep(2 * Grace)
			fmt.Fprintln(std.Out, "written at stop")
			return nil
		case "fails-when-stopped":
			<-ctx.Done()
			return errors.New("could not finish")
		}
		return nil
	})
}

type proc struct {
	cmd       *exec.Cmd
	out, errs *bytes.Buffer
	done      chan struct{} // closed when it has ended
}

// start runs the helper and waits until its stage runs.
func start(t *testing.T, stage string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append(env, "CLI_TEST_STAGE="+stage)...)
	var out, rest bytes.Buffer
	cmd.Stdout = &out
	if stage == "blocked-write" {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		defer w.Close()
		cmd.Stdout = w
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(errPipe)
	if line, err := br.ReadString('\n'); line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %q, %v", line, err)
	}
	p := &proc{cmd: cmd, out: &out, errs: &rest, done: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		io.Copy(&rest, br)
		close(copied)
	}()
	go func() {
		<-copied
		cmd.Wait()
		close(p.done)
	}()
	return p
}

// wait returns the exit status, failing the test if the process is still running after 10 s or
// was killed by a signal.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatal("still running 10 s after the signal")
	}
	ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		t.Fatalf("killed by %v", ws.Signal())
	}
	return ws.ExitStatus()
}

func TestSignal(t *testing.T) {
	for _, c := range []struct {
		stage string
		sig   syscall.Signal
		code  int
		out   string // what reached stdout ("-": not checked)
	}{
		{"cooperative", syscall.SIGTERM, 0, "kept\n"},
		{"cooperative", syscall.SIGINT, 0, "kept\n"},
		{"fails-when-stopped", syscall.SIGTERM, 1, "kept\n"}, // a failure of its own is still one
		{"stuck", syscall.SIGTERM, 0, "-"},                   // ended after Grace
		{"stuck", syscall.SIGINT, 0, "-"},
		{"blocked-write", syscall.SIGTERM, 0, "-"},
	} {
		t.Run(fmt.Sprintf("%s/%v", c.stage, c.sig), func(t *testing.T) {
			p := start(t, c.stage)
			p.cmd.Process.Signal(c.sig)
			if code := p.wait(t); code != c.code || c.out != "-" && p.out.String() != c.out {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q", code, p.out.String(), p.errs.String(), c.code, c.out)
			}
		})
	}
}

// TestNoGrace: without Command.Grace (precd) the stop is left to the stage: a stage that takes
// its time to write what it holds is not cut short.
func TestNoGrace(t *testing.T) {
	p := start(t, "slow-stop", "CLI_TEST_GRACE=none")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 || p.out.String() != "kept\nwritten at stop\n" {
		t.Errorf("exit %d, stdout %q, want 0 and all", code, p.out.String())
	}
}

// TestSecondSignal: with a grace period too long to wait for, a second signal ends a stuck run.
func TestSecondSignal(t *testing.T) {
	p := start(t, "stuck", "CLI_TEST_GRACE=long")
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		t.Fatalf("ended by the first signal, with a grace of an hour: %v", p.cmd.ProcessState)
	case <-time.After(time.Second):
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit %d, want 0", code)
	}
}
