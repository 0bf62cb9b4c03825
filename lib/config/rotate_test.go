package config

import (
	"strings"
	"testing"
	"time"
)

func TestRotateConfig(t *testing.T) {
	for _, c := range []struct {
		text  string
		size  int64
		age   time.Duration
		keep  int
		error string
	}{
		{"", 0, 0, 5, ""},
		{`rotate_size = "256KiB"`, 256 << 10, 0, 5, ""},
		{`rotate_size = "100MiB"` + "\nrotate_keep = 3", 100 << 20, 0, 3, ""},
		{`rotate_size = "2 GiB"`, 2 << 30, 0, 5, ""},
		{`rotate_size = "1MB"`, 1e6, 0, 5, ""},
		{`rotate_size = "1048576"`, 1 << 20, 0, 5, ""},
		{`rotate_age = "24h"` + "\nrotate_keep = 7", 0, 24 * time.Hour, 7, ""},
		{`rotate_size = "1KiB"`, 0, 0, 0, `invalid rotate_size: "1KiB"`},
		{`rotate_size = "100M"`, 0, 0, 0, `invalid rotate_size: "100M"`},
		{`rotate_size = "-1MiB"`, 0, 0, 0, `invalid rotate_size`},
		{`rotate_size = "99999999999GiB"`, 0, 0, 0, `invalid rotate_size`},
		{`rotate_age = "1s"`, 0, 0, 0, `invalid rotate_age: "1s"`},
		{`rotate_age = "1d"`, 0, 0, 0, `invalid rotate_age`},
		{`rotate_keep = 3`, 0, 0, 0, "rotate_keep = 3 needs rotate_size or rotate_age"},
		{`rotate_size = "1MiB"` + "\nrotate_keep = -1", 0, 0, 0, "invalid rotate_keep: -1"},
		{`rotate_size = "1MiB"` + "\nrotate_keep = 1001", 0, 0, 0, "invalid rotate_keep: 1001"},
	} {
		cfg, err := Load(write(t, c.text+"\n"))
		switch {
		case c.error != "":
			if err == nil || !strings.Contains(err.Error(), c.error) {
				t.Errorf("%q: %v, want %q", c.text, err, c.error)
			}
		case err != nil:
			t.Errorf("%q: %v", c.text, err)
		case cfg.RotateBytes != c.size || cfg.RotateEvery != c.age || cfg.RotateKeep != c.keep:
			t.Errorf("%q: size %d age %v keep %d, want %d %v %d", c.text, cfg.RotateBytes, cfg.RotateEvery, cfg.RotateKeep, c.size, c.age, c.keep)
		}
	}
}
