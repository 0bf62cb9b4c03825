package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs main instead of the tests when PREC_TEST_MAIN is set: the signal test runs this
// binary as prec.
func TestMain(m *testing.M) {
	if os.Getenv("PREC_TEST_MAIN") != "" {
		main()
	}
	os.Exit(m.Run())
}

// TestSignalEndsFollow: prec -F on a log that keeps growing ends on SIGTERM or SIGINT with status 0.
func TestSignalEndsFollow(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		log := filepath.Join(t.TempDir(), "prec.log")
		if err := os.WriteFile(log, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, stopWriting := context.WithCancel(context.Background())
		written := make(chan struct{})
		go func() { // precd, writing a command now and then
			defer close(written)
			f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return
			}
			defer f.Close()
			for i := 0; ctx.Err() == nil; i++ {
				fmt.Fprintf(f, `{"timestamp":"2026-11-22T13:33:29Z","event_id":"sig-%d","uid":0,"pid":10,"ppid":9,"argv":["marker","%d"],"source":"user","record_type":"start"}`+"\n", i, i)
				time.Sleep(50 * time.Millisecond)
			}
		}()
		cmd := exec.Command(os.Args[0], "-F", "-i", log, "-f", "command")
		cmd.Env = append(os.Environ(), "PREC_TEST_MAIN=1")
		var errs bytes.Buffer
		cmd.Stderr = &errs
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		rows := make(chan string, 1000)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				rows <- sc.Text()
			}
			close(rows)
		}()
		select { // it follows: a command written after it started is shown
		case row := <-rows:
			if !strings.HasPrefix(row, "marker ") {
				t.Errorf("row %q", row)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("no row in 20 s: stderr %q", errs.String())
		}
		cmd.Process.Signal(sig)
		done := make(chan struct{})
		go func() {
			for range rows {
			}
			cmd.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: prec -F still running 10 s after the signal", sig)
		}
		stopWriting()
		<-written
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if ws.Signaled() || ws.ExitStatus() != 0 || errs.Len() > 0 {
			t.Errorf("%v: %v, stderr %q; want exit status 0 and nothing on stderr", sig, cmd.ProcessState, errs.String())
		}
	}
}
