// Package e2e runs the real precd, with its real BPF programs, against real commands, and checks
// the records it writes field by field. It needs root and a kernel with BTF; without them every test
// skips with one line saying why.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

var binDir string // the built binaries

func init() {
	if os.Getenv("PREC_E2E_HELPER") == "threadexec" {
		runtime.LockOSThread() // keep main on the leader thread, so the exec below runs on another
	}
}

func TestMain(m *testing.M) {
	if mode := os.Getenv("PREC_E2E_HELPER"); mode != "" {
		helper(mode) // the test binary run as a test subject
		return
	}
	if os.Geteuid() == 0 {
		dir, err := os.MkdirTemp("", "prec-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		build := exec.Command("go", "build", "-o", dir+"/", "../../cmd/...")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: build:", err)
			os.Exit(1)
		}
		binDir = dir
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func requireBPF(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root to load BPF (CI runs as root; locally: sudo -E go test ./tests/e2e)")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skip("e2e: kernel has no BTF at /sys/kernel/btf/vmlinux; precd needs CO-RE")
	}
}

// daemon is a precd started for one test.
type daemon struct {
	t       *testing.T
	dir     string
	log     string
	conf    string
	cmd     *exec.Cmd
	stderr  *bytes.Buffer
	done    chan error
	wrapper []string
}

// startPrecd starts precd on a config of its own in a temp dir (extra TOML lines appended) and waits
// until it records.
func startPrecd(t *testing.T, extra string) *daemon { return startPrecdWith(t, extra) }

// startPrecdWith starts precd through a wrapper command (setpriv ...), if any.
func startPrecdWith(t *testing.T, extra string, wrapper ...string) *daemon {
	t.Helper()
	requireBPF(t)
	return startPrecdOn(t, filepath.Join(t.TempDir(), "log", "prec.log"), extra, wrapper...)
}

// startPrecdOn starts precd writing to log.
func startPrecdOn(t *testing.T, log, extra string, wrapper ...string) *daemon {
	t.Helper()
	requireBPF(t)
	dir := t.TempDir()
	d := &daemon{t: t, dir: dir, log: log, conf: filepath.Join(dir, "precd.conf")}
	conf := fmt.Sprintf("log_path = %q\n%s\n", d.log, extra)
	if !strings.Contains(extra, "flush_interval") {
		conf += "flush_interval = \"200ms\"\n"
	}
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d.wrapper = wrapper
	d.start()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.done
		}
	})
	return d
}

func (d *daemon) start() {
	d.stderr = &bytes.Buffer{}
	args := append(append([]string{}, d.wrapper...), filepath.Join(binDir, "precd"), "-c", d.conf)
	d.cmd = exec.Command(args[0], args[1:]...)
	d.cmd.Stderr = &syncWriter{w: d.stderr}
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.done = make(chan error, 1)
	go func() { d.done <- d.cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(d.stderrText(), "msg=recording") {
		select {
		case err := <-d.done:
			d.t.Fatalf("precd exited before recording: %v\n%s", err, d.stderrText())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("precd not recording after 20s:\n%s", d.stderrText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type syncWriter struct{ w *bytes.Buffer }

var stderrMu = make(chan struct{}, 1)

func (s *syncWriter) Write(p []byte) (int, error) {
	stderrMu <- struct{}{}
	defer func() { <-stderrMu }()
	return s.w.Write(p)
}

func (d *daemon) stderrText() string {
	stderrMu <- struct{}{}
	defer func() { <-stderrMu }()
	return d.stderr.String()
}

// stop sends SIGTERM and checks that precd exits 0 within 2 s.
func (d *daemon) stop() {
	d.t.Helper()
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		if err != nil {
			d.t.Fatalf("precd exited with %v after SIGTERM:\n%s", err, d.stderrText())
		}
		if took := time.Since(start); took > 2*time.Second {
			d.t.Errorf("precd took %v to stop, want <= 2s", took)
		}
	case <-time.After(5 * time.Second):
		d.cmd.Process.Kill()
		d.t.Fatalf("precd did not stop within 5s of SIGTERM:\n%s", d.stderrText())
	}
}

// rows returns the joined rows of the log (and its rotated files), through prec-cat -a | prec-join.
func (d *daemon) rows() []map[string]any {
	d.t.Helper()
	validateLog(d.t, d.log) // every record the e2e tests produce is checked against the JSON Schema
	return readRows(d.t, fmt.Sprintf("%s/prec-cat -a %s | %s/prec-join", binDir, d.log, binDir))
}

func readRows(t *testing.T, pipeline string) []map[string]any {
	t.Helper()
	out, err := exec.Command("bash", "-o", "pipefail", "-c", pipeline).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s", pipeline, err, stderr)
	}
	var rows []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatalf("bad row %q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

// find returns the rows of type typ whose program (argv[0] or exe) is marker or ends in /marker, or
// with an argument after argv[0] that starts with marker.
func find(rows []map[string]any, typ, marker string) []map[string]any {
	var out []map[string]any
	for _, r := range rows {
		if r["record_type"] != typ {
			continue
		}
		exe := fmt.Sprint(r["exe"])
		match := marker != "" && (exe == marker || strings.HasSuffix(exe, "/"+marker))
		for i, a := range strs(r["argv"]) {
			if i == 0 && (a == marker || strings.HasSuffix(a, "/"+marker)) || i > 0 && strings.HasPrefix(a, marker) {
				match = true
			}
		}
		if match || marker == "" {
			out = append(out, r)
		}
	}
	return out
}

func one(t *testing.T, rows []map[string]any, typ, marker string) map[string]any {
	t.Helper()
	got := find(rows, typ, marker)
	if len(got) != 1 {
		t.Fatalf("%d %s rows with %q, want 1: %v", len(got), typ, marker, got)
	}
	return got[0]
}

func num(v any) int64 {
	if n, ok := v.(json.Number); ok {
		i, _ := n.Int64()
		return i
	}
	return -1
}

func strs(v any) []string {
	a, _ := v.([]any)
	out := make([]string, len(a))
	for i, x := range a {
		out[i], _ = x.(string)
	}
	return out
}

func sh(t *testing.T, dir, script string) {
	t.Helper()
	c := exec.Command("bash", "-c", script)
	c.Dir = dir
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

// settle waits for the records of what just ran to be flushed.
func settle() { time.Sleep(400 * time.Millisecond) }

func eq(t *testing.T, row map[string]any, key string, want any) {
	t.Helper()
	got := row[key]
	if n, ok := got.(json.Number); ok {
		got = n.String()
		want = fmt.Sprint(want)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v (row %v)", key, got, want, row)
	}
}

func helper(mode string) {
	switch mode {
	case "threadexec":
		// exec from a thread that is not the leader
		done := make(chan error)
		go func() {
			runtime.LockOSThread()
			done <- syscall.Exec("/bin/echo", []string{"/bin/echo", "thread-exec-marker"}, os.Environ())
		}()
		err := <-done
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	case "memfd":
		fd, err := memfdExec()
		fmt.Fprintln(os.Stderr, fd, err)
		os.Exit(1)
	}
	os.Exit(2)
}
