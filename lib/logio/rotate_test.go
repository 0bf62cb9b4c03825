package logio

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tiedSet writes a rotated set where two files share a number, as a change of compression between
// two rotations leaves it: prec.log.1.zst (older) and prec.log.1 (newer). Each file holds records
// {"n":N}; read in the reference's order (number, then mtime, then name) they are 1 15 3 4.
func tiedSet(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	write := func(name, compress string, age time.Duration, ns ...string) {
		p := filepath.Join(dir, name)
		w, err := Create(p, compress, DefaultLevel(compress))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			w.Write([]byte(`{"n":` + n + "}\n"))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	write("prec.log.2", "no", 4*time.Hour, "1")
	write("prec.log.1.zst", "zstd", 3*time.Hour, "15")
	write("prec.log.1", "no", 2*time.Hour, "3")
	write("prec.log", "no", time.Hour, "4")
	return filepath.Join(dir, "prec.log")
}

func TestRotatedSetTies(t *testing.T) {
	base := tiedSet(t)
	names := func() string {
		got, err := RotatedSet(base)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, p := range got {
			s = append(s, filepath.Base(p))
		}
		return strings.Join(s, " ")
	}
	if got, want := names(), "prec.log.2 prec.log.1.zst prec.log.1 prec.log"; got != want {
		t.Errorf("tied by number, older first: %s, want %s", got, want)
	}
	// the same time: by name
	dir := filepath.Dir(base)
	mt := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(dir, "prec.log.1"), mt, mt)
	os.Chtimes(filepath.Join(dir, "prec.log.1.zst"), mt, mt)
	if got, want := names(), "prec.log.2 prec.log.1 prec.log.1.zst prec.log"; got != want {
		t.Errorf("tied by number and time: %s, want %s", got, want)
	}
	// dated names tie the same way
	dir = t.TempDir()
	for i, n := range []string{"prec.log-20260101", "prec.log-20260101.gz", "prec.log-20251231.zst", "prec.log"} {
		p := filepath.Join(dir, n)
		os.WriteFile(p, nil, 0o644)
		mt := time.Now().Add(-time.Duration(i) * time.Hour) // the .gz older than its plain twin
		os.Chtimes(p, mt, mt)
	}
	base = filepath.Join(dir, "prec.log")
	if got, want := names(), "prec.log-20251231.zst prec.log-20260101.gz prec.log-20260101 prec.log"; got != want {
		t.Errorf("dated: %s, want %s", got, want)
	}
}

func TestCatAllTies(t *testing.T) {
	base := tiedSet(t)
	for _, c := range []struct {
		last int
		want string
	}{
		{0, `{"n":1}` + "\n" + `{"n":15}` + "\n" + `{"n":3}` + "\n" + `{"n":4}` + "\n"},
		{2, `{"n":3}` + "\n" + `{"n":4}` + "\n"},
	} {
		var out bytes.Buffer
		if err := Cat(context.Background(), nil, &out, CatOptions{Paths: []string{base}, All: true, Last: c.last}); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want {
			t.Errorf("-a -n %d:\n%swant\n%s", c.last, out.String(), c.want)
		}
	}
}
