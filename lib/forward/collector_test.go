package forward_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prec-dev/prec/lib/forward"
	"github.com/prec-dev/prec/lib/forward/rsyslogtest"
	"github.com/prec-dev/prec/lib/record"
)

var protocols = []string{forward.TCP, forward.TLS, forward.RELP, forward.RELPTLS}

// collector starts a real rsyslogd with the shipped configuration, or skips (outside CI) when it
// is not installed.
func collector(t *testing.T) *rsyslogtest.Collector {
	t.Helper()
	if why := rsyslogtest.Missing(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("forward: %s", why)
		}
		t.Skipf("forward: %s", why)
	}
	c, err := rsyslogtest.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop()
		if t.Failed() {
			t.Logf("rsyslogd's messages:\n%s", c.Log())
		}
	})
	return c
}

// running is a Forwarder whose Run goroutine the test started.
type running struct {
	*forward.Forwarder
	host   string
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, c *rsyslogtest.Collector, protocol, host string, tune func(*forward.Config)) *running {
	t.Helper()
	cfg := forward.Config{Protocol: protocol, Address: c.Addr(protocol), Hostname: host, PID: 4242, MaxBackoff: 2 * time.Second}
	if protocol == forward.TLS || protocol == forward.RELPTLS {
		cfg.CAFile, cfg.CertFile, cfg.KeyFile, cfg.ServerName = c.Client.CA, c.Client.Cert, c.Client.Key, rsyslogtest.ServerName
	}
	if tune != nil {
		tune(&cfg)
	}
	f, err := forward.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Forwarder: f, host: host, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- f.Run(ctx) }()
	return r
}

// stop drains r (up to timeout), then ends Run and checks it returned.
func (r *running) stop(t *testing.T, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := r.Drain(ctx); err != nil {
		t.Errorf("%s: drain: %v (acked %d, %+v)", r.host, err, r.Acked(), r.Stats())
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("%s: Run: %v", r.host, err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("%s: Run did not return 5 s after its context ended", r.host)
	}
}

// noLeak fails the test if goroutines started after it remain when the test ends.
func noLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Errorf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

var odd = []string{
	`"quoted"`, `back\slash`, "nul\x00", "esc\x1b[1m", "tab\tnl\nrn\r\n", "bell\a", "del\x7f",
	"é", "日本語", "emoji 🙂", "\u2028\u2029", "invalid \xff\xfe utf-8", "<&>", " lead and trail ", "%msg%",
	"#012", "#011", "'single'", "$(echo x)", "\x1f\x01",
}

// rec is a precd start record (its JSON as precd writes it) whose event_id carries the test's marker
// and the record's number.
func rec(marker string, n, argBytes int) []byte {
	argv := []string{"/bin/cmd", odd[n%len(odd)], fmt.Sprintf("n=%d", n)}
	if argBytes > 0 {
		var sb strings.Builder
		for i := 0; sb.Len() < argBytes; i++ {
			sb.WriteString(odd[i%len(odd)])
		}
		argv = append(argv, sb.String())
	}
	ts := "2026-12-01T17:30:00.123456789Z"
	if n%2 == 1 {
		ts = "2026-12-02T02:30:00.000001+09:00" // precd writes its time zone's offset
	}
	r := record.Start{
		Timestamp: ts, EventID: fmt.Sprintf("%s-%d", marker, n),
		UID: 1000, GID: 1000, User: "u", Group: "g", PID: uint32(1000 + n), PPID: 1, Comm: "cmd",
		Exe: "/bin/cmd", Cwd: "/tmp/" + odd[(n+3)%len(odd)], Argv: argv, Argc: len(argv),
		Source: "user", RecordType: "start",
	}
	return r.AppendJSON(nil)
}

func eventID(t *testing.T, line []byte) string {
	v, _ := record.NewView("event_id")
	if err := v.Load(line); err != nil {
		t.Fatalf("collector line is not a record: %v: %.200q", err, line)
	}
	return v.String(v.Col("event_id"))
}

// TestCollectorBytes sends ordinary, 100 KiB and odd records over every protocol to the shipped
// collector and compares its files with what was sent, byte for byte; a record above max_message
// arrives shortened, valid and marked. (The files are read once rsyslogd has stopped: its zstd
// output may keep the end of the last transaction in the compressor until the next one or the close.)
func TestCollectorBytes(t *testing.T) {
	c := collector(t)
	noLeak(t)
	want := map[string][][]byte{}
	for _, p := range protocols {
		host := "bytes-" + strings.ReplaceAll(p, "+", "-")
		r := start(t, c, p, host, nil)
		for n := range 300 {
			size := 0
			if n%50 == 7 {
				size = 100 << 10
			}
			line := rec(host, n, size)
			want[p] = append(want[p], line)
			if !r.Offer(uint64(n+1), append(line, '\n')) {
				t.Fatal("queue full")
			}
		}
		r.Offer(301, rec(host, 300, 400<<10)) // above max_message (256 KiB)
		r.stop(t, 20*time.Second)
		if s := r.Stats(); s.Delivered != 301 || s.Shortened != 1 || s.Dropped != 0 || s.Connects != 1 {
			t.Errorf("%s: stats %+v", p, s)
		}
	}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, p := range protocols {
		host := "bytes-" + strings.ReplaceAll(p, "+", "-")
		got, err := c.Lines(host)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want[p])+1 {
			t.Errorf("%s: collector has %d lines, want %d", p, len(got), len(want[p])+1)
			continue
		}
		for i := range want[p] {
			if !bytes.Equal(got[i], want[p][i]) {
				t.Errorf("%s: line %d differs:\n got %.300q\nwant %.300q", p, i, got[i], want[p][i])
			}
		}
		last := got[len(want[p])]
		var m map[string]any
		if err := json.Unmarshal(last, &m); err != nil {
			t.Errorf("%s: shortened record is not JSON: %v", p, err)
			continue
		}
		if len(last) >= forward.DefaultMaxMessage || len(last) < forward.DefaultMaxMessage-1024 || m["forward_truncated"] != true ||
			m["argv_truncated"] != true || m["event_id"] != host+"-300" || m["argc"] != float64(4) {
			t.Errorf("%s: shortened record: %d bytes, forward_truncated %v argv_truncated %v event_id %v argc %v",
				p, len(last), m["forward_truncated"], m["argv_truncated"], m["event_id"], m["argc"])
		}
		t.Logf("%s: %d records (6 of 100 KiB) byte-identical, 1 of 400 KiB shortened to %d bytes", p, len(want[p]), len(last))
	}
}

