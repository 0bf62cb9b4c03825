package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A log directory others can write to, or files in it planted by another user: precd refuses them
// in one line, and what a planted symlink points to is left as it was.

const nobody = 65534

// precdOnce runs precd on log until it exits (or 10 s), and returns its exit code and output.
func precdOnce(t *testing.T, log string) (int, string) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "precd.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("log_path = %q\nflush_interval = \"200ms\"\n", log)), 0o644)
	c := exec.Command(filepath.Join(binDir, "precd"), "-c", conf)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-done
		t.Errorf("precd ran on %s:\n%s", log, out.String())
	}
	return c.ProcessState.ExitCode(), strings.TrimSpace(out.String())
}

// target is a root file a planted symlink points to; unchanged checks it is as it was.
type target struct {
	path string
	data string
	mode os.FileMode
}

func newTarget(t *testing.T, name string) target {
	tg := target{path: filepath.Join(t.TempDir(), name), data: "root's own " + name + "\n", mode: 0o600}
	if err := os.WriteFile(tg.path, []byte(tg.data), tg.mode); err != nil {
		t.Fatal(err)
	}
	return tg
}

func (tg target) unchanged(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(tg.path)
	st, serr := os.Stat(tg.path)
	if err != nil || serr != nil || string(b) != tg.data || st.Mode().Perm() != tg.mode {
		t.Errorf("%s changed: %q, %v (%v %v)", tg.path, b[:min(len(b), 80)], st.Mode(), err, serr)
	}
}

// plant makes name in dir a symlink to to, owned by nobody.
func plant(t *testing.T, dir, name, to string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Symlink(to, p); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(p, nobody, nobody); err != nil {
		t.Fatal(err)
	}
}

func oneLine(t *testing.T, code int, msg string, want ...string) {
	t.Helper()
	if code != 1 || strings.Count(msg, "\n") != 0 || !strings.HasPrefix(msg, "precd: ") {
		t.Errorf("exit %d, message %q: want exit 1 and one line", code, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not say %q", msg, w)
		}
	}
}

func TestHostileLogDir(t *testing.T) {
	requireBPF(t)
	t.Run("world-writable directory with planted symlinks", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		os.Mkdir(dir, 0o777)
		os.Chmod(dir, 0o777)
		lock, log := newTarget(t, "lock-target"), newTarget(t, "log-target")
		plant(t, dir, "prec.log.lock", lock.path)
		plant(t, dir, "prec.log", log.path)
		code, msg := precdOnce(t, filepath.Join(dir, "prec.log"))
		oneLine(t, code, msg, dir, "writable by group or others", "mode 0777", "chmod go-w")
		lock.unchanged(t)
		log.unchanged(t)
	})
	t.Run("symlinks planted in root's directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		os.Mkdir(dir, 0o750)
		lock, log := newTarget(t, "lock-target"), newTarget(t, "log-target")
		plant(t, dir, "prec.log.lock", lock.path)
		plant(t, dir, "prec.log", log.path)
		code, msg := precdOnce(t, filepath.Join(dir, "prec.log"))
		oneLine(t, code, msg, filepath.Join(dir, "prec.log.lock")+" is a symbolic link", "remove it")
		os.Remove(filepath.Join(dir, "prec.log.lock"))
		code, msg = precdOnce(t, filepath.Join(dir, "prec.log"))
		oneLine(t, code, msg, filepath.Join(dir, "prec.log")+" is a symbolic link")
		lock.unchanged(t)
		log.unchanged(t)
	})
	t.Run("log owned by another user", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "log")
		os.Mkdir(dir, 0o750)
		log := filepath.Join(dir, "prec.log")
		os.WriteFile(log, []byte("{}\n"), 0o600)
		os.Chown(log, nobody, nobody)
		code, msg := precdOnce(t, log)
		oneLine(t, code, msg, log, "not owned by root", "owner uid 65534", "mode 0600")
		st, _ := os.Stat(log)
		if st.Sys().(*syscall.Stat_t).Uid != nobody || st.Mode().Perm() != 0o600 || st.Size() != 3 {
			t.Errorf("%s changed: %v, uid %d, %d bytes", log, st.Mode(), st.Sys().(*syscall.Stat_t).Uid, st.Size())
		}
	})
	t.Run("directory above writable by others", func(t *testing.T) {
		pub := filepath.Join(t.TempDir(), "pub")
		os.Mkdir(pub, 0o777)
		os.Chmod(pub, 0o777)
		code, msg := precdOnce(t, filepath.Join(pub, "log", "prec.log"))
		oneLine(t, code, msg, "directory above the log "+pub, "writable by group or others")
	})
	t.Run("log directory planted as a symlink in a sticky directory", func(t *testing.T) {
		pub := filepath.Join(t.TempDir(), "pub")
		os.Mkdir(pub, 0o777)
		os.Chmod(pub, 0o777|os.ModeSticky)
		real := t.TempDir()
		plant(t, pub, "log", real)
		code, msg := precdOnce(t, filepath.Join(pub, "log", "prec.log"))
		oneLine(t, code, msg, "log directory "+filepath.Join(pub, "log")+" is a symbolic link")
		if ents, _ := os.ReadDir(real); len(ents) != 0 {
			t.Errorf("precd wrote where the symlink points: %v", ents)
		}
	})
	t.Run("sticky directory above is fine", func(t *testing.T) {
		pub := filepath.Join(t.TempDir(), "pub")
		os.Mkdir(pub, 0o777)
		os.Chmod(pub, 0o777|os.ModeSticky)
		d := startPrecdOn(t, filepath.Join(pub, "log", "prec.log"), "")
		d.stop()
	})
}

// TestHostileReopen: the log replaced by a symlink while precd runs: the reopen is refused with a
// warning, precd holds its records, and writes them once the symlink is gone.
func TestHostileReopen(t *testing.T) {
	d := startPrecd(t, "")
	tg := newTarget(t, "log-target")
	sh(t, t.TempDir(), script(t, `for i in $(seq 20); do /bin/true hr-marker-a-$i; done`))
	settle()
	os.Rename(d.log, d.log+".1")
	plant(t, filepath.Dir(d.log), "prec.log", tg.path)
	sh(t, t.TempDir(), script(t, `for i in $(seq 20); do /bin/true hr-marker-b-$i; done`))
	time.Sleep(time.Second)
	d.alive()
	tg.unchanged(t)
	if !strings.Contains(d.stderrText(), "is a symbolic link") {
		t.Errorf("no warning:\n%s", d.stderrText())
	}
	os.Remove(d.log)
	time.Sleep(time.Second)
	sh(t, t.TempDir(), script(t, `for i in $(seq 20); do /bin/true hr-marker-c-$i; done`))
	settle()
	d.stop()
	tg.unchanged(t)
	rows := d.rows()
	for _, m := range []string{"hr-marker-a-", "hr-marker-b-", "hr-marker-c-"} {
		exactlyOnce(t, byMarker(rows, m), m, 1, 20)
	}
}
