// Package forward sends prec records to a central syslog collector (rsyslog and the like): RFC 5424
// messages whose MSG is the record's JSON byte for byte, over TCP or TLS with octet-counting framing
// (RFC 6587, RFC 5425), or over RELP (plain or TLS) with a pipelined window of acknowledged frames.
//
// A Forwarder never blocks its caller: records are offered into a bounded queue, a goroutine (Run)
// connects, sends, reconnects with backoff and resends what may have been lost, and the caller reads
// back an acknowledgement cursor (Acked) it can persist. Delivery is at least once: readers drop the
// duplicates a resend makes, by record identity.
package forward

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Protocols.
const (
	TCP     = "tcp"
	TLS     = "tls"
	RELP    = "relp"
	RELPTLS = "relp+tls"
)

// Defaults for Config's zero values.
const (
	DefaultFacility     = "local0"
	DefaultMaxMessage   = 256 << 10 // the shipped collector's maxMessageSize
	DefaultResendWindow = 4096
	DefaultWindow       = 1024
	DefaultQueueSize    = 16384
	DefaultMaxBackoff   = 30 * time.Second
	minMaxMessage       = 2048
)

// Config says where and how records go. Zero values take the defaults above.
type Config struct {
	Protocol   string // TCP, TLS, RELP or RELPTLS
	Address    string // host:port of the collector
	CAFile     string // PEM CA certificates the collector's certificate must chain to; empty: the system's
	CertFile   string // PEM client certificate for mutual TLS (with KeyFile); empty: none
	KeyFile    string
	ServerName string // the name the collector's certificate must carry; empty: Address's host
	Hostname   string // RFC 5424 HOSTNAME (the collector names its per-host file after it); empty: os.Hostname
	Facility   string // syslog facility name (local0 .. local7, authpriv, daemon, ...); severity is info
	PID        int    // RFC 5424 PROCID; 0 sends "-"

	// MaxMessage caps a syslog message (header and JSON) in bytes; a longer record is shortened into
	// valid JSON and marked ("forward_truncated":true). Keep it at or below the collector's maxMessageSize.
	MaxMessage int
	// ResendWindow is how many of the latest delivered records are kept and sent again after a
	// reconnect, duplicates the readers drop: for tcp and tls the latest written (what the dead
	// connection's kernel buffers held is lost otherwise), for relp the latest acknowledged (rsyslog
	// acknowledges a record once it is in its memory queue, which a crash of the collector loses;
	// unacknowledged frames are always resent). Size it to what the collector may hold in memory.
	// Negative: none.
	ResendWindow int
	// Window (relp, relp+tls) is how many frames may await their acknowledgement.
	Window int
	// QueueSize is how many records Offer queues before it refuses more.
	QueueSize int
	// MaxBackoff caps the wait between reconnection attempts (100 ms, doubling).
	MaxBackoff time.Duration
	// Logger receives connection events; nil: none.
	Logger *slog.Logger
}

// Stats counts what a Forwarder did; see Forwarder.Stats.
type Stats struct {
	Queued     int    // records in the queue now
	Delivered  uint64 // records acknowledged (relp) or written (tcp, tls), resends not counted
	Dropped    uint64 // records Offer refused: the queue was full
	Resent     uint64 // frames sent again after a reconnect
	Shortened  uint64 // records shortened to fit MaxMessage
	Unsendable uint64 // records that could not be made to fit (not a JSON object); acknowledged unsent
	Connects   uint64 // sessions opened
	Connected  bool
	LastError  string // why the last session or connection attempt failed
}

type item struct {
	pos  uint64
	line []byte // the record as offered, until msg is built
	msg  []byte // the syslog message; nil once done: unsendable
	done bool   // msg was built
}

