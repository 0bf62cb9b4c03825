package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prec-dev/prec/lib/recorder"
)

// scanProc fills the table from /proc once at startup, so that processes started before precd are
// named as parents. This is the only time precd reads /proc.
func scanProc(r *recorder.Recorder) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 20 {
			continue
		}
		ticks, err := strconv.ParseUint(f[19], 10, 64) // field 22: starttime
		if err != nil {
			continue
		}
		exe, _ := os.Readlink(dir + "/exe")
		var argv []string // the arguments as the kernel keeps them: redaction needs their bounds
		if b, err := os.ReadFile(dir + "/cmdline"); err == nil && len(b) > 0 {
			argv = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		}
		r.Running(uint32(pid), ticks, exe, argv)
	}
}
