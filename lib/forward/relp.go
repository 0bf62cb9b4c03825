package forward

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// RELP (https://www.rsyslog.com/doc/relp.html, as librelp and rsyslog's imrelp speak it): every frame
// is "TXNR SP COMMAND SP DATALEN [SP DATA] LF". The client opens with offers, sends "syslog"
// frames, each answered by "TXNR rsp 6 200 OK", and ends with "close". TXNR runs 1..999,999,999.
const (
	relpMaxTxnr  = 999_999_999
	relpOffers   = "relp_version=0\nrelp_software=prec\ncommands=syslog"
	relpMaxData  = 1 << 20 // larger rsp data is a broken peer
	relpAckLimit = 60 * time.Second
)

type relpEntry struct {
	txnr  uint32 // 0: an unsendable record, acknowledged when reached
	it    item
	acked bool
}

// relpState is shared by a session's writer and reader.
type relpState struct {
	mu      sync.Mutex
	unacked []relpEntry // in the order sent
	hint    int         // unacked[:hint] are all acked
	room    chan struct{}
	closeTx atomic.Uint32 // the close command's txnr, once sent
}

// mark records the acknowledgement of txnr; false when no frame awaits it. Called with mu held.
func (s *relpState) mark(txnr uint32) bool {
	for _, from := range []int{s.hint, 0} {
		for i := from; i < len(s.unacked); i++ {
			e := &s.unacked[i]
			if e.txnr == txnr && !e.acked {
				e.acked = true
				for s.hint < len(s.unacked) && s.unacked[s.hint].acked {
					s.hint++
				}
				return true
			}
		}
	}
	return false
}

// pop removes the acknowledged frames at the front, moves the cursor past them and keeps them in
// the resend window: rsyslog acknowledges what it holds in memory, which a crash loses. Called
// with mu held, so that the cursor moves in order (and the reader and writer share f.hist).
func (s *relpState) pop(f *Forwarder) {
	n := 0
	for n < len(s.unacked) && s.unacked[n].acked {
		n++
	}
	if n == 0 {
		return
	}
	f.ack(n, func(i int) uint64 { return s.unacked[i].it.pos })
	if w := f.cfg.ResendWindow; w > 0 {
		for _, e := range s.unacked[:n] {
			if e.it.msg != nil {
				f.hist.push(e.it, w)
			}
		}
	}
	// Slice forward rather than copy the window down: append moves the live entries to a new
	// array when this one runs out, which amortizes to nothing per record.
	clear(s.unacked[:n])
	s.unacked = s.unacked[n:]
	s.hint -= n
	select {
	case s.room <- struct{}{}:
	default:
	}
}

// relp runs a RELP session: the open handshake, then up to Window syslog frames awaiting their rsp.
// It sends first the resend window (the latest acknowledged records) and carry; what is still
// unacknowledged when it ends is returned, for the next session to send after the window.
func (f *Forwarder) relp(ctx context.Context, conn net.Conn, carry []item) ([]item, error) {
	// The last session's reader has ended: its resend window is ours to take.
	carry = append(f.hist.take(), carry...)
	br := bufio.NewReaderSize(conn, 64<<10)
	conn.SetDeadline(time.Now().Add(dialTimeout))
	if _, err := fmt.Fprintf(conn, "1 open %d %s\n", len(relpOffers), relpOffers); err != nil {
		return carry, fmt.Errorf("relp open: %w", err)
	}
	fr, err := readFrame(br, new([]byte))
	if err != nil {
		return carry, fmt.Errorf("relp open: %w", err)
	}
	if fr.txnr != 1 || fr.cmd != "rsp" || !bytes.HasPrefix(fr.data, []byte("200")) {
		return carry, fmt.Errorf("relp open refused: %d %s %q", fr.txnr, fr.cmd, firstLine(fr.data))
	}
	if !bytes.Contains(fr.data, []byte("commands=syslog")) {
		return carry, fmt.Errorf("relp: the collector does not offer the syslog command: %q", fr.data)
	}
	if ctx.Err() != nil {
		return carry, ctx.Err()
	}
	conn.SetDeadline(time.Time{})

	s := &relpState{room: make(chan struct{}, 1)}
	dead := make(chan struct{})
	var readErr error
	go func() {
		defer close(dead)
		readErr = f.relpRead(br, s)
	}()
	defer func() { conn.Close(); <-dead }()

	txnr := uint32(1)
	nextTxnr := func() uint32 {
		if txnr++; txnr > relpMaxTxnr {
			txnr = 1
		}
		return txnr
	}
	rest := func() []item {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.pop(f)
		out := make([]item, 0, len(s.unacked)+len(carry))
		for _, e := range s.unacked {
			out = append(out, e.it)
		}
		return append(out, carry...)
	}
	var (
		buf     = make([]byte, 0, 2*batchBytes)
		entries []relpEntry
		timer   = time.NewTimer(relpAckLimit)
	)
	defer timer.Stop()
	for {
		s.mu.Lock()
		free := f.cfg.Window - len(s.unacked)
		s.mu.Unlock()
		if free <= 0 {
			timer.Reset(relpAckLimit)
			select {
			case <-s.room:
				continue
			case <-timer.C:
				return rest(), fmt.Errorf("relp: no acknowledgement for %v", relpAckLimit)
			case <-dead:
				return rest(), relpDeadErr(readErr)
			case <-ctx.Done():
				return rest(), f.relpClose(conn, s, nextTxnr(), dead)
			}
		}
		buf, entries = buf[:0], entries[:0]
		var began time.Time
		for len(entries) < free && len(buf) < batchBytes {
			it, ok := f.next(ctx, &carry, began, dead)
			if !ok {
				break
			}
			if began.IsZero() {
				began = time.Now()
			}
			e := relpEntry{it: it, acked: it.msg == nil}
			if it.msg != nil {
				e.txnr = nextTxnr()
				buf = strconv.AppendUint(buf, uint64(e.txnr), 10)
				buf = append(buf, " syslog "...)
				buf = strconv.AppendInt(buf, int64(len(it.msg)), 10)
				buf = append(buf, ' ')
				buf = append(buf, it.msg...)
				buf = append(buf, '\n')
			}
			entries = append(entries, e)
		}
		if len(entries) == 0 {
			select {
			case <-dead:
				return rest(), relpDeadErr(readErr)
			default:
				return rest(), f.relpClose(conn, s, nextTxnr(), dead)
			}
		}
		s.mu.Lock()
		s.unacked = append(s.unacked, entries...)
		s.pop(f) // unsendable records at the front
		s.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := conn.Write(buf); err != nil {
			return rest(), fmt.Errorf("write: %w", err)
		}
	}
}

