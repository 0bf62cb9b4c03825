package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

const idLayout = "20060102150405"

// lockLog takes <log>.lock, refusing when another precd holds it, and returns the event_id prefix for
// this run: its start time as the reference writes it, but always later than the prefix of the run
// before (kept in the lock file), so that ids never repeat across restarts within a second.
func lockLog(logPath string) (*os.File, string, error) {
	path := logPath + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, "", err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, "", err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, "", fmt.Errorf("another precd is already running (it holds %s)", path)
		}
		return nil, "", fmt.Errorf("lock %s: %w", path, err)
	}
	prev, _ := io.ReadAll(f)
	now := time.Now()
	if t, err := time.ParseInLocation(idLayout, string(bytes.TrimSpace(prev)), time.Local); err == nil && !now.Truncate(time.Second).After(t) {
		now = t.Add(time.Second)
	}
	prefix := now.Format(idLayout)
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(prefix+"\n"), 0)
	}
	return f, prefix, nil
}
