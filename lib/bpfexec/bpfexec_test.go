package bpfexec

import "testing"

func TestWakeupBytes(t *testing.T) {
	for _, c := range []struct {
		ring int
		want uint64
	}{
		{4096, 1024},
		{64 << 10, 16 << 10},
		{1 << 20, 256 << 10},
		{defaultRingBytes, 256 << 10},
		{256 << 20, 256 << 10},
	} {
		if got := wakeupBytes(c.ring); got != c.want {
			t.Errorf("wakeupBytes(%d) = %d, want %d", c.ring, got, c.want)
		}
	}
}
