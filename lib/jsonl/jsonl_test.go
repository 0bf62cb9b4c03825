package jsonl

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzReader: Next returns the input's lines, in order and numbered, whatever the line lengths and
// however the source splits its reads; a line over the limit is ErrTooLong and still counted.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"", "\n", "a", "a\nb\n", "a\r\nb", "\n\n\nx", strings.Repeat("y", 70000) + "\nz\n"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, in string, max int) {
		if strings.Contains(in, "\r") {
			in = strings.ReplaceAll(in, "\r", "")
		}
		max = 1 + max&0xffff
		want := strings.Split(in, "\n")
		if strings.HasSuffix(in, "\n") || in == "" {
			want = want[:len(want)-1]
		}
		r := NewReader(iotest.HalfReader(strings.NewReader(in)), max)
		for i := 0; ; i++ {
			line, err := r.Next()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("%d lines, want %d", i, len(want))
				}
				return
			}
			if i >= len(want) {
				t.Fatalf("line %d %q past the end", i+1, line)
			}
			if r.Line() != int64(i+1) {
				t.Fatalf("Line %d, want %d", r.Line(), i+1)
			}
			switch {
			case len(want[i]) > max:
				if !errors.Is(err, ErrTooLong) {
					t.Fatalf("line %d of %d bytes (max %d): %v", i+1, len(want[i]), max, err)
				}
			case err != nil || string(line) != want[i]:
				t.Fatalf("line %d: %q, %v; want %q", i+1, line, err, want[i])
			}
		}
	})
}
