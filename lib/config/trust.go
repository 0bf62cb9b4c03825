package config

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// checkTrusted refuses a configuration file that anyone but root could have written, as sshd and
// sudo refuse theirs: the open file must be owned by root (or by the user precd runs as) and not
// writable by group or others, and so must every directory above it, except that a directory with
// the sticky bit (/tmp) may be writable by others, since they cannot replace what root put there.
func checkTrusted(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := trustedMode(f.Name(), st, false); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(f.Name())
	if err != nil {
		return err
	}
	real, err = filepath.Abs(real)
	if err != nil {
		return err
	}
	for dir := filepath.Dir(real); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if err := trustedMode(dir, st, true); err != nil {
			return fmt.Errorf("%w (it holds %s)", err, f.Name())
		}
		if dir == "/" {
			return nil
		}
	}
}

func trustedMode(name string, st os.FileInfo, dir bool) error {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	what := "configuration file"
	if dir {
		what = "directory"
	}
	perm := st.Mode().Perm()
	if uid := int(sys.Uid); uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("%s: %s owned by uid %d (mode %04o): precd trusts only one owned by root", name, what, uid, perm)
	}
	if perm&0o022 != 0 && !(dir && st.Mode()&os.ModeSticky != 0) {
		return fmt.Errorf("%s: %s writable by group or others (mode %04o): precd trusts only one that only root can change (chmod go-w)", name, what, perm)
	}
	return nil
}
