package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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
		var out bytes.Buffer
		err := logio.Cat(context.Background(), nil, &out, logio.CatOptions{Paths: []string{f}, Last: 1})
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if line := bytes.TrimSpace(out.Bytes()); len(line) > 0 {
			return line, nil
		}
	}
	return nil, nil
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
