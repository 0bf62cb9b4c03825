package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prec-dev/prec/lib/logio"
	"golang.org/x/sys/unix"
)

// precd rotates its own log (rotate_size, rotate_age) between two units, as logrotate's numbered
// scheme does: the log becomes log.1, log.1 becomes log.2, and so on, and beyond rotate_keep the
// oldest are removed. The files keep their plain names (no .gz): they are compressed inside, and
// readers tell the format by content. The writer has synced the file, whose last unit is complete,
// before the names change; the new file is opened like the first one (openIn: no symlink, in the
// directory checked at start).
//
// Crash safety. A rotation is a sequence of single renames and removals in one directory, each
// atomic (rename(2), unlink(2)), never replacing a name (RENAME_NOREPLACE), in this order:
//
//  1. close the gaps a cut-short rotation left: log.N -> log.(i+1) for the i-th file in ascending N;
//     a file only moves down, to a free name below every file not yet moved;
//  2. remove log.N for N >= keep, the highest (oldest) first;
//  3. log.N -> log.(N+1) for N from keep-1 down to 1, each into the name just freed;
//  4. log -> log.1 (freed by step 3);
//  5. create the new log, sync the directory.
//
// Whatever step a crash stops at, every file holds the records it held before the rotation began
// under one name (a rename moves a name, it never copies or links), the names ordered by age
// (a higher number is always older, with gaps allowed, and the log itself, if there, newest), so
// the readers' rotated set (logio.RotatedSet) reads every record once, in order; the only records
// gone are those of the oldest files, which this rotation removes anyway. A crash after step 4
// leaves no log: the next precd creates it. The next precd also closes the gaps (step 1 alone)
// before it writes; so does every rotation.
//
// Other orders break this: removing log.keep before log.(keep+1) leaves a hole among the records
// kept; renaming the log first, or ascending, would have to replace a name (a file lost); copying
// instead of renaming shows records twice after a crash. The units the writer holds go to the new
// file only, after the rename: none is in two files. On power loss, the file was synced before the
// renames, and the directory is synced after them. A reader listing the set while a rotation runs
// can still open a name after it moved (as with logrotate); it reads whole once it is done.

// numberedRe matches the names precd gives rotated files: the log's name, a dot and a number.
var numberedRe = regexp.MustCompile(`^\.([1-9][0-9]{0,8})$`)

// rotatedNames returns the numbers N of the regular files name.N in dir, ascending, and the names
// of other rotated files (logrotate's compressed or dated ones): a sign that logrotate rotates it too.
func rotatedNames(dir *os.File, name string) (nums []int, foreign []string, err error) {
	fd, err := unix.Openat(int(dir.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, &os.PathError{Op: "open", Path: dir.Name(), Err: err}
	}
	d := os.NewFile(uintptr(fd), dir.Name())
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		n := e.Name()
		suffix, ok := strings.CutPrefix(n, name)
		switch {
		case !ok || suffix == "" || suffix == ".lock":
		case !e.Type().IsRegular():
			// not ours: a rotation that needs its name stops there (nothing is replaced)
		case numberedRe.MatchString(suffix):
			i, _ := strconv.Atoi(suffix[1:])
			nums = append(nums, i)
		case suffix[0] == '.' || suffix[0] == '-':
			foreign = append(foreign, n)
		}
	}
	slices.Sort(nums)
	return nums, foreign, nil
}

// step is one rename, or a removal when to is "".
type step struct{ from, to string }

func (s step) String() string {
	if s.to == "" {
		return "rm " + s.from
	}
	return s.from + " -> " + s.to
}

func numbered(name string, n int) string { return name + "." + strconv.Itoa(n) }

// closeGaps is step 1: the renames that number the files name.N (nums ascending) 1, 2, 3, ...
func closeGaps(name string, nums []int) []step {
	var steps []step
	for i, n := range nums {
		if n != i+1 {
			steps = append(steps, step{numbered(name, n), numbered(name, i+1)})
		}
	}
	return steps
}