// count dedupes the collector's lines for host (read after rsyslogd stopped) by event_id, checks each is byte-identical to the
// record sent, and returns how many records are missing and how many lines were duplicates.
func count(t *testing.T, c *rsyslogtest.Collector, host string, sent map[string][]byte) (missing, dups int) {
	t.Helper()
	got, err := c.Lines(host)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range got {
		id := eventID(t, line)
		want, ok := sent[id]
		if !ok || !bytes.Equal(line, want) {
			t.Fatalf("collector line %q is not a record sent", id)
		}
		if seen[id] {
			dups++
		}
		seen[id] = true
	}
	if missing = len(sent) - len(seen); missing > 0 {
		var ids []string
		for id := range sent {
			if !seen[id] {
				ids = append(ids, id)
			}
		}
		slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(len(a), len(b))*2 + cmp.Compare(a, b) })
		t.Logf("%s: missing %d records, the first %q, the last %q", host, missing, ids[0], ids[len(ids)-1])
	}
	return missing, dups
}

// stream offers n records at about rate per second, calling at(i) before record i, and returns them
// by event_id.
func stream(t *testing.T, r *running, n, rate int, at func(i int)) map[string][]byte {
	sent := map[string][]byte{}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	per := max(rate/1000, 1)
	for i := 0; i < n; {
		<-tick.C
		for j := 0; j < per && i < n; j++ {
			at(i)
			line := rec(r.host, i, 0)
			sent[r.host+"-"+fmt.Sprint(i)] = line
			if err := r.Send(context.Background(), uint64(i+1), line); err != nil {
				t.Error(err) // not Fatal: stream runs in a goroutine of its own
				return sent
			}
			i++
		}
	}
	return sent
}

// TestCollectorKill kills the collector with SIGKILL in the middle of a 20,000-record stream and
// restarts it: after dedupe, every record is there, for every protocol (tcp and tls through the
// resend window).
func TestCollectorKill(t *testing.T) {
	c := collector(t)
	noLeak(t)
	runs := map[string]*running{}
	for _, p := range protocols {
		runs[p] = start(t, c, p, "kill-"+strings.ReplaceAll(p, "+", "-"), nil)
	}
	// The four streams run at once, 5,000 records/s each, so the kill hits all of them.
	type result struct {
		p    string
		sent map[string][]byte
	}
	done := make(chan result)
	for _, p := range protocols {
		go func() {
			done <- result{p, stream(t, runs[p], 20000, 5000, func(i int) {
				if p == forward.TCP && i == 8000 {
					c.Kill()
					if err := c.Restart(); err != nil {
						t.Error(err)
					}
				}
			})}
		}()
	}
	sent := map[string]map[string][]byte{}
	for range protocols {
		r := <-done
		sent[r.p] = r.sent
	}
	for _, p := range protocols {
		runs[p].stop(t, 60*time.Second)
	}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, p := range protocols {
		r := runs[p]
		missing, dups := count(t, c, r.host, sent[p])
		s := r.Stats()
		t.Logf("%s: 20000 sent, %d missing, %d duplicates, %d resent, %d sessions", p, missing, dups, s.Resent, s.Connects)
		if missing != 0 {
			t.Errorf("%s: %d records missing after the collector's SIGKILL", p, missing)
		}
		if s.Connects < 2 {
			t.Errorf("%s: %d sessions: the kill did not cut this stream", p, s.Connects)
		}
	}
}

