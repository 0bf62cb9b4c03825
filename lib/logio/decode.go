package logio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// sink receives decoded bytes. Break marks a gap: what was decoded before it and after it must not be
// joined into one line.
type sink interface {
	io.Writer
	Break(reason string)
}

// damage reports a damaged region of a file.
type damage func(format string, args ...any)

const maxLayers = 4

// decodeFile writes the content of f to out, undoing up to maxLayers of compression. Damage in the
// outer layer is reported and skipped: a zstd file resumes at its next intact frame, a gzip file at
// its next member; a torn last frame or member gives what it holds. Errors reading f are returned.
func decodeFile(f *os.File, out sink, report damage) error {
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	switch Detect(head[:n]) {
	case Zstd:
		lw := newLayer(out, report, 1)
		err := decodeZstdFrames(f, lw, report)
		return errors.Join(err, lw.Close())
	case Gzip:
		lw := newLayer(out, report, 1)
		err := decodeGzipMembers(f, lw, report)
		return errors.Join(err, lw.Close())
	}
	_, err = io.Copy(out, bufio.NewReaderSize(f, 256<<10))
	return err
}

// layer passes decoded bytes on: straight to out when they are plain text (the usual case, and then
// Break marks gaps exactly), or through a streaming decoder of the next layer (a gzipped zstd log).
type layer struct {
	out    sink
	report damage
	depth  int
	head   []byte
	ready  bool
	pw     *io.PipeWriter
	done   chan error
}

func newLayer(out sink, report damage, depth int) *layer {
	return &layer{out: out, report: report, depth: depth}
}

func (l *layer) decide() error {
	l.ready = true
	if Detect(l.head) != Plain {
		pr, pw := io.Pipe()
		l.pw, l.done = pw, make(chan error, 1)
		go func() { l.done <- inner(pr, l.out, l.report, l.depth); pr.CloseWithError(io.ErrClosedPipe) }()
	}
	head := l.head
	l.head = nil
	_, err := l.write(head)
	return err
}

func (l *layer) write(p []byte) (int, error) {
	if l.pw != nil {
		return l.pw.Write(p)
	}
	return l.out.Write(p)
}

func (l *layer) Write(p []byte) (int, error) {
	if !l.ready {
		l.head = append(l.head, p...)
		if len(l.head) < 4 {
			return len(p), nil
		}
		return len(p), l.decide()
	}
	return l.write(p)
}

func (l *layer) Break(reason string) {
	if l.pw == nil {
		l.out.Break(reason)
	}
}

// Close ends the layer and waits for the next one to finish.
func (l *layer) Close() error {
	if !l.ready {
		if err := l.decide(); err != nil {
			return err
		}
	}
	if l.pw == nil {
		return nil
	}
	l.pw.Close()
	return <-l.done
}

// inner undoes the compression of an inner layer (a gzipped zstd log, say), streaming: damage there
// ends the layer.
func inner(r io.Reader, out sink, report damage, depth int) error {
	br := bufio.NewReaderSize(r, 256<<10)
	head, _ := br.Peek(4)
	kind := Detect(head)
	if depth >= maxLayers {
		report("more than %d layers of compression: the rest is skipped", maxLayers)
		_, err := io.Copy(io.Discard, br)
		return err
	}
	var dec io.Reader = br
	switch kind {
	case Zstd:
		z, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return err
		}
		defer z.Close()
		dec = z
	case Gzip:
		z, err := gzip.NewReader(br)
		if err != nil {
			report("inner gzip layer: %v", err)
			_, err = io.Copy(io.Discard, br)
			return err
		}
		dec = z
	}
	if kind == Plain {
		_, err := io.Copy(out, br)
		return err
	}
	lw := newLayer(out, report, depth+1)
	_, err := io.Copy(lw, dec)
	if errors.Is(err, context.Canceled) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, syscall.EPIPE) {
		return err
	}
	if err != nil {
		report("inner %s layer damaged: %v (the rest of it is skipped)", kind, err)
		out.Break("damaged inner layer")
		_, _ = io.Copy(io.Discard, br)
	}
	return lw.Close()
}

// decodeZstdFrames decodes f frame by frame. Frame boundaries are found from the frame and block
// headers alone, so a damaged frame costs only itself.
func decodeZstdFrames(f *os.File, out sink, report damage) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxWindow(1<<30))
	if err != nil {
		return err
	}
	defer dec.Close()
	var off int64
	var werr error
	for off < size && werr == nil {
		end, torn, partial, ferr := zstdFrameEnd(f, off, size)
		if ferr != nil {
			report("%s: damaged zstd frame at byte %d: %v", f.Name(), off, ferr)
			next, serr := findMagic(f, off+1, size, zstdMagic)
			if serr != nil {
				werr = serr
				break
			}
			out.Break("damaged frame")
			off = next
			continue
		}
		if end == off { // a skippable frame
			off, _ = skippableEnd(f, off)
			continue
		}
		if err := dec.Reset(io.NewSectionReader(f, off, end-off)); err != nil {
			werr = err
			break
		}
		_, cerr := io.Copy(out, dec)
		if errors.Is(cerr, io.ErrClosedPipe) {
			return cerr
		}
		if torn {
			// The frame of a log being written (or of a writer that died) has no end yet: what
			// its complete blocks hold is kept. Bytes of a block cut short are reported.
			if partial > 0 {
				report("%s: the last %d bytes are an incomplete zstd block (writer stopped mid-write?): what they held is lost", f.Name(), partial)
			}
			break
		}
		if cerr != nil {
			report("%s: damaged zstd frame at byte %d: %v", f.Name(), off, cerr)
			out.Break("damaged frame")
		}
		off = end
	}
	return werr
}