// rotation is steps 1 to 4 for the files name.N (nums ascending), keeping keep of them.
func rotation(name string, nums []int, keep int) []step {
	steps := closeGaps(name, nums)
	n := len(nums)
	for i := n; i >= keep; i-- {
		steps = append(steps, step{from: numbered(name, i)})
	}
	for i := min(n, keep-1); i >= 1; i-- {
		steps = append(steps, step{numbered(name, i), numbered(name, i+1)})
	}
	return append(steps, step{name, numbered(name, 1)})
}

// run does steps in dir, stopping at the first that fails. A name already gone is no failure (a
// crash state: the log renamed but not created again); a name taken is (nothing is replaced).
func run(dir *os.File, steps []step) error {
	fd := int(dir.Fd())
	for _, s := range steps {
		var err error
		if s.to == "" {
			err = unix.Unlinkat(fd, s.from, 0)
		} else {
			err = renameNoReplace(fd, s.from, s.to)
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func renameNoReplace(fd int, from, to string) error {
	err := unix.Renameat2(fd, from, fd, to, unix.RENAME_NOREPLACE)
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) {
		return err
	}
	// A file system without RENAME_NOREPLACE: precd holds the lock, nobody else renames here.
	var st unix.Stat_t
	if err := unix.Fstatat(fd, to, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		return unix.EEXIST
	}
	return unix.Renameat(fd, from, fd, to)
}

// rotate moves the log away (steps 1 to 4, keeping keep files) and opens a new one (step 5).
func (l *logFiles) rotate(keep int) (*os.File, error) {
	nums, _, err := rotatedNames(l.dir, l.name)
	if err != nil {
		return nil, err
	}
	if err := run(l.dir, rotation(l.name, nums, keep)); err != nil {
		return nil, err
	}
	f, err := l.openLog()
	if err != nil {
		return nil, err
	}
	if err := l.dir.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sync %s: %w", l.dir.Name(), err)
	}
	return f, nil
}

// logrotateFor returns the files of logrotate's configuration under etc (logrotate.conf,
// logrotate.d/*) with an entry whose path or glob names log.
func logrotateFor(etc, log string) []string {
	files, _ := filepath.Glob(filepath.Join(etc, "logrotate.d", "*"))
	var out []string
	for _, f := range append([]string{filepath.Join(etc, "logrotate.conf")}, files...) {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
	lines:
		for _, l := range strings.Split(string(b), "\n") {
			head, _, ok := strings.Cut(l, "{")
			if !ok || strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			for _, p := range strings.Fields(head) {
				if m, _ := filepath.Match(strings.Trim(p, `"'`), log); m {
					out = append(out, f)
					break lines
				}
			}
		}
	}
	return out
}

// rotateBy makes w rotate the log past size bytes or age (either 0: no such limit), keeping keep
// files besides the current one. It first closes the gaps a crash in a rotation left, and warns
// when logrotate seems to rotate the same log. A rotation that fails is logged, and the writer goes
// on with the current file.
func (l *logFiles) rotateBy(w *logio.Writer, size int64, age time.Duration, keep int, log *slog.Logger) {
	path := filepath.Join(l.dirPath, l.name)
	nums, foreign, err := rotatedNames(l.dir, l.name)
	if err == nil {
		err = run(l.dir, closeGaps(l.name, nums))
	}
	if err != nil {
		log.Warn("cannot put the rotated logs in order", "log", path, "err", err)
	}
	if len(foreign) > 0 {
		log.Warn("rotated files that precd did not name are next to the log: do not rotate it with logrotate too when rotate_size or rotate_age is set",
			"log", path, "files", strings.Join(foreign, ","))
	}
	if conf := logrotateFor("/etc", path); len(conf) > 0 {
		log.Warn("logrotate rotates this log too: remove its entry or unset rotate_size and rotate_age, not both", "log", path, "logrotate", strings.Join(conf, ","))
	}
	failed := ""
	w.SetRotation(size, age, func() (*os.File, error) {
		f, err := l.rotate(keep)
		if err != nil {
			if err.Error() != failed {
				log.Warn("cannot rotate the log: writing on to it, trying again every flush_interval", "log", path, "err", err)
			}
			failed = err.Error()
			return nil, err
		}
		failed = ""
		log.Info("log rotated", "log", path, "keep", keep)
		return f, nil
	})
}
