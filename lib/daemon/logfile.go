package daemon

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// logFiles keeps the log's directory and lock open, opens the log in that directory, and notices
// when any of them was removed, replaced, or its file system mounted again.
type logFiles struct {
	dirPath, name string
	prefix        string

	dir    *os.File
	dirID  fileID
	lock   *os.File
	lockID fileID
}

// open opens (creating) the directory and takes the lock: at start, where any failure is fatal. It
// returns the event_id prefix of the run before, from the lock.
func (l *logFiles) open(logPath string) (string, error) {
	l.dirPath, l.name = filepath.Dir(logPath), filepath.Base(logPath)
	dir, id, err := openDir(l.dirPath)
	if err != nil {
		return "", err
	}
	lock, prev, err := lockIn(dir, l.name)
	if err != nil {
		dir.Close()
		return "", err
	}
	l.dir, l.dirID, l.lock = dir, id, lock
	l.lockID, _, _ = fdID(lock)
	return prev, nil
}

// start writes the run's prefix into the lock.
func (l *logFiles) start(prefix string) error {
	l.prefix = prefix
	return stamp(l.lock, prefix)
}

// openLog opens the log for appending, creating it (read-write: the writer looks at the last byte
// of a plain log).
func (l *logFiles) openLog() (*os.File, error) {
	return openIn(l.dir, l.name, unix.O_RDWR|unix.O_CREAT|unix.O_APPEND)
}

// refresh opens again what is gone or replaced: the directory (with a new lock), the lock, and the
// log, which it returns when it opened it again (nil when log is still right). A log renamed away
// (logrotate, before it creates the new one) is kept until its name is taken; reopen forces a new
// open (SIGHUP). what says what was found, for the message.
func (l *logFiles) refresh(log *os.File, reopen bool) (f *os.File, what string, err error) {
	var dirID fileID
	var st *unix.Statx_t
	dirID, _, err = statID(unix.AT_FDCWD, l.dirPath, unix.AT_SYMLINK_NOFOLLOW)
	if err == nil {
		var id fileID
		id, st, err = fdID(l.dir)
		if err == nil && (id != dirID || st.Nlink == 0) {
			err = os.ErrNotExist
		}
	}
	switch {
	case errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT):
		what = "log directory removed, replaced or mounted again"
		dir, id, err := openDir(l.dirPath)
		if err != nil {
			return nil, what, err
		}
		lock, _, err := lockIn(dir, l.name)
		if err != nil {
			dir.Close()
			return nil, what, err
		}
		l.dir.Close()
		l.lock.Close()
		l.dir, l.dirID, l.lock = dir, id, lock
		l.lockID, _, _ = fdID(lock)
		stamp(lock, l.prefix)
		reopen = true
	case err != nil:
		return nil, "log directory", err
	}
	if id, _, err := statID(int(l.dir.Fd()), l.name+".lock", unix.AT_SYMLINK_NOFOLLOW); err != nil || id != l.lockID {
		what = "lock file removed or replaced"
		lock, _, err := lockIn(l.dir, l.name)
		if err != nil {
			return nil, what, err
		}
		l.lock.Close()
		l.lock = lock
		l.lockID, _, _ = fdID(lock)
		stamp(lock, l.prefix)
	}
	if !reopen && log != nil {
		cur, st, err := fdID(log)
		if err != nil {
			return nil, "log file", err
		}
		named, _, nerr := statID(int(l.dir.Fd()), l.name, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case st.Nlink == 0:
			what, reopen = "log file removed", true
		case nerr == nil && named != cur:
			what, reopen = "log file replaced", true
		}
	}
	if !reopen && log != nil {
		return nil, what, nil
	}
	if what == "" {
		what = "reopen"
	}
	f, err = l.openLog()
	return f, what, err
}

func (l *logFiles) close() {
	if l.dir != nil {
		l.dir.Close()
	}
	if l.lock != nil {
		l.lock.Close()
	}
}
