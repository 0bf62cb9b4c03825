package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

const idLayout = "20060102150405"

// lockIn takes name+".lock" in dir, refusing when another precd holds it, and returns it with what
// it held: the event_id prefix of the run before.
func lockIn(dir *os.File, name string) (*os.File, string, error) {
	f, err := openIn(dir, name+".lock", unix.O_RDWR|unix.O_CREAT)
	if err != nil {
		return nil, "", err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, "", fmt.Errorf("another precd is already running (it holds %s)", f.Name())
		}
		return nil, "", fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	prev, _ := io.ReadAll(f)
	return f, string(bytes.TrimSpace(prev)), nil
}

// runPrefix is the event_id prefix for this run: its start time as the reference writes it, but
// always later than the prefix of the run before (kept in the lock file), so that ids never repeat
// across restarts within a second.
func runPrefix(prev string) string {
	now := time.Now()
	if t, err := time.ParseInLocation(idLayout, prev, time.Local); err == nil && !now.Truncate(time.Second).After(t) {
		now = t.Add(time.Second)
	}
	return now.Format(idLayout)
}

// stamp writes the run's prefix into the lock file: its mtime is then the start of the run.
func stamp(lock *os.File, prefix string) error {
	if err := lock.Truncate(0); err != nil {
		return err
	}
	_, err := lock.WriteAt([]byte(prefix+"\n"), 0)
	return err
}

// lockLog opens the directory of logPath and takes its lock, as precd does at start, and returns the
// lock and this run's prefix, written into it.
func lockLog(logPath string) (*os.File, string, error) {
	var l logFiles
	prev, err := l.open(logPath)
	if err != nil {
		return nil, "", err
	}
	l.dir.Close()
	prefix := runPrefix(prev)
	return l.lock, prefix, stamp(l.lock, prefix)
}
