package recorder

import "testing"

func TestSourceAndTTY(t *testing.T) {
	for _, c := range []struct {
		ppid        uint32
		tty, ptty   bool
		pcomm, pexe string
		want        string
	}{
		{100, true, true, "bash", "/usr/bin/bash", "user"},
		{100, false, true, "zsh", "", "user"},
		{100, true, false, "make", "/usr/bin/make", "system"},
		{100, false, false, "bash", "/usr/bin/bash", "system"},
		{1, true, true, "bash", "", "system"},
		{100, true, true, "x", "/bin/DASH", "user"},
	} {
		if got := source(c.ppid, c.tty, c.ptty, c.pcomm, c.pexe); got != c.want {
			t.Errorf("%+v: %s", c, got)
		}
	}
	if ttyName(136, 0, "pts0") != "/dev/pts/0" || ttyName(137, 3, "") != "/dev/pts/259" || ttyName(4, 1, "tty1") != "/dev/tty1" || ttyName(0, 0, "x") != "" {
		t.Error("ttyName")
	}
	if ttyNr(136, 0) != 34816 || ttyNr(136, 300) != 34816|(300&0xff)|(256<<12) {
		t.Error("ttyNr")
	}
}
