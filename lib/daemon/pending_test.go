package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/record"
)

func TestUnwritten(t *testing.T) {
	var u unwritten
	u.add(record.TypeStart, "t1", "write x: no space left on device")
	u.add(record.TypeEnd, "t2", "write x: read-only file system")
	u.add(record.TypeFail, "t3", "")
	u.add(record.TypeStart, "t4", "")
	if u.starts != 2 || u.ends != 1 || u.fails != 1 || u.count() != 4 || u.from != "t1" || u.to != "t4" ||
		u.reason != "write x: no space left on device" {
		t.Errorf("%+v", u)
	}
}

func TestMaxPendingConfig(t *testing.T) {
	dir := t.TempDir()
	for conf, want := range map[string]string{
		"":                          "",
		"max_pending_bytes = 4096":  "",
		"max_pending_bytes = -1":    "invalid max_pending_bytes: -1",
		"max_pending_bytes = \"x\"": "max_pending_bytes",
	} {
		path := filepath.Join(dir, "precd.conf")
		os.WriteFile(path, []byte(conf+"\n"), 0o600)
		c, err := LoadConfig(path)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", conf, err, want)
			continue
		}
		if err == nil && (conf == "" && c.MaxPending != 64<<20 || conf != "" && c.MaxPending != 4096) {
			t.Errorf("%q: max_pending_bytes %d", conf, c.MaxPending)
		}
	}
}
