package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenDirRefuses(t *testing.T) {
	base := t.TempDir()
	for _, c := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"fine", func(dir string) { os.Mkdir(dir, 0o750) }, ""},
		{"created", func(dir string) {}, ""},
		{"group-writable", func(dir string) { os.Mkdir(dir, 0o770); os.Chmod(dir, 0o770) }, "writable by group or others (mode 0770"},
		{"symlink to a fine directory", func(dir string) { os.Mkdir(dir+".real", 0o750); os.Symlink(dir+".real", dir) }, "is a symbolic link"},
		{"under a symlink", func(dir string) {
			real := filepath.Dir(dir) + ".real"
			os.RemoveAll(filepath.Dir(dir))
			os.Mkdir(real, 0o750)
			os.Symlink(real, filepath.Dir(dir))
		}, ""},
		{"under a writable directory", func(dir string) {
			os.Mkdir(filepath.Dir(dir), 0o777)
			os.Chmod(filepath.Dir(dir), 0o777)
		}, "directory above the log"},
		{"under a sticky directory", func(dir string) {
			os.Mkdir(filepath.Dir(dir), 0o777)
			os.Chmod(filepath.Dir(dir), 0o777|os.ModeSticky)
		}, ""},
	} {
		dir := filepath.Join(base, strings.ReplaceAll(c.name, " ", "-"), "log")
		os.MkdirAll(filepath.Dir(dir), 0o750)
		c.setup(dir)
		f, _, err := openDir(dir)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if f != nil {
			f.Close()
		}
	}
}

func TestOpenInRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "log")
	d, _, err := openDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("x"), 0o600)
	os.Symlink(target, filepath.Join(dir, "link"))
	os.Symlink("/nonexistent/file", filepath.Join(dir, "dangling"))
	unix.Mkfifo(filepath.Join(dir, "fifo"), 0o640)
	os.WriteFile(filepath.Join(dir, "loose"), nil, 0o666)
	os.Link(target, filepath.Join(dir, "hard"))
	for name, want := range map[string]string{
		"link":     "is a symbolic link",
		"dangling": "is a symbolic link",
		"fifo":     "is not a regular file",
		"hard":     "hard links",
		"loose":    "",
		"new":      "",
	} {
		f, err := openIn(d, name, unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
		if f != nil {
			if st, _ := f.Stat(); st.Mode().Perm() != 0o640 {
				t.Errorf("%s: mode %v, want 0640", name, st.Mode())
			}
			f.Close()
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "x" {
		t.Errorf("symlink target written: %q", b)
	}
	if _, err := os.Lstat("/nonexistent/file"); err == nil {
		t.Error("dangling symlink's target created")
	}
}

func TestRefresh(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log", "prec.log")
	var l logFiles
	if _, err := l.open(log); err != nil {
		t.Fatal(err)
	}
	defer l.close()
	l.start("20261201173000")
	f, err := l.openLog()
	if err != nil {
		t.Fatal(err)
	}
	step := func(reopen bool, want string) {
		t.Helper()
		nf, what, err := l.refresh(f, reopen)
		if err != nil || what != want || (want == "" || strings.HasPrefix(want, "lock")) != (nf == nil) {
			t.Fatalf("refresh: %v %q %v, want %q", err, what, nf, want)
		}
		if nf != nil {
			f.Close()
			f = nf
		}
	}
	step(false, "")
	os.Rename(log, log+".1") // logrotate, before it creates the new file: keep writing the old one
	step(false, "")
	os.WriteFile(log, nil, 0o640)
	step(false, "log file replaced")
	os.Remove(log)
	step(false, "log file removed")
	os.Remove(log + ".lock")
	step(false, "lock file removed or replaced")
	os.RemoveAll(filepath.Dir(log))
	step(false, "log directory removed, replaced or mounted again")
	for _, p := range []string{log, log + ".lock"} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	if b, _ := os.ReadFile(log + ".lock"); string(b) != "20261201173000\n" {
		t.Errorf("lock holds %q", b)
	}
	if _, _, err := lockLog(log); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("the re-created lock is not held: %v", err)
	}
	step(true, "reopen")
	f.Close()
}
