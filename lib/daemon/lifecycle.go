package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/record"
	"github.com/prec-dev/prec/lib/recorder"
	"golang.org/x/sys/unix"
)

// lastRecord returns the last record in the log at path, or in the newest file rotated from it when
// the log has none (logrotate ran while precd was down), nil when neither has one. It reads through
// logio.Cat, as prec-cat does: a torn tail (the unit a crash cut short) yields what it held.
func lastRecord(path string) ([]byte, error) {
	files := []string{path}
	if set, err := logio.RotatedSet(path); err == nil && len(set) > 1 {
		files = append(files, set[len(set)-2])
	}
	for _, f := range files {
		line, err := lastIn(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || line != nil {
			return line, err
		}
	}
	return nil, nil
}

// tailWindow is how much of a file's end lastIn reads first (a unit is at most 4 MiB before
// compression, a record far less); it reads 8 times more each time that held no whole record.
var tailWindow int64 = 256 << 10

// lastIn returns the last record of the file at path, reading only its end: at start, precd must not
// decompress a day of records to find one. Reading from the middle of a file, the scanner skips the
// unit or line cut at the window's start as junk; a record is taken only with another before it in
// the window (so it is a whole line), or when the window is the whole file.
func lastIn(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	for w := tailWindow; ; w *= 8 {
		off := max(size-w, 0)
		var out bytes.Buffer
		err := logio.Cat(context.Background(), io.NewSectionReader(f, off, size-off), &out, logio.CatOptions{Paths: []string{"-"}, Last: 2})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
		switch {
		case len(lines) >= 2:
			return lines[len(lines)-1], nil
		case off == 0 && len(lines[0]) > 0:
			return lines[0], nil
		case off == 0:
			return nil, nil
		}
	}
}

// prevRun says what the crashed record says about the run before this one on the log at path, nil
// when it ended with its stop record or there is none to speak of (recorder.PrevRun).
func prevRun(path string) (*record.DaemonCrashed, error) {
	last, err := lastRecord(path)
	if err != nil {
		return nil, err
	}
	return recorder.PrevRun(last)
}

// startInfo is what the start record says about this run; what cannot be read is left empty.
func startInfo(opt Options, logPath string, attach []string) record.DaemonStart {
	s := record.DaemonStart{Version: opt.Version, ConfigPath: opt.ConfigPath, LogPath: logPath, Attach: attach}
	if abs, err := filepath.Abs(s.ConfigPath); err == nil && s.ConfigPath != "" {
		s.ConfigPath = abs
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		s.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		s.BootID = strings.TrimSpace(string(b))
	}
	if s.Attach == nil {
		s.Attach = []string{}
	}
	if opt.ConfigPath != "" {
		if b, err := os.ReadFile(opt.ConfigPath); err == nil {
			sum := sha256.Sum256(b)
			s.ConfigSHA256 = hex.EncodeToString(sum[:])
		}
	}
	return s
}

// stopReason names the signal that stopped precd, if one came on stop.
func stopReason(stop <-chan os.Signal) string {
	select {
	case sig := <-stop:
		if s, ok := sig.(unix.Signal); ok {
			if name := unix.SignalName(s); name != "" {
				return name
			}
		}
		return sig.String()
	default:
		return "stopped"
	}
}