// Forwarder sends records to one collector. Offer, Send and Drain are for one feeding goroutine
// (positions must increase in the order records are offered); Acked and Stats are safe from any
// goroutine; Run runs once.
type Forwarder struct {
	cfg     Config
	log     *slog.Logger
	queue   chan item
	b       *builder
	started atomic.Bool

	mu      sync.Mutex
	acked   uint64        // everything up to here is delivered
	offered uint64        // the last position queued
	ackCh   chan struct{} // closed and replaced when acked moves
	lastErr string

	hist  ring        // the latest delivered records (Run's goroutine; in a RELP session, under relpState.mu)
	timer *time.Timer // next's (Run's goroutine only)

	delivered, dropped, resent, shortened, unsendable, connects atomic.Uint64
	connected                                                   atomic.Bool
}

// New checks cfg (protocol, address, facility, and that the TLS files load) and returns a Forwarder.
// Nothing is sent until Run.
func New(cfg Config) (*Forwarder, error) {
	switch cfg.Protocol {
	case TCP, TLS, RELP, RELPTLS:
	default:
		return nil, fmt.Errorf("forward: protocol %q: want tcp, tls, relp or relp+tls", cfg.Protocol)
	}
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, fmt.Errorf("forward: address: %w", err)
	}
	if cfg.Facility == "" {
		cfg.Facility = DefaultFacility
	}
	fac, ok := facilities[cfg.Facility]
	if !ok {
		return nil, fmt.Errorf("forward: unknown facility %q", cfg.Facility)
	}
	if cfg.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("forward: hostname: %w", err)
		}
		cfg.Hostname = h
	}
	if cfg.MaxMessage == 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.MaxMessage < minMaxMessage {
		return nil, fmt.Errorf("forward: max_message %d is below %d", cfg.MaxMessage, minMaxMessage)
	}
	if cfg.ResendWindow == 0 {
		cfg.ResendWindow = DefaultResendWindow
	}
	cfg.ResendWindow = max(cfg.ResendWindow, 0)
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.KeyFile != "" && cfg.CertFile == "" || cfg.CertFile != "" && cfg.KeyFile == "" {
		return nil, errors.New("forward: cert_file and key_file go together")
	}
	if cfg.Protocol == TLS || cfg.Protocol == RELPTLS {
		if _, err := tlsConfig(cfg); err != nil {
			return nil, err
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Forwarder{
		cfg: cfg, log: log,
		queue: make(chan item, cfg.QueueSize),
		b:     newBuilder(fac, cfg.Hostname, cfg.PID, cfg.MaxMessage),
		ackCh: make(chan struct{}),
	}, nil
}

// Offer queues the record line (its JSON, with or without the trailing newline; copied) at position
// pos, which must be above every position offered before. It never blocks: false means the queue
// is full and the record was not taken (the caller keeps it and offers it again later).
func (f *Forwarder) Offer(pos uint64, line []byte) bool {
	if len(f.queue) == cap(f.queue) { // only this goroutine adds: full stays full
		f.dropped.Add(1)
		return false
	}
	it := item{pos: pos, line: append([]byte(nil), line...)}
	select {
	case f.queue <- it:
		f.setOffered(pos)
		return true
	default:
		f.dropped.Add(1)
		return false
	}
}

// Send is Offer that waits for room in the queue until ctx is done (then it returns ctx's error).
func (f *Forwarder) Send(ctx context.Context, pos uint64, line []byte) error {
	it := item{pos: pos, line: append([]byte(nil), line...)}
	select {
	case f.queue <- it:
		f.setOffered(pos)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *Forwarder) setOffered(pos uint64) {
	f.mu.Lock()
	f.offered = pos
	f.mu.Unlock()
}

// Acked returns the position up to which every offered record is delivered: for relp and relp+tls
// the collector acknowledged it (it holds the record in its queue, not necessarily on disk); for tcp
// and tls its write returned (it may still be lost with the connection: ResendWindow covers that
// while the Forwarder runs). 0 before the first.
func (f *Forwarder) Acked() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acked
}

// Drain waits until every record offered so far is delivered (Acked reaches it), or ctx is done
// (then it returns ctx's error). Run must be running for it to return nil.
func (f *Forwarder) Drain(ctx context.Context) error {
	for {
		f.mu.Lock()
		ch, done := f.ackCh, f.acked >= f.offered
		f.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ack moves the cursor past n delivered records, in order, whose positions pos(0..n-1) gives;
// resent ones are not counted again.
func (f *Forwarder) ack(n int, pos func(i int) uint64) {
	if n == 0 {
		return
	}
	last := pos(n - 1)
	f.mu.Lock()
	fresh := 0
	for i := n - 1; i >= 0 && pos(i) > f.acked; i-- {
		fresh++
	}
	f.delivered.Add(uint64(fresh))
	if last > f.acked {
		f.acked = last
		close(f.ackCh)
		f.ackCh = make(chan struct{})
	}
	f.mu.Unlock()
}

// Stats returns the counters so far.
func (f *Forwarder) Stats() Stats {
	f.mu.Lock()
	last := f.lastErr
	f.mu.Unlock()
	return Stats{
		Queued: len(f.queue), Delivered: f.delivered.Load(), Dropped: f.dropped.Load(),
		Resent: f.resent.Load(), Shortened: f.shortened.Load(), Unsendable: f.unsendable.Load(),
		Connects: f.connects.Load(), Connected: f.connected.Load(), LastError: last,
	}
}

// Run connects to the collector and sends the queued records until ctx is done, reconnecting after
// a failure with a backoff from 100 ms doubling to MaxBackoff, and resending first what the lost
// session may not have delivered. On ctx's end it closes the session (RELP: with a close command,
// waiting up to 2 s for the collector's last acknowledgements) and returns nil once every goroutine
// it started has ended; records still queued stay unacknowledged. It returns an error only when
// called twice.
func (f *Forwarder) Run(ctx context.Context) error {
	if !f.started.CompareAndSwap(false, true) {
		return errors.New("forward: Run called twice")
	}
	var carry []item
	backoff := 100 * time.Millisecond
	for {
		start, before := time.Now(), f.delivered.Load()
		var err error
		carry, err = f.session(ctx, carry)
		f.connected.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("session ended")
		}
		f.mu.Lock()
		f.lastErr = err.Error()
		f.mu.Unlock()
		if f.delivered.Load() > before || time.Since(start) > f.cfg.MaxBackoff {
			backoff = 100 * time.Millisecond
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		f.log.Warn("forward: not connected", "address", f.cfg.Address, "err", err, "retry_in", wait.Round(time.Millisecond))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		backoff = min(backoff*2, f.cfg.MaxBackoff)
	}
}

// session dials, runs one session and returns what must be sent first on the next one.
func (f *Forwarder) session(ctx context.Context, carry []item) ([]item, error) {
	conn, err := f.dial(ctx)
	if err != nil {
		return carry, err
	}
	defer conn.Close()
	// On ctx's end, give a blocked write and a RELP close 2 s, then the session ends.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now().Add(2 * time.Second)) })
	defer stop()
	f.connects.Add(1)
	f.connected.Store(true)
	f.log.Info("forward: connected", "address", f.cfg.Address, "protocol", f.cfg.Protocol, "resending", len(carry))
	if f.cfg.Protocol == RELP || f.cfg.Protocol == RELPTLS {
		return f.relp(ctx, conn, carry)
	}
	return f.stream(ctx, conn, carry)
}

// build makes the record's syslog message, once.
func (f *Forwarder) build(it *item) {
	if it.done {
		return
	}
	msg, short := f.b.message(it.line)
	it.msg, it.line, it.done = msg, nil, true
	if short {
		f.shortened.Add(1)
	}
	if msg == nil {
		f.unsendable.Add(1)
	}
}

// next returns the next record to send: from carry first, else from the queue. The first record of
// a batch is waited for; later ones up to linger after the batch began, so that a steady stream
// goes out in few writes rather than one per record. ok is false when there is none, or dead or
// ctx ended the wait.
func (f *Forwarder) next(ctx context.Context, carry *[]item, began time.Time, dead <-chan struct{}) (it item, ok bool) {
	if len(*carry) > 0 {
		it = (*carry)[0]
		*carry = (*carry)[1:]
		f.resent.Add(1)
		return it, true
	}
	select {
	case it = <-f.queue:
		f.build(&it)
		return it, true
	default:
	}
	if began.IsZero() {
		select {
		case it = <-f.queue:
		case <-dead:
			return it, false
		case <-ctx.Done():
			return it, false
		}
		f.build(&it)
		return it, true
	}
	// Sleep out the rest of the linger rather than wake for every record that arrives in it.
	wait := linger - time.Since(began)
	if wait <= 0 {
		return it, false
	}
	if f.timer == nil {
		f.timer = time.NewTimer(wait)
	} else {
		f.timer.Reset(wait)
	}
	select {
	case <-f.timer.C:
	case <-dead:
		f.timer.Stop()
		return it, false
	case <-ctx.Done():
		f.timer.Stop()
		return it, false
	}
	select {
	case it = <-f.queue:
		f.build(&it)
		return it, true
	default:
		return it, false
	}
}

// linger is how long a batch waits for more records once it has one.
const linger = time.Millisecond

const batchBytes = 64 << 10

// stream runs a tcp or tls session: octet-counted frames written in batches. The collector never
// writes on it, so a read that returns means it went away.
func (f *Forwarder) stream(ctx context.Context, conn net.Conn, carry []item) ([]item, error) {
	dead := make(chan struct{})
	var readErr error
	go func() {
		defer close(dead)
		buf := make([]byte, 512)
		for {
			if _, err := conn.Read(buf); err != nil {
				readErr = err
				return
			}
		}
	}()
	defer func() { conn.Close(); <-dead }()

	// What was in flight when the last session died is resent from carry: hist is empty here.
	var batch []item
	buf := make([]byte, 0, 2*batchBytes)
	for {
		batch, buf = batch[:0], buf[:0]
		var began time.Time
		for len(buf) < batchBytes {
			it, ok := f.next(ctx, &carry, began, dead)
			if !ok {
				break
			}
			if began.IsZero() {
				began = time.Now()
			}
			batch = append(batch, it)
			if it.msg != nil {
				buf = appendOctetFrame(buf, it.msg)
			}
		}
		if len(batch) == 0 {
			select {
			case <-dead:
				if readErr == nil || readErr == io.EOF {
					readErr = errors.New("collector closed the connection")
				}
				return f.rewind(nil, carry), readErr
			default:
				return f.rewind(nil, carry), ctx.Err()
			}
		}
		conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := conn.Write(buf); err != nil {
			return f.rewind(batch, carry), fmt.Errorf("write: %w", err)
		}
		if f.cfg.ResendWindow > 0 {
			for _, it := range batch {
				if it.msg != nil {
					f.hist.push(it, f.cfg.ResendWindow)
				}
			}
		}
		f.ack(len(batch), func(i int) uint64 { return batch[i].pos })
	}
}

// rewind returns what the next tcp/tls session sends first: the resend window, the batch whose write
// failed, then what was still to be resent. The window empties: its records come back through it.
func (f *Forwarder) rewind(batch, carry []item) []item {
	out := f.hist.take()
	out = append(out, batch...)
	return append(out, carry...)
}

// ring keeps the latest records written.
type ring struct {
	buf  []item
	head int // index of the oldest
	n    int
}

func (r *ring) push(it item, size int) {
	if len(r.buf) < size {
		r.buf = append(r.buf, make([]item, size-len(r.buf))...)
	}
	if r.n < size {
		r.buf[(r.head+r.n)%size] = it
		r.n++
		return
	}
	r.buf[r.head] = it
	r.head = (r.head + 1) % size
}

// take empties the ring and returns its records, oldest first.
func (r *ring) take() []item {
	out := make([]item, 0, r.n)
	for i := range r.n {
		out = append(out, r.buf[(r.head+i)%len(r.buf)])
	}
	clear(r.buf)
	r.head, r.n = 0, 0
	return out
}
