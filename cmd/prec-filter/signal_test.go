package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs main instead of the tests when PREC_TEST_MAIN is set: the signal test runs this
// binary as prec-filter.
func TestMain(m *testing.M) {
	if os.Getenv("PREC_TEST_MAIN") != "" {
		main()
	}
	os.Exit(m.Run())
}

// cpuTime is the CPU time pid has used, in clock ticks (from /proc/PID/stat).
func cpuTime(t *testing.T, pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Skipf("signal test: no /proc/%d/stat to see the jq program run: %v", pid, err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:])) // field 3 (state) on
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}

// TestSignalEndsJQ: a jq program that never ends (and never looks at the context) is ended by
// SIGTERM, with status 0 (the user stopped us, see cli.Run).
func TestSignalEndsJQ(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(os.Args[0], "--jq", "def f: f; f")
		cmd.Env = append(os.Environ(), "PREC_TEST_MAIN=1")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var out, errs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		stdin.Write([]byte(`{"uid":0,"argv":["a"],"record_type":"command"}` + "\n")) // and the input stays open
		// Wait until it spins in the jq program (0.3 s of CPU: it is not waiting for input).
		for deadline := time.Now().Add(20 * time.Second); cpuTime(t, cmd.Process.Pid) < 30; {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("prec-filter does not run the jq program: stderr %q", errs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		done := make(chan struct{})
		go func() {
			cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: prec-filter still running 10 s after the signal", sig)
		}
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if ws.Signaled() || ws.ExitStatus() != 0 || out.Len() > 0 || errs.Len() > 0 {
			t.Errorf("%v: %v, stdout %q, stderr %q; want exit status 0 and no output", sig, cmd.ProcessState, out.String(), errs.String())
		}
	}
}
