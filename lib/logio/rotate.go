package logio

import (
	"cmp"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	numbered = regexp.MustCompile(`^\.(\d+)(\.gz|\.zst|\.zstd)?$`)
	dated    = regexp.MustCompile(`^-(\d{8}(?:\d{2,6})?)(\.gz|\.zst|\.zstd)?$`)
	// what logrotate appends to a log's name: the lock of the log is next to it without this
	rotationSuffix = regexp.MustCompile(`(\.\d+|-\d{8}(?:\d{2,6})?)?(\.gz|\.zst|\.zstd)?$`)
)

// RotatedSet returns base and the files rotated from it, oldest first, base last: logrotate's
// numbered names (base.1 is newer than base.2.gz) and dated ones (base-20260101.zst); lock files are
// never logs. When the names follow neither scheme alone, modification times order them, and
// where two names give the same place (prec.log.1, prec.log.1.zst) the older file comes first; equal
// times go by name, as the reference orders them.
func RotatedSet(base string) ([]string, error) {
	dir, name := filepath.Split(base)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	type file struct {
		path  string
		num   int    // numbered: age
		date  string // dated: when
		mtime int64
	}
	var files []file
	schemes := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		suffix, ok := strings.CutPrefix(n, name)
		if !ok || suffix == "" || strings.HasSuffix(n, ".lock") || !e.Type().IsRegular() {
			continue
		}
		f := file{path: filepath.Join(dir, n)}
		if info, err := e.Info(); err == nil {
			f.mtime = info.ModTime().UnixNano()
		}
		switch {
		case numbered.MatchString(suffix):
			f.num, _ = strconv.Atoi(numbered.FindStringSubmatch(suffix)[1])
			schemes["num"] = true
		case dated.MatchString(suffix):
			f.date = dated.FindStringSubmatch(suffix)[1]
			schemes["date"] = true
		case strings.HasPrefix(suffix, ".") || strings.HasPrefix(suffix, "-"):
			schemes["other"] = true
		default:
			continue // prec.logfoo is another log
		}
		files = append(files, f)
	}
	byName := len(schemes) == 1 && !schemes["other"]
	slices.SortFunc(files, func(a, b file) int {
		switch {
		case byName && schemes["num"] && a.num != b.num:
			return b.num - a.num
		case byName && schemes["date"] && a.date != b.date:
			return strings.Compare(a.date, b.date)
		}
		// the reference's order, for all files or where names tie (prec.log.1 and prec.log.1.zst,
		// left by a change of compression): modification time, then name
		return cmp.Or(cmp.Compare(a.mtime, b.mtime), strings.Compare(a.path, b.path))
	})
	var out []string
	for _, f := range files {
		out = append(out, f.path)
	}
	if _, err := os.Stat(base); err == nil || len(out) == 0 {
		out = append(out, base)
	}
	return out, nil
}