func skippableEnd(f *os.File, off int64) (int64, error) {
	var h [8]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return 0, err
	}
	return off + 8 + int64(binary.LittleEndian.Uint32(h[4:])), nil
}

// zstdFrameEnd walks the headers of the frame at off and returns where it ends. torn is set when the
// file ends inside the frame (end is then the file's size); partial is then how many bytes at the
// end belong to a header or block cut short. A skippable frame returns end == off.
func zstdFrameEnd(f *os.File, off, size int64) (end int64, torn bool, partial int64, err error) {
	var h [18]byte
	n, _ := f.ReadAt(h[:], off)
	if n < 4 {
		return size, true, size - off, nil
	}
	if isSkippableFrame(h[:4]) {
		return off, false, 0, nil
	}
	if !bytes.Equal(h[:4], zstdMagic) {
		return 0, false, 0, errors.New("no frame magic")
	}
	if n < 5 {
		return size, true, size - off, nil
	}
	fhd := h[4]
	if fhd&0x08 != 0 {
		return 0, false, 0, errors.New("reserved bit set in frame header")
	}
	single := fhd&0x20 != 0
	hdr := int64(5)
	if !single {
		hdr++ // window descriptor
	}
	hdr += []int64{0, 1, 2, 4}[fhd&3] // dictionary id
	switch fcs := fhd >> 6; {
	case fcs == 0 && single:
		hdr++
	case fcs == 1:
		hdr += 2
	case fcs == 2:
		hdr += 4
	case fcs == 3:
		hdr += 8
	}
	pos := off + hdr
	if pos > size {
		return size, true, size - off, nil
	}
	var bh [3]byte
	for {
		if pos+3 > size {
			return size, true, size - pos, nil
		}
		if _, err := f.ReadAt(bh[:], pos); err != nil {
			return 0, false, 0, err
		}
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		last, typ, bsize := v&1 != 0, (v>>1)&3, int64(v>>3)
		switch typ {
		case 1: // RLE: one byte stored
			bsize = 1
		case 3:
			return 0, false, 0, fmt.Errorf("reserved block type at byte %d", pos)
		}
		if bsize > 128<<10 {
			return 0, false, 0, fmt.Errorf("block of %d bytes at byte %d", bsize, pos)
		}
		if pos+3+bsize > size {
			return size, true, size - pos, nil
		}
		pos += 3 + bsize
		if last {
			break
		}
	}
	if fhd&0x04 != 0 {
		pos += 4 // content checksum
		if pos > size {
			return size, true, 0, nil // all the content is there
		}
	}
	return pos, false, 0, nil
}

// findMagic returns the offset of the next magic at or after from, or size if there is none.
func findMagic(f *os.File, from, size int64, magic []byte) (int64, error) {
	buf := make([]byte, 256<<10)
	for from < size {
		n, err := f.ReadAt(buf, from)
		if n == 0 {
			if err != nil && err != io.EOF {
				return 0, err
			}
			break
		}
		if i := bytes.Index(buf[:n], magic); i >= 0 {
			return from + int64(i), nil
		}
		if n < len(magic) {
			break
		}
		from += int64(n - len(magic) + 1)
	}
	return size, nil
}

// countingReader counts what is read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeGzipMembers decodes f member by member, so that a damaged member costs only itself.
func decodeGzipMembers(f *os.File, out sink, report damage) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	var off int64
	var werr error
	z := new(gzip.Reader)
	for off < size && werr == nil {
		cr := &countingReader{r: io.NewSectionReader(f, off, size-off)}
		br := bufio.NewReaderSize(cr, 64<<10) // a ByteReader: gzip reads no further than the member
		if err := z.Reset(br); err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				break // a header cut short: a member being written
			}
			report("%s: damaged gzip member at byte %d: %v", f.Name(), off, err)
			next, serr := findMagic(f, off+1, size, gzipMagic)
			werr = serr
			out.Break("damaged member")
			off = next
			continue
		}
		z.Multistream(false)
		_, cerr := io.Copy(out, z)
		if errors.Is(cerr, io.ErrClosedPipe) {
			return cerr
		}
		if cerr == io.ErrUnexpectedEOF {
			break // a member being written, or cut by a crash: as for zstd, keep what it holds
		}
		if cerr != nil {
			report("%s: damaged gzip member at byte %d: %v", f.Name(), off, cerr)
			next, serr := findMagic(f, off+1, size, gzipMagic)
			werr = serr
			out.Break("damaged member")
			off = next
			continue
		}
		off += cr.n - int64(br.Buffered())
	}
	return werr
}
