// Package man checks that the committed manual pages are what the binaries and the example
// configuration generate now (make man rewrites them).
package man

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// The date on the .TH line changes with every generation: it is left out of the comparison.
var th = regexp.MustCompile(`(?m)^(\.TH \S+ \d) "[^"]*"`)

func same(t *testing.T, page string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("../../packaging/man", page))
	if err != nil {
		t.Fatal(err)
	}
	if th.ReplaceAllString(string(got), "$1") != th.ReplaceAllString(string(want), "$1") {
		t.Errorf("packaging/man/%s is stale: run make man", page)
	}
}

func TestManPages(t *testing.T) {
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", bin+"/", "../../cmd/...").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for name, page := range map[string]string{"prec": "prec.1", "prec-cat": "prec-cat.1", "prec-join": "prec-join.1",
		"prec-filter": "prec-filter.1", "prec-fmt": "prec-fmt.1", "precd": "precd.8"} {
		out, err := exec.Command(filepath.Join(bin, name), "--man-page").Output()
		if err != nil {
			t.Fatalf("%s --man-page: %v", name, err)
		}
		same(t, page, out)
	}
	c := exec.Command("go", "run", "../../packaging/man/confpage")
	f, err := os.Open("../../packaging/precd.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c.Stdin = f
	out, err := c.Output()
	if err != nil {
		t.Fatalf("confpage: %v", err)
	}
	same(t, "precd.conf.5", out)
}