// TestCollectorDown stops the collector for 10 s while records keep coming (1,000/s), then starts it
// again: everything queued meanwhile is delivered, none missing.
func TestCollectorDown(t *testing.T) {
	c := collector(t)
	noLeak(t)
	ps := []string{forward.TLS, forward.RELPTLS}
	runs := map[string]*running{}
	for _, p := range ps {
		runs[p] = start(t, c, p, "down-"+strings.ReplaceAll(p, "+", "-"), func(cfg *forward.Config) {
			cfg.MaxBackoff = forward.DefaultMaxBackoff
		})
	}
	type result struct {
		p    string
		sent map[string][]byte
	}
	done := make(chan result)
	for _, p := range ps {
		go func() {
			done <- result{p, stream(t, runs[p], 13000, 1000, func(i int) {
				if p == forward.TLS && i == 1000 {
					if err := c.Stop(); err != nil {
						t.Error(err)
					}
				}
				if p == forward.TLS && i == 11000 {
					if err := c.Restart(); err != nil {
						t.Error(err)
					}
				}
			})}
		}()
	}
	sent := map[string]map[string][]byte{}
	for range ps {
		r := <-done
		sent[r.p] = r.sent
	}
	for _, p := range ps {
		runs[p].stop(t, 60*time.Second)
	}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		r := runs[p]
		missing, dups := count(t, c, r.host, sent[p])
		t.Logf("%s: 13000 sent, collector down ~10 s: %d missing, %d duplicates, %+v", p, missing, dups, r.Stats())
		if missing != 0 {
			t.Errorf("%s: %d records missing", p, missing)
		}
	}
}

// TestCollectorRefusesStrangers: the shipped permittedPeer turns away a host whose certificate, from
// the same CA, bears another name, and one with no certificate: nothing of theirs reaches a file,
// and nothing is counted as delivered (tls: the forwarder waits for the refusal TLS 1.3 sends late).
func TestCollectorRefusesStrangers(t *testing.T) {
	c := collector(t)
	noLeak(t)
	var runs []*running
	for _, p := range []string{forward.TLS, forward.RELPTLS} {
		for _, who := range []string{"stranger", "anonymous"} {
			host := who + "-" + strings.ReplaceAll(p, "+", "-")
			runs = append(runs, start(t, c, p, host, func(cfg *forward.Config) {
				cfg.CertFile, cfg.KeyFile = "", ""
				if who == "stranger" {
					cfg.CertFile, cfg.KeyFile = c.Stranger.Cert, c.Stranger.Key
				}
			}))
			for i := range 100 {
				runs[len(runs)-1].Offer(uint64(i+1), rec(host, i, 0))
			}
		}
	}
	time.Sleep(3 * time.Second)
	for _, r := range runs {
		if r.Acked() != 0 {
			t.Errorf("%s: %d records acknowledged", r.host, r.Acked())
		}
		if s := r.Stats(); s.LastError == "" {
			t.Errorf("%s: no error: %+v", r.host, s)
		}
		r.cancel()
		<-r.done
	}
	if err := c.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if lines, _ := c.Lines(r.host); len(lines) != 0 {
			t.Errorf("%s: the collector wrote %d of its records", r.host, len(lines))
		}
		t.Logf("%s: refused: %s", r.host, r.Stats().LastError)
	}
}

// TestOfferNeverBlocks: with no collector at all, Offer takes QueueSize records and refuses the next
// at once, counting it.
func TestOfferNeverBlocks(t *testing.T) {
	f, err := forward.New(forward.Config{Protocol: forward.RELP, Address: "127.0.0.1:1", Hostname: "h", QueueSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if !f.Offer(uint64(i+1), []byte(`{}`)) {
			t.Fatalf("record %d refused", i+1)
		}
	}
	if f.Offer(11, []byte(`{}`)) {
		t.Fatal("11th record queued into a queue of 10")
	}
	if s := f.Stats(); s.Dropped != 1 || s.Queued != 10 || f.Acked() != 0 {
		t.Errorf("stats %+v, acked %d", s, f.Acked())
	}
}

func TestNewRejects(t *testing.T) {
	for _, cfg := range []forward.Config{
		{Protocol: "udp", Address: "h:1"},
		{Protocol: "tcp", Address: "nohost"},
		{Protocol: "tcp", Address: "h:1", Facility: "local9"},
		{Protocol: "tcp", Address: "h:1", MaxMessage: 100},
		{Protocol: "tls", Address: "h:1", CAFile: "/nonexistent"},
		{Protocol: "tls", Address: "h:1", CertFile: "/x"},
	} {
		if _, err := forward.New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
