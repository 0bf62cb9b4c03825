package logio

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// benchRecord is shaped like precd's start records (~400 bytes).
func benchRecord(i int) string {
	return fmt.Sprintf(`{"timestamp":"2026-11-22T13:33:%02d.%09dZ","event_id":"20261122133327-%d","uid":1000,"gid":1000,"auid":1000,"session_id":3,"user":"user","group":"user","pid":%d,"ppid":22807,"comm":"ls","exe":"/usr/bin/ls","cwd":"/home/user/src","argv":["/usr/bin/ls","-la","/tmp/w/%d"],"argc":3,"source":"user","record_type":"start","parent_comm":"bash","parent_exe":"/usr/bin/bash"}`+"\n", i%60, i*7919%1000000000, i, 20000+i, i)
}

// benchLogs writes 100,000 records as units of 1,000 (index frame + data frame, as precd writes a
// busy second) and as one stream flushed every 1,000 (the writer before units).
func benchLogs(b *testing.B) (units, stream string) {
	dir := b.TempDir()
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	var u, s bytes.Buffer
	sw, _ := zstd.NewWriter(&s, zstd.WithEncoderConcurrency(1))
	var content []byte
	for i := 0; i < 100000; i++ {
		content = append(content, benchRecord(i)...)
		if i%1000 == 999 {
			var h [40]byte
			copy(h[:], []byte{0x50, 0x2a, 0x4d, 0x18, 32, 0, 0, 0, 'P', 'R', 'E', 'C', 1})
			binary.LittleEndian.PutUint64(h[16:], 20261122133327)
			binary.LittleEndian.PutUint64(h[24:], uint64(i/1000+1))
			binary.LittleEndian.PutUint32(h[32:], 1000)
			binary.LittleEndian.PutUint32(h[36:], uint32(len(content)))
			u.Write(enc.EncodeAll(content, h[:]))
			sw.Write(content)
			sw.Flush()
			content = content[:0]
		}
	}
	sw.Close()
	units, stream = filepath.Join(dir, "units.log"), filepath.Join(dir, "stream.log")
	os.WriteFile(units, u.Bytes(), 0o644)
	os.WriteFile(stream, s.Bytes(), 0o644)
	return units, stream
}

// BenchmarkCat reads 100,000 records of a zstd log: in units, and as one stream.
func BenchmarkCat(b *testing.B) {
	units, stream := benchLogs(b)
	for _, c := range []struct{ name, path string }{{"units", units}, {"stream", stream}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := Cat(context.Background(), nil, io.Discard, CatOptions{Paths: []string{c.path}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*100000/b.Elapsed().Seconds(), "records/s")
		})
	}
}
