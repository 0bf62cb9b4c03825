package logio

import (
	"os"
	"path/filepath"
	"time"
)

// Live says whether a live precd is writing the log at path: precd holds an exclusive flock on
// <base>.lock next to it (base: the file's name without a rotation suffix .N or -DATE and .gz,
// .zst, .zstd), and path was modified since the lock was taken (the lock file's mtime is the start
// of precd's run). Where flock is not available it returns false.
func Live(path string) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	return live0(path, st.ModTime())
}

func live0(path string, mtime time.Time) bool {
	for _, lock := range lockPaths(path) {
		st, err := os.Lstat(lock)
		if err != nil {
			continue
		}
		return st.Mode().IsRegular() && !mtime.Before(st.ModTime()) && locked(lock)
	}
	return false
}

// lockPaths are where the precd writing path, or the log path was rotated from, holds its lock.
func lockPaths(path string) []string {
	locks := []string{path + ".lock"}
	dir, name := filepath.Split(path)
	if m := rotationSuffix.FindStringIndex(name); m != nil && m[0] > 0 {
		locks = append(locks, filepath.Join(dir, name[:m[0]]+".lock"))
	}
	return locks
}
