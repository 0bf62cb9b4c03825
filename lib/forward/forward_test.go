package forward

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// These tests drive the forwarder against small servers written here, which can misbehave on cue;
// collector_test.go runs it against a real rsyslogd.

func leakCheck(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		for deadline := time.Now().Add(3 * time.Second); runtime.NumGoroutine() > before; {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func fakeRecord(n int) []byte {
	return fmt.Appendf(nil, `{"timestamp":"2026-12-01T17:30:00.123456789Z","event_id":"x-%d","record_type":"start"}`, n)
}

func eventOf(t *testing.T, msg []byte) int {
	t.Helper()
	var n int
	i := len(msg) - len(`"x-"`)
	for ; i > 0 && msg[i] != '{'; i-- {
	}
	if _, err := fmt.Sscanf(string(msg[i:]), `{"timestamp":"2026-12-01T17:30:00.123456789Z","event_id":"x-%d"`, &n); err != nil {
		t.Fatalf("not a fake record: %q", msg)
	}
	return n
}

func run(t *testing.T, cfg Config) (*Forwarder, func()) {
	t.Helper()
	cfg.Hostname = "h"
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	return f, func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return")
		}
	}
}

func drain(t *testing.T, f *Forwarder, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := f.Drain(ctx); err != nil {
		t.Fatalf("drain: %v: acked %d, %+v", err, f.Acked(), f.Stats())
	}
}

// relpServer answers a RELP client: open, then the n-th syslog frame of a session (from 1) with
// answer(session, n) ("" for no answer); it reports each session's frames on the channel.
type relpEvent struct {
	session int
	cmd     string
	txnr    uint64
	event   int // the record's number, for syslog
}

func relpServer(t *testing.T, sessions int, answer func(session, n int) string, closeAfter func(session, n int) bool) (string, <-chan relpEvent) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan relpEvent, 10000)
	go func() {
		for s := 1; s <= sessions; s++ {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(conn)
			var scratch []byte
			for n := 0; ; {
				fr, err := readFrame(br, &scratch)
				if err != nil {
					break
				}
				ev := relpEvent{session: s, cmd: fr.cmd, txnr: fr.txnr}
				if fr.cmd == "syslog" {
					n++
					ev.event = eventOf(t, fr.data)
				}
				ch <- ev // before the answer: the test reads the channel once the client is done
				switch fr.cmd {
				case "open":
					data := "200 OK\nrelp_version=0\nrelp_software=fake\ncommands=syslog"
					fmt.Fprintf(conn, "%d rsp %d %s\n", fr.txnr, len(data), data)
				case "syslog":
					if a := answer(s, n); a != "" {
						fmt.Fprintf(conn, "%d rsp %d %s\n", fr.txnr, len(a), a)
					}
				case "close":
					fmt.Fprintf(conn, "%d rsp 0\n", fr.txnr)
				}
				if fr.cmd == "close" || closeAfter(s, n) {
					break
				}
			}
			conn.Close()
		}
	}()
	return l.Addr().String(), ch
}

