package daemon

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLockAndPrefix: a held lock refuses a second daemon; restarts within one second still get new,
// increasing event_id prefixes.
func TestLockAndPrefix(t *testing.T) {
	log := filepath.Join(t.TempDir(), "sub", "prec.log")
	var prev string
	for i := 0; i < 3; i++ {
		f, prefix, err := lockLog(log)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := lockLog(log); err == nil || !strings.Contains(err.Error(), "already running") {
			t.Errorf("second lock: %v", err)
		}
		if prefix <= prev || len(prefix) != 14 {
			t.Errorf("prefix %s after %s", prefix, prev)
		}
		prev = prefix
		f.Close()
	}
}
