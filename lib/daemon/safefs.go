package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// The log's directory, lock and file are opened so that nobody but root can choose what precd
// writes to: the directory is opened once (symlinks are followed only on the way to it) and must be
// root's and not writable by group or others, as must each directory above it unless it is sticky
// (/tmp); files in it are opened relative to it, never through a symlink, and must be root's regular
// files.

// fileID names a file: it changes when the file is replaced, or its file system mounted again.
type fileID struct {
	dev, ino, mnt uint64
}

func statID(dirfd int, name string, flags int) (fileID, *unix.Statx_t, error) {
	var st unix.Statx_t
	err := unix.Statx(dirfd, name, flags, unix.STATX_BASIC_STATS|unix.STATX_MNT_ID, &st)
	if err != nil {
		return fileID{}, nil, err
	}
	return fileID{dev: unix.Mkdev(st.Dev_major, st.Dev_minor), ino: st.Ino, mnt: st.Mnt_id}, &st, nil
}

func fdID(f *os.File) (fileID, *unix.Statx_t, error) {
	return statID(int(f.Fd()), "", unix.AT_EMPTY_PATH)
}

func modeString(st *unix.Statx_t) string {
	return fmt.Sprintf("mode %04o, owner uid %d", st.Mode&0o7777, st.Uid)
}

// openDir opens the log directory path, creating it (0750) when missing, and checks it and the
// directories above it. Symlinks are followed on the way to it, not as its last component.
func openDir(path string) (*os.File, fileID, error) {
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, fileID{}, err
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if st, lerr := os.Lstat(path); err != nil && lerr == nil && st.Mode()&os.ModeSymlink != 0 {
		return nil, fileID{}, fmt.Errorf("log directory %s is a symbolic link: precd does not follow it; set log_path to the directory it points to", path)
	}
	if err != nil {
		return nil, fileID{}, &os.PathError{Op: "open", Path: path, Err: err}
	}
	dir := os.NewFile(uintptr(fd), path)
	id, st, err := fdID(dir)
	if err == nil {
		err = checkDir(path, st, false)
	}
	if err == nil {
		err = checkAncestors(fd, path)
	}
	if err != nil {
		dir.Close()
		return nil, fileID{}, err
	}
	return dir, id, nil
}

func checkDir(path string, st *unix.Statx_t, ancestor bool) error {
	what := "log directory"
	uid := uint32(os.Geteuid())
	if ancestor {
		what = "directory above the log"
	}
	switch {
	case st.Uid != uid && !(ancestor && st.Uid == 0):
		return fmt.Errorf("%s %s is not owned by root (%s): precd refuses it; chown root %s or choose another log_path", what, path, modeString(st), path)
	case st.Mode&0o022 != 0 && !(ancestor && st.Mode&unix.S_ISVTX != 0):
		return fmt.Errorf("%s %s is writable by group or others (%s): precd refuses it; chmod go-w %s or choose another log_path", what, path, modeString(st), path)
	}
	return nil
}

// checkAncestors walks up from the directory open as fd to /, by "..", so that a symlink on the way
// is judged where it leads.
func checkAncestors(fd int, path string) error {
	cur := fd
	defer func() {
		if cur != fd {
			unix.Close(cur)
		}
	}()
	id, _, err := statID(cur, "", unix.AT_EMPTY_PATH)
	if err != nil {
		return err
	}
	for range 256 {
		up, err := unix.Openat(cur, "..", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open the directory above %s: %w", path, err)
		}
		if cur != fd {
			unix.Close(cur)
		}
		cur = up
		upID, st, err := statID(cur, "", unix.AT_EMPTY_PATH)
		if err != nil {
			return err
		}
		if upID == id {
			return nil // "/"
		}
		name, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(cur))
		if name == "" {
			name = "above " + path
		}
		if err := checkDir(name, st, true); err != nil {
			return err
		}
		id = upID
	}
	return fmt.Errorf("%s: too deep", path)
}

// openIn opens name in dir without following a symlink and checks that it is root's regular file,
// setting its mode to 0640.
func openIn(dir *os.File, name string, flags int) (*os.File, error) {
	path := filepath.Join(dir.Name(), name)
	fd, err := unix.Openat(int(dir.Fd()), name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0o640)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link: precd does not follow it; remove it", path)
		}
		if _, st, serr := statID(int(dir.Fd()), name, unix.AT_SYMLINK_NOFOLLOW); serr == nil && st.Mode&unix.S_IFMT != unix.S_IFREG {
			return nil, fmt.Errorf("%s is not a regular file (%s): precd refuses it; remove it", path, modeString(st))
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), path)
	_, st, err := fdID(f)
	switch {
	case err != nil:
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = fmt.Errorf("%s is not a regular file (%s): precd refuses it; remove it", path, modeString(st))
	case st.Uid != uint32(os.Geteuid()):
		err = fmt.Errorf("%s is not owned by root (%s): precd refuses it; remove it, or chown root:root %s if its content is precd's", path, modeString(st), path)
	case st.Nlink > 1:
		err = fmt.Errorf("%s has %d hard links: precd refuses it; remove it", path, st.Nlink)
	case st.Mode&0o7777 != 0o640:
		err = unix.Fchmod(fd, 0o640)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
