package logio

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// frameBytes is how much uncompressed data a zstd frame or gzip member holds at most: a damaged
// region costs a reader at most this much, and a bigger window buys little more compression.
const frameBytes = 4 << 20

// Writer appends records to a log as one compressed stream (not a frame per record). Records are
// buffered; Flush pushes them to the file as complete compressed blocks, which readers can decode at
// once, so a crash loses at most what was written since the last Flush. Not safe for concurrent use.
type Writer struct {
	path     string
	compress string
	level    int
	f        *os.File
	buf      *bufio.Writer
	zw       *zstd.Encoder
	gw       *gzip.Writer
	inFrame  int64 // uncompressed bytes in the current frame or member
	unsynced bool  // written to the compressor since its last flush
}

// DefaultLevel is the compression level used when none is configured.
func DefaultLevel(compress string) int {
	switch compress {
	case Zstd:
		return 3
	case Gzip:
		return gzip.DefaultCompression
	}
	return 0
}

// CheckLevel says whether level is valid for compress.
func CheckLevel(compress string, level int) error {
	switch compress {
	case Zstd:
		if level < 1 || level > 22 {
			return fmt.Errorf("invalid compress_level for compress=zstd: %d (allowed: 1..22)", level)
		}
	case Gzip:
		if level < -3 || level > 9 {
			return fmt.Errorf("invalid compress_level for compress=gz: %d (allowed: -3..9)", level)
		}
	}
	return nil
}

// Create opens path for appending (creating it, mode 0640, and its directory, 0750), compressed as
// compress (Plain, Gzip or Zstd) at level.
func Create(path, compress string, level int) (*Writer, error) {
	if err := CheckLevel(compress, level); err != nil {
		return nil, err
	}
	w := &Writer{path: path, compress: compress, level: level}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	if err := os.MkdirAll(filepath.Dir(w.path), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o640); err != nil {
		f.Close()
		return err
	}
	w.f = f
	var dst io.Writer = f
	switch w.compress {
	case Zstd:
		zw, err := zstd.NewWriter(f, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(w.level)),
			zstd.WithEncoderConcurrency(1))
		if err != nil {
			f.Close()
			return err
		}
		w.zw, dst = zw, zw
	case Gzip:
		gw, err := gzip.NewWriterLevel(f, w.level)
		if err != nil {
			f.Close()
			return err
		}
		w.gw, dst = gw, gw
	}
	w.buf = bufio.NewWriterSize(dst, 64<<10)
	w.inFrame = 0
	return nil
}

// Write appends one record; line must end with a newline.
func (w *Writer) Write(line []byte) error {
	_, err := w.buf.Write(line)
	w.inFrame += int64(len(line))
	w.unsynced = true
	return err
}

// Flush pushes buffered records to the file. A frame (gzip: member) that has grown past frameBytes is
// ended and the next record starts a new one.
func (w *Writer) Flush() error {
	if !w.unsynced {
		return nil
	}
	if err := w.buf.Flush(); err != nil {
		return err
	}
	w.unsynced = false
	switch {
	case w.zw != nil && w.inFrame >= frameBytes:
		if err := w.zw.Close(); err != nil {
			return err
		}
		w.zw.Reset(w.f)
		w.inFrame = 0
	case w.zw != nil:
		return w.zw.Flush()
	case w.gw != nil && w.inFrame >= frameBytes:
		if err := w.gw.Close(); err != nil {
			return err
		}
		w.gw.Reset(w.f)
		w.inFrame = 0
	case w.gw != nil:
		return w.gw.Flush()
	}
	return nil
}

// Close ends the stream properly and closes the file.
func (w *Writer) Close() error {
	err := w.buf.Flush()
	switch {
	case w.zw != nil:
		if cerr := w.zw.Close(); err == nil {
			err = cerr
		}
	case w.gw != nil:
		if cerr := w.gw.Close(); err == nil {
			err = cerr
		}
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.unsynced = false
	return err
}

// Reopen closes the file and opens path again: after logrotate renamed it, records go to a new file.
func (w *Writer) Reopen() error {
	cerr := w.Close()
	if err := w.open(); err != nil {
		return err
	}
	return cerr
}
