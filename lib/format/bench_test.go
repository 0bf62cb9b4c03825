package format

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"
)

func BenchmarkFormat(b *testing.B) {
	data, err := os.ReadFile("testdata/basic.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	data = bytes.Repeat(data, 100)
	all, _ := ParseFields("all")
	for _, c := range []struct {
		name string
		opt  Options
	}{
		{"text", Options{}},
		{"text-all", Options{Fields: all}},
		{"csv-all", Options{Output: CSV, Fields: all}},
		{"json-all", Options{Output: JSON, Fields: all}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Run(context.Background(), bytes.NewReader(data), io.Discard, c.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
