package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadWhileWriting: a report run while precd writes its log (cron reading the live log) never
// fails for it: prec -A -n 1 exits 0 with nothing on stderr every time, however the flushes fall;
// and once precd is stopped, a torn tail would be reported again (the quiet is the live lock's
// doing, not a lost message).
func TestReadWhileWriting(t *testing.T) {
	d := startPrecd(t, `flush_interval = "20ms"`) // many flushes: many chances to meet one half-written
	stop := make(chan struct{})
	loop := exec.Command("bash", "-c", `while :; do /bin/true live-marker; done`)
	if err := loop.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { <-stop; loop.Process.Kill() }()
	defer func() { close(stop); loop.Wait() }()
	time.Sleep(300 * time.Millisecond)
	const runs = 40
	for i := range runs {
		var stderr bytes.Buffer
		c := exec.Command(filepath.Join(binDir, "prec"), "-i", d.log, "-A", "-n", "1")
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil || stderr.Len() > 0 {
			t.Fatalf("run %d of %d: prec -A -n 1 on the live log: %v\nstderr: %s", i+1, runs, err, stderr.String())
		}
		if len(bytes.TrimSpace(out)) == 0 {
			t.Fatalf("run %d: no row", i+1)
		}
	}
	d.stop()

	// The same bytes with a torn unit at the end, and no precd holding the lock: reported.
	torn := filepath.Join(t.TempDir(), "prec.log")
	b, err := os.ReadFile(d.log)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(torn, b[:len(b)-7], 0o640)
	out, err := exec.Command(filepath.Join(binDir, "prec-cat"), torn).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), torn+": bytes ") {
		t.Errorf("a torn tail with no live precd: %v, want exit 1 and a damage line naming %s; got\n%.500s", err, torn, out)
	}
}

// TestReaderGoesAway: `prec-cat -a LOG | head -1` over a rotated zstd set ends quietly with status
// 0: a reader that goes away is not damage.
func TestReaderGoesAway(t *testing.T) {
	d := startPrecd(t, "")
	sh(t, t.TempDir(), `for i in $(seq 300); do /bin/true away-marker-$i; done`)
	settle()
	if err := os.Rename(d.log, d.log+".1"); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGHUP)
	sh(t, t.TempDir(), `for i in $(seq 300); do /bin/true away-marker-$i; done`)
	settle()
	d.stop()
	for _, tc := range []string{
		fmt.Sprintf("%s/prec-cat -a %s | head -1", binDir, d.log),
		fmt.Sprintf("%s/prec -a -A -i %s | head -1", binDir, d.log),
	} {
		c := exec.Command("bash", "-o", "pipefail", "-c", tc)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil || stderr.Len() > 0 || strings.Count(string(out), "\n") != 1 {
			t.Errorf("%s: %v, stdout %q, stderr %q; want one line, status 0, nothing on stderr", tc, err, out, stderr.String())
		}
	}
}
