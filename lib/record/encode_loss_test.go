package record

import (
	"encoding/json"
	"testing"
)

// TestLossAppendJSON: the loss records precd writes, byte for byte as encoding/json's Encoder wrote
// them before (Marshal and a newline).
func TestLossAppendJSON(t *testing.T) {
	for _, l := range []Loss{
		{},
		{Self: Self{Timestamp: "2026-12-01T12:00:00.123456789+01:00", UID: 0, GID: 0, User: "root", Group: "root", Comm: "precd", Exe: "precd",
			Argv: []string{"precd", "loss"}, Argc: 2, Source: SourceSystem, RecordType: TypeLoss}, LostSamples: 7,
			LostSamplesTotal: 1 << 40, LostStarts: 3, LostEnds: 2, LostFails: 1, LostForks: 1},
		{Self: Self{Timestamp: "t", User: "", Group: "<&>", PID: 4294967295, PPID: 1, Cwd: "/\xff", Argv: []string{}, Argc: -1},
			LostSamplesTotal: 18446744073709551615, UnwrittenStarts: 5, UnwrittenEnds: 4, UnwrittenFails: 3,
			UnwrittenFrom: "2026-12-01T12:00:00Z", UnwrittenTo: "2026-12-01T12:00:01Z",
			UnwrittenReason: "write /var/log/prec/prec.log: no space left on device"},
		{UnwrittenTo: "x"},
		{LostSamples: 1, Identity: Identity{Host: "h", RunID: "20261201173000", Seq: 42}},
	} {
		want, err := json.Marshal(&l)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	}
}

func BenchmarkLossAppendJSON(b *testing.B) {
	l := Loss{Self: Self{Timestamp: "2026-12-01T12:00:00.123456789Z", User: "root", Group: "root", Comm: "precd", Exe: "precd",
		Argv: []string{"precd", "loss"}, Argc: 2, Source: SourceSystem, RecordType: TypeLoss}, LostSamples: 7,
		LostSamplesTotal: 70, LostStarts: 3, LostEnds: 2, LostFails: 1, LostForks: 1}
	var buf []byte
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = l.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(&l)
		}
	})
}
