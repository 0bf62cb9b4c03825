package bpfexec

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

func requireBPF(t *testing.T) {
	t.Helper()
	if err := Check(); err != nil {
		t.Skipf("bpfexec: %v (CI runs as root; locally: sudo -E go test ./lib/bpfexec)", err)
	}
}

// TestLoadAndCapture loads the real programs, runs a command, and finds its exec and exit events:
// with tp_btf, and with the raw_tp fallback.
func TestLoadAndCapture(t *testing.T) {
	t.Run("tp_btf", func(t *testing.T) { capture(t, Options{}, "btf/sched_process_exec") })
	t.Run("raw_tp", func(t *testing.T) { capture(t, Options{RawTP: true}, "raw/sched_process_exec") })
	t.Run("raw_syscalls", func(t *testing.T) { capture(t, Options{Compat32: true}, "btf/sched_process_exec") })
}

// TestSmallRingWakes: with a 64 KiB ring, a reader blocked in Read is woken once a quarter of the
// ring is pending, long before its deadline. (A fixed 256 KiB threshold is more than such a ring
// holds: the reader then sees events only at its deadline, and the ring overflows in between.)
func TestSmallRingWakes(t *testing.T) {
	requireBPF(t)
	p, err := Open(Options{RingBytes: 64 << 10, NoFailed: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for { // empty the ring, so that the next Read blocks
		if _, err := p.Read(10 * time.Millisecond); err != nil {
			break
		}
	}
	woke := make(chan error, 1)
	go func() {
		_, err := p.Read(time.Hour)
		woke <- err
	}()
	// An exec with its fork and exit puts some 400 bytes in the ring: 16 KiB after about 40 of them,
	// and 400 fill the ring twice over.
	for i := range 400 {
		select {
		case err := <-woke:
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("reader woken after %d execs", i)
			return
		default:
		}
		if err := exec.Command("/bin/true").Run(); err != nil {
			t.Fatal(err)
		}
	}
	_, dropped, _ := p.Counters()
	t.Fatalf("reader not woken after 400 execs (dropped %v)", dropped)
}

func capture(t *testing.T, opt Options, wantAttach string) {
	requireBPF(t)
	p, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t.Logf("attached: %v (failed execs: %v)", p.Attach, p.FailedErr)
	if p.Attach[0] != wantAttach {
		t.Errorf("attached %v, want %s first", p.Attach, wantAttach)
	}
	dir := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", "exit 3", "", "a b", "\xff")
	cmd.Dir = dir
	_ = cmd.Run()
	bad := exec.Command(dir + "/missing")
	_ = bad.Run()
	pid := uint32(cmd.Process.Pid)

	var gotExec, gotExit, gotFail bool
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !(gotExec && gotExit && gotFail) {
		raw, err := p.Read(100 * time.Millisecond)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		switch Type(raw) {
		case EvExec:
			var e Exec
			if err := DecodeExec(raw, &e); err != nil {
				t.Fatal(err)
			}
			if e.Tgid != pid {
				continue
			}
			gotExec = true
			if want := []byte("/bin/sh\x00-c\x00exit 3\x00\x00a b\x00\xff\x00"); !bytes.Equal(e.Args, want) {
				t.Errorf("args = %q, want %q", e.Args, want)
			}
			if e.Argc != 6 {
				t.Errorf("argc = %d, want 6", e.Argc)
			}
			if string(e.Cwd) != dir {
				t.Errorf("cwd = %q, want %q", e.Cwd, dir)
			}
			if string(e.Filename) != "/bin/sh" {
				t.Errorf("filename = %q", e.Filename)
			}
			if real, _ := os.Readlink("/proc/self/exe"); len(e.Exe) == 0 || real == "" {
				t.Errorf("exe = %q", e.Exe)
			}
			if e.Ppid != uint32(os.Getpid()) {
				t.Errorf("ppid = %d, want %d", e.Ppid, os.Getpid())
			}
			t.Logf("exec: exe=%s cgroup=%s flags=%#x tty=%d:%d", e.Exe, e.Cgroup, e.Flags, e.TtyMajor, e.TtyMinor)
		case EvExit:
			var x ExitEvent
			if err := DecodeExit(raw, &x); err != nil {
				t.Fatal(err)
			}
			if x.Tgid == pid {
				gotExit = true
				if x.Status != 3<<8 {
					t.Errorf("exit status = %#x, want 0x300", x.Status)
				}
			}
		case EvExecFail:
			var e Exec
			if err := DecodeExec(raw, &e); err != nil {
				t.Fatal(err)
			}
			if string(e.Filename) == dir+"/missing" {
				gotFail = true
				if e.Ret != -2 {
					t.Errorf("fail ret = %d, want -2", e.Ret)
				}
			}
		}
	}
	if !gotExec || !gotExit {
		t.Fatalf("exec seen %v, exit seen %v", gotExec, gotExit)
	}
	if p.FailedErr == nil && !gotFail {
		t.Errorf("failed exec not seen")
	}
	sent, dropped, err := p.Counters()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %v dropped %v", sent, dropped)
}