// relpClose ends the session on shutdown: "close", then the collector's last acknowledgements until
// it answers the close or hangs up (Run's deadline bounds the wait).
func (f *Forwarder) relpClose(conn net.Conn, s *relpState, txnr uint32, dead <-chan struct{}) error {
	s.closeTx.Store(txnr)
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(conn, "%d close 0\n", txnr); err == nil {
		<-dead
	}
	return context.Canceled
}

func relpDeadErr(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return errors.New("collector closed the connection")
	}
	return err
}

// relpRead reads the collector's frames: rsp acknowledges a frame (any code but 200 ends the
// session: the frame is resent on the next one), serverclose ends the session. It returns when the
// connection fails or the close command is answered (then with nil).
func (f *Forwarder) relpRead(br *bufio.Reader, s *relpState) error {
	flush := func() {
		s.mu.Lock()
		s.pop(f)
		s.mu.Unlock()
	}
	defer flush()
	var scratch []byte
	for {
		fr, err := readFrame(br, &scratch)
		if err != nil {
			return err
		}
		switch fr.cmd {
		case "rsp":
			if t := s.closeTx.Load(); t != 0 && uint32(fr.txnr) == t {
				return nil
			}
			if !bytes.HasPrefix(fr.data, []byte("200")) {
				return fmt.Errorf("relp: collector answered frame %d with %q", fr.txnr, firstLine(fr.data))
			}
			s.mu.Lock()
			ok := s.mark(uint32(fr.txnr))
			s.mu.Unlock()
			if !ok {
				return fmt.Errorf("relp: acknowledgement of unknown frame %d", fr.txnr)
			}
		case "serverclose":
			return errors.New("relp: collector closed the session")
		default:
			return fmt.Errorf("relp: unexpected command %q from the collector", fr.cmd)
		}
		if br.Buffered() == 0 {
			flush()
		}
	}
}

type relpFrame struct {
	txnr uint64
	cmd  string
	data []byte
}

// readFrame reads one RELP frame. Its data is read into *scratch, grown as needed, and is valid
// until the next call with the same scratch.
func readFrame(br *bufio.Reader, scratch *[]byte) (relpFrame, error) {
	var fr relpFrame
	tok, err := br.ReadSlice(' ')
	if err != nil {
		return fr, err
	}
	if fr.txnr, err = strconv.ParseUint(string(tok[:len(tok)-1]), 10, 32); err != nil {
		return fr, fmt.Errorf("relp: bad txnr %q", tok)
	}
	if tok, err = br.ReadSlice(' '); err != nil || len(tok) > 33 {
		return fr, cmpErr(err, "relp: bad command")
	}
	switch cmd := tok[:len(tok)-1]; string(cmd) { // no allocation for these
	case "rsp":
		fr.cmd = "rsp"
	case "serverclose":
		fr.cmd = "serverclose"
	default:
		fr.cmd = string(cmd)
	}
	n := 0
	for digits := 0; ; digits++ {
		c, err := br.ReadByte()
		if err != nil {
			return fr, err
		}
		if c == ' ' || c == '\n' {
			if digits == 0 || c == '\n' && n != 0 {
				return fr, errors.New("relp: bad data length")
			}
			if c == '\n' {
				return fr, nil
			}
			break
		}
		if c < '0' || c > '9' || digits > 9 {
			return fr, errors.New("relp: bad data length")
		}
		n = n*10 + int(c-'0')
	}
	if n > relpMaxData {
		return fr, fmt.Errorf("relp: frame of %d bytes", n)
	}
	if cap(*scratch) < n+1 {
		*scratch = make([]byte, n+1)
	}
	fr.data = (*scratch)[:n+1]
	if _, err := io.ReadFull(br, fr.data); err != nil {
		return fr, err
	}
	if fr.data[n] != '\n' {
		return fr, errors.New("relp: frame without its trailing LF")
	}
	fr.data = fr.data[:n]
	return fr, nil
}

func cmpErr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