// TestRELPWindowAndResend: the first session acknowledges 50 frames and then none, so the client
// stops at 50 + Window unacknowledged; the server hangs up; the second session starts again at
// txnr 2 with the resend window (the 10 latest acknowledged) and every unacknowledged record, in
// order, then all the rest; shutdown sends close. Every record is acknowledged once at the end.
func TestRELPWindowAndResend(t *testing.T) {
	leakCheck(t)
	const window, resend, total = 20, 10, 200
	stall := make(chan struct{})
	addr, events := relpServer(t, 2,
		func(s, n int) string {
			if s == 2 || n <= 50 {
				return "200 OK"
			}
			return ""
		},
		func(s, n int) bool {
			if s == 1 && n == 50+window {
				<-stall // the test has checked nothing more comes
				return true
			}
			return false
		})
	f, stop := run(t, Config{Protocol: RELP, Address: addr, Window: window, ResendWindow: resend, MaxBackoff: 200 * time.Millisecond})
	for i := 1; i <= total; i++ {
		if !f.Offer(uint64(i), fakeRecord(i)) {
			t.Fatal("queue full")
		}
	}
	var first []relpEvent
	for len(first) < 1+50+window {
		first = append(first, <-events)
	}
	select {
	case ev := <-events:
		t.Fatalf("frame beyond the window: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
	if f.Acked() != 50 {
		t.Errorf("acked %d after the first session's 50 acknowledgements", f.Acked())
	}
	close(stall)
	drain(t, f, 5*time.Second)
	stop()
	var second []relpEvent
	for len(events) > 0 {
		second = append(second, <-events)
	}
	if first[0].cmd != "open" || second[0].cmd != "open" || second[0].session != 2 || second[len(second)-1].cmd != "close" {
		t.Fatalf("sessions: first %+v, second starts %+v ends %+v", first[0], second[0], second[len(second)-1])
	}
	for i, ev := range first[1:] {
		if ev.cmd != "syslog" || ev.event != i+1 || ev.txnr != uint64(i+2) {
			t.Fatalf("first session frame %d: %+v", i, ev)
		}
	}
	syslog := second[1 : len(second)-1]
	if len(syslog) != total-50+resend {
		t.Fatalf("second session: %d frames, want %d", len(syslog), total-50+resend)
	}
	for i, ev := range syslog {
		if want := 50 - resend + 1 + i; ev.event != want || ev.txnr != uint64(i+2) {
			t.Fatalf("second session frame %d: record %d txnr %d, want record %d txnr %d", i, ev.event, ev.txnr, want, i+2)
		}
	}
	if s := f.Stats(); s.Delivered != total || s.Resent != resend+window || s.Connects != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestRELPRefusal: a frame answered with a code other than 200 ends the session; it and the ones
// after it are sent again on the next.
func TestRELPRefusal(t *testing.T) {
	leakCheck(t)
	addr, events := relpServer(t, 2, func(s, n int) string {
		if s == 1 && n == 3 {
			return "500 queue full"
		}
		return "200 OK"
	}, func(int, int) bool { return false })
	f, stop := run(t, Config{Protocol: RELP, Address: addr, ResendWindow: -1, MaxBackoff: 200 * time.Millisecond})
	for i := 1; i <= 10; i++ {
		f.Offer(uint64(i), fakeRecord(i))
	}
	drain(t, f, 5*time.Second)
	stop()
	got := map[int][]int{}
	for len(events) > 0 {
		if ev := <-events; ev.cmd == "syslog" {
			got[ev.session] = append(got[ev.session], ev.event)
		}
	}
	if len(got[2]) == 0 || got[2][0] != 3 || got[2][len(got[2])-1] != 10 || len(got[2]) != 8 {
		t.Errorf("second session sent %v, want 3..10", got[2])
	}
	if s := f.Stats(); s.Delivered != 10 || s.Connects != 2 || s.LastError == "" {
		t.Errorf("stats %+v", s)
	}
}

// tcpServer reads octet-counted frames; its first session hangs up after n frames, unread data left
// in its socket (the peer's kernel answers with a reset).
func tcpServer(t *testing.T, n int) (string, <-chan [2]int) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan [2]int, 10000) // session, record
	go func() {
		for s := 1; ; s++ {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(conn)
			for k := 0; s > 1 || k < n; k++ {
				lenText, err := br.ReadString(' ')
				if err != nil {
					break
				}
				size, err := strconv.Atoi(lenText[:len(lenText)-1])
				if err != nil {
					t.Errorf("bad frame length %q", lenText)
					break
				}
				msg := make([]byte, size)
				if _, err := io.ReadFull(br, msg); err != nil {
					break
				}
				ch <- [2]int{s, eventOf(t, msg)}
			}
			conn.Close()
		}
	}()
	return l.Addr().String(), ch
}

// TestStreamResend: the collector reads 30 records and hangs up with the rest unread; the next
// session starts with the resend window, which holds every record, so none is missing.
func TestStreamResend(t *testing.T) {
	leakCheck(t)
	addr, events := tcpServer(t, 30)
	f, stop := run(t, Config{Protocol: TCP, Address: addr, ResendWindow: 100, MaxBackoff: 200 * time.Millisecond})
	for i := 1; i <= 100; i++ {
		f.Offer(uint64(i), fakeRecord(i))
	}
	drain(t, f, 5*time.Second)
	deadline := time.After(5 * time.Second)
	got := map[int][]int{}
	for len(got[2]) < 100 {
		select {
		case ev := <-events:
			got[ev[0]] = append(got[ev[0]], ev[1])
		case <-deadline:
			t.Fatalf("second session got %d records: %v (%+v)", len(got[2]), got[2], f.Stats())
		}
	}
	stop()
	if len(got[1]) != 30 {
		t.Errorf("first session: %d records", len(got[1]))
	}
	for i, n := range got[2] {
		if n != i+1 {
			t.Fatalf("second session: record %d at %d: %v", n, i, got[2])
		}
	}
	if s := f.Stats(); s.Delivered != 100 || s.Connects != 2 || s.Resent != 100 {
		t.Errorf("stats %+v", s)
	}
}

// TestRunEndsWhileUnreachable: Run returns at once when its context ends during the backoff.
func TestRunEndsWhileUnreachable(t *testing.T) {
	leakCheck(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	f, stop := run(t, Config{Protocol: RELPTLS, Address: addr})
	f.Offer(1, fakeRecord(1))
	time.Sleep(300 * time.Millisecond)
	t0 := time.Now()
	stop()
	if d := time.Since(t0); d > time.Second {
		t.Errorf("Run took %v to return", d)
	}
	if s := f.Stats(); s.Connects != 0 || s.LastError == "" || f.Acked() != 0 {
		t.Errorf("stats %+v", s)
	}
}
