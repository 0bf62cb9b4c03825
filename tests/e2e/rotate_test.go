package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// precd rotating its own log (rotate_size, rotate_keep): a burst that rotates it several times
// leaves the current file and rotate_keep rotated ones, each within one unit of the limit, the
// oldest records removed first and every other one read once, in order; also after kill -9.

const (
	rotLimit = 256 << 10
	rotKeep  = 3
)

func rotConf(mode string) string {
	return fmt.Sprintf("compress = %q\nrotate_size = \"256KiB\"\nrotate_keep = %d", mode, rotKeep)
}

// rotLoop is loop with a second argument of random digits: the records then compress about as
// much as real command lines do, and a burst fills 256 KiB of zstd in seconds.
func rotLoop(t *testing.T, marker string) (stop func() int) {
	return loopWith(t, marker, strings.Repeat("$SRANDOM", 48)+" "+strings.Repeat("$SRANDOM", 48))
}

// rotations returns how many rotations precd logged.
func (d *daemon) rotations() int { return strings.Count(d.stderrText(), `msg="log rotated"`) }

// waitRotations waits until precd has rotated its log n times more than before.
func (d *daemon) waitRotations(t *testing.T, before, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for d.rotations() < before+n {
		d.alive()
		if time.Now().After(deadline) {
			t.Fatalf("%d rotations in 90s, want %d:\n%s", d.rotations()-before, n, d.stderrText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkFiles checks that the log's directory holds the log, its lock and log.1 .. log.keep, each
// at most the limit, the rotated ones within one unit of it (a unit holds a quarter of the limit
// uncompressed, a sixteenth in plain logs, or one bigger record, and is no bigger compressed).
func checkFiles(t *testing.T, log, mode string) {
	t.Helper()
	es, err := os.ReadDir(filepath.Dir(log))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	base := filepath.Base(log)
	want := []string{base, base + ".1", base + ".2", base + ".3", base + ".lock"}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	unit := int64(rotLimit / 4)
	if mode == "no" {
		unit = rotLimit / 8 // a sixteenth, or one record of another command with 16 KiB of arguments
	}
	var sizes []string
	for _, n := range want[:4] {
		st, err := os.Stat(filepath.Join(filepath.Dir(log), n))
		if err != nil {
			continue
		}
		sizes = append(sizes, fmt.Sprintf("%s %d", n, st.Size()))
		low := int64(rotLimit) - unit
		if n == base {
			low = 0
		}
		if st.Size() > rotLimit || st.Size() <= low {
			t.Errorf("%s: %d bytes, want %d..%d", n, st.Size(), low+1, rotLimit)
		}
	}
	t.Logf("sizes: %s", strings.Join(sizes, ", "))
}

// starts returns the numbers N of the start records of markerN in prec-cat -a's output, in the
// order read, and prec-cat's stderr.
func starts(t *testing.T, log, marker string) ([]int, string) {
	t.Helper()
	c := exec.Command(filepath.Join(binDir, "prec-cat"), "-a", log)
	var out, errs bytes.Buffer
	c.Stdout, c.Stderr = &out, &errs
	err := c.Run()
	if err != nil && !strings.Contains(errs.String(), "damaged") {
		t.Fatalf("prec-cat -a %s: %v\n%s", log, err, errs.String())
	}
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(marker) + `([0-9]+)"`)
	var ns []int
	for _, l := range strings.Split(out.String(), "\n") {
		if m := re.FindStringSubmatch(l); m != nil && strings.Contains(l, `"record_type":"start"`) {
			n, _ := strconv.Atoi(m[1])
			ns = append(ns, n)
		}
	}
	return ns, errs.String()
}

// precRows returns the numbers N of prec -a's rows of markerN, in the order shown.
func precRows(t *testing.T, log, marker string) []int {
	t.Helper()
	c := exec.Command(filepath.Join(binDir, "prec"), "-i", log, "-a", "-A", "-n", "0", "-o", "json", "-f", "all", "-q", "argv~="+marker)
	var out, errs bytes.Buffer
	c.Stdout, c.Stderr = &out, &errs
	if err := c.Run(); err != nil && !strings.Contains(errs.String(), "damaged") {
		t.Fatalf("prec -a: %v\n%s", err, errs.String())
	}
	var ns []int
	dec := json.NewDecoder(&out)
	for {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			break
		}
		for _, a := range strs(r["argv"])[1:] {
			if s, ok := strings.CutPrefix(a, marker); ok {
				n, _ := strconv.Atoi(s)
				ns = append(ns, n)
			}
		}
	}
	return ns
}

// contiguous checks that ns is from, from+1, ..., to: each once, in order, nothing missing between.
func contiguous(t *testing.T, what string, ns []int, to int) (from int) {
	t.Helper()
	if len(ns) == 0 {
		t.Errorf("%s: no records", what)
		return 0
	}
	from = ns[0]
	for i, n := range ns {
		if n != from+i {
			t.Errorf("%s: record %d is N=%d, want %d: %d records from %d to %d, not each once in order", what, i, n, from+i, len(ns), from, ns[len(ns)-1])
			return from
		}
	}
	if last := ns[len(ns)-1]; last != to {
		t.Errorf("%s: the last record is N=%d, want %d", what, last, to)
	}
	return from
}

// TestSelfRotation: rotate_size = "256KiB", rotate_keep = 3 and a burst that rotates the log
// several times: 4 files, each within one unit of the limit; the kept records of the burst are a
// contiguous range ending at the last command run (the oldest were removed first), once each and
// in order, through prec-cat -a and prec -a. Every compression mode.
func TestSelfRotation(t *testing.T) {
	for _, mode := range []string{"zstd", "gz", "no"} {
		t.Run(mode, func(t *testing.T) {
			d := startPrecd(t, rotConf(mode))
			marker := "selfrot-" + mode + "-"
			stop := rotLoop(t, marker)
			// The first commands' records are in the file of one of the first r0+1: after keep+2
			// more rotations it is gone, however much else the host runs.
			settle()
			r0 := d.rotations()
			d.waitRotations(t, r0, rotKeep+2)
			ran := stop()
			settle()
			d.stop()
			checkFiles(t, d.log, mode)
			ns, errs := starts(t, d.log, marker)
			if errs != "" {
				t.Errorf("prec-cat -a: %s", errs)
			}
			from := contiguous(t, "prec-cat -a", ns, ran)
			if from <= 1 {
				t.Errorf("the oldest records were kept (from %d) after %d rotations with rotate_keep %d", from, d.rotations(), rotKeep)
			}
			rows := precRows(t, d.log, marker)
			if pfrom := contiguous(t, "prec -a", rows, ran); pfrom != from {
				t.Errorf("prec -a shows %s%d.. and prec-cat -a %s%d..", marker, pfrom, marker, from)
			}
			t.Logf("%d run, %d rotations, %s%d..%d kept", ran, d.rotations(), marker, from, ran)
		})
	}
}

// TestSelfRotationKill9: precd killed with SIGKILL during a burst that rotates its log, then
// started again on it: every record readable before the kill is readable after it, once and in
// order, but for the oldest that later rotations remove; the set is put in order and rotated on.
func TestSelfRotationKill9(t *testing.T) {
	for _, mode := range []string{"zstd", "gz", "no"} {
		t.Run(mode, func(t *testing.T) {
			d := startPrecd(t, rotConf(mode))
			marker := "selfrot9-" + mode + "-"
			stop := rotLoop(t, marker)
			d.waitRotations(t, 0, rotKeep+1)
			d.cmd.Process.Kill()
			<-d.done
			ran := stop()
			before, _ := starts(t, d.log, marker)
			if len(before) == 0 {
				t.Fatal("nothing readable after kill -9")
			}
			sort.Ints(before)
			last := before[len(before)-1]
			contiguous(t, "prec-cat -a after kill -9", before, last)

			d.start()
			rotated := d.rotations()
			marker2 := "selfrot9b-" + mode + "-"
			stop2 := rotLoop(t, marker2)
			d.waitRotations(t, rotated, 2) // the first file of the new run, then one more
			ran2 := stop2()
			settle()
			d.stop()
			checkFiles(t, d.log, mode)
			after, errs := starts(t, d.log, marker)
			if strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Errorf("prec-cat -a after the restart: more than the one unit a kill can tear:\n%s", errs)
			}
			// What the rotations left of the first run: a run of its records ending at the last one
			// readable before the kill.
			if len(after) > 0 {
				contiguous(t, "the killed run's records after the restart", after, last)
				if after[0] < before[0] {
					t.Errorf("records %d.. read after the restart, %d.. before", after[0], before[0])
				}
			}
			ns2, _ := starts(t, d.log, marker2)
			from2 := contiguous(t, "the new run's records", ns2, ran2)
			if len(after) > 0 && from2 != 1 {
				t.Errorf("records of the killed run kept but the new run's start at %d: a file was removed out of order", from2)
			}
			rows := precRows(t, d.log, marker2)
			contiguous(t, "prec -a, the new run", rows, ran2)
			t.Logf("killed after %d run (%d readable: %d..%d); after the restart %d of them kept, new run %d..%d of %d",
				ran, len(before), before[0], last, len(after), from2, ran2, ran2)
		})
	}
}
