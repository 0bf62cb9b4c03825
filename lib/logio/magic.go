// Package logio reads and writes prec logs: plain, gzip (multi-member) and zstd (multi-frame) files,
// told apart by their first bytes; a log's rotated set in age order; following a log as it grows and
// rotates; and the streaming, periodically flushed writer precd logs with.
package logio

import "bytes"

// Compression of a log.
const (
	Plain = "no"
	Gzip  = "gz"
	Zstd  = "zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b, 0x08}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Detect names the compression whose magic bytes head b.
func Detect(b []byte) string {
	switch {
	case bytes.HasPrefix(b, zstdMagic):
		return Zstd
	case bytes.HasPrefix(b, gzipMagic):
		return Gzip
	case isSkippableFrame(b):
		return Zstd
	}
	return Plain
}

// isSkippableFrame: zstd's skippable frames have magic 0x184D2A50..5F (little-endian).
func isSkippableFrame(b []byte) bool {
	return len(b) >= 4 && b[0]&0xf0 == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18
}
