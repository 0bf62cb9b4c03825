// Package rsyslogtest runs a real rsyslogd on loopback with the shipped collector configuration
// (packaging/collector/rsyslog.conf, its paths and ports rewritten to a temporary directory), for the
// forwarder's tests and benchmark: certificates made on the fly, start, SIGTERM, SIGKILL, restart,
// and the records each host's files hold.
package rsyslogtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Packages is what provides rsyslogd and the modules the collector loads.
const Packages = "rsyslog rsyslog-gnutls rsyslog-relp"

// Missing returns why no collector can run here ("" when one can): rsyslogd, its gtls driver or
// imrelp is not installed.
func Missing() string {
	if _, err := rsyslogd(); err != nil {
		return "no rsyslogd (apt-get install " + Packages + ")"
	}
	for _, m := range []string{"lmnsd_gtls.so", "imrelp.so", "imtcp.so"} {
		if g, _ := filepath.Glob("/usr/lib/*/rsyslog/" + m); len(g) == 0 {
			if g, _ = filepath.Glob("/usr/lib/rsyslog/" + m); len(g) == 0 {
				return "no rsyslog module " + m + " (apt-get install " + Packages + ")"
			}
		}
	}
	return ""
}

func rsyslogd() (string, error) {
	if p, err := exec.LookPath("rsyslogd"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/rsyslogd"); err != nil {
		return "", err
	}
	return "/usr/sbin/rsyslogd", nil
}

// Client is a client certificate and key the collector accepts, with the CA that signed its
// certificate.
type Client struct{ CA, Cert, Key string }

// The name the collector's certificate carries, and the client's (the shipped permittedPeer is
// *.hosts.example).
const (
	ServerName   = "collector.test"
	ClientName   = "host1.hosts.example"
	StrangerName = "host1.elsewhere.example"
)

// Collector is one rsyslogd instance under Dir. Its ports stay the same across restarts.
type Collector struct {
	Dir    string
	Client Client
	// Stranger is signed by the same CA but named outside permittedPeer (StrangerName).
	Stranger Client
	ports    map[string]int // protocol -> port
	conf     string
	cmd      *exec.Cmd
	exited   chan struct{}
	stderr   *bytes.Buffer
}

// Start writes certificates and the rewritten shipped configuration under dir (which must exist),
// checks it with rsyslogd -N1 and starts rsyslogd, returning when every input listens. Stop or
// Kill it when done.
func Start(dir string) (*Collector, error) {
	shipped, err := Shipped()
	if err != nil {
		return nil, err
	}
	c := &Collector{Dir: dir, ports: map[string]int{}}
	for _, d := range []string{"certs", "work", "fleet"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return nil, err
		}
	}
	if c.Client, c.Stranger, err = makeCerts(filepath.Join(dir, "certs")); err != nil {
		return nil, err
	}
	for _, p := range []string{"tcp", "tls", "relp", "relp+tls"} {
		if c.ports[p], err = freePort(); err != nil {
			return nil, err
		}
	}
	conf, err := Rewrite(shipped, dir, c.ports)
	if err != nil {
		return nil, err
	}
	c.conf = filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(c.conf, conf, 0o640); err != nil {
		return nil, err
	}
	bin, err := rsyslogd()
	if err != nil {
		return nil, err
	}
	if out, err := exec.Command(bin, "-N1", "-f", c.conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("rsyslogd -N1: %v: %s", err, out)
	}
	return c, c.Restart()
}

// Shipped returns packaging/collector/rsyslog.conf, found by walking up from the working directory to
// the module's root.
func Shipped() ([]byte, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.ReadFile(filepath.Join(dir, "packaging", "collector", "rsyslog.conf"))
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil, errors.New("rsyslogtest: no go.mod above the working directory")
		}
		dir = up
	}
}

// Rewrite adapts the shipped configuration to a test under dir: its directories under dir, the
// inputs on 127.0.0.1 at ports (keys tcp, tls, relp, relp+tls), the commented plain inputs enabled,
// and rsyslog's own messages into dir/rsyslogd.log. Every pattern it replaces must be in shipped
// exactly as often as expected, so that the file tested is the file shipped.
func Rewrite(shipped []byte, dir string, ports map[string]int) ([]byte, error) {
	s := string(shipped)
	for _, r := range []struct {
		old, new string
		n        int
	}{
		{`workDirectory="/var/lib/prec-collector"`, `workDirectory="` + dir + `/work"`, 1},
		{`"/var/log/prec-fleet/`, `"` + dir + `/fleet/`, 1},
		{`"/etc/prec-collector/`, `"` + dir + `/certs/`, 6},
		{"\n#input(", "\ninput(", 2},
		{` port="514" `, fmt.Sprintf(` address="127.0.0.1" port="%d" `, ports["tcp"]), 1},
		{` port="6514" `, fmt.Sprintf(` address="127.0.0.1" port="%d" `, ports["tls"]), 1},
		{` port="20514" `, fmt.Sprintf(` address="127.0.0.1" port="%d" `, ports["relp"]), 1},
		{` port="2514" `, fmt.Sprintf(` address="127.0.0.1" port="%d" `, ports["relp+tls"]), 1},
	} {
		if got := strings.Count(s, r.old); got != r.n {
			return nil, fmt.Errorf("rsyslogtest: shipped configuration has %q %d times, want %d", r.old, got, r.n)
		}
		s = strings.ReplaceAll(s, r.old, r.new)
	}
	s = `global(processInternalMessages="on")` + "\n" + s +
		"\n*.* action(type=\"omfile\" file=\"" + dir + "/rsyslogd.log\")\n"
	return []byte(s), nil
}

// Addr returns the address of the input for protocol (tcp, tls, relp, relp+tls).
func (c *Collector) Addr(protocol string) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.ports[protocol]))
}

// Restart starts rsyslogd again (after Stop or Kill) on the same configuration and ports, and waits
// until every input listens.
func (c *Collector) Restart() error {
	bin, err := rsyslogd()
	if err != nil {
		return err
	}
	pid := filepath.Join(c.Dir, "rsyslogd.pid")
	os.Remove(pid) // a SIGKILL leaves it
	c.stderr = &bytes.Buffer{}
	c.cmd = exec.Command(bin, "-n", "-f", c.conf, "-i", pid)
	c.cmd.Stdout, c.cmd.Stderr = c.stderr, c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		return err
	}
	c.exited = make(chan struct{})
	go func() { c.cmd.Wait(); close(c.exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		waiting := 0
		for _, p := range c.ports {
			if !listening(p) {
				waiting++
			}
		}
		if waiting == 0 {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("rsyslogd exited at start: %s: %s", c.cmd.ProcessState, c.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Kill()
			return fmt.Errorf("rsyslogd: %d inputs not listening after 15 s: %s", waiting, c.stderr)
		}
	}
}

// Stop ends rsyslogd with SIGTERM (SIGKILL after 10 s) and waits for it.
func (c *Collector) Stop() error {
	if c.cmd == nil {
		return nil
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
	c.cmd = nil
	return nil
}

// Finish stops rsyslogd once it has written everything it took: it waits until rsyslogd has used no
// CPU for half a second (its queue is empty), then stops it; if it still saved queued records to
// its work directory on the way out (queue.saveOnShutdown), it starts it again to write them and
// repeats. Read the files after it.
func (c *Collector) Finish() error {
	for try := 0; ; try++ {
		c.idle(30 * time.Second)
		if err := c.Stop(); err != nil {
			return err
		}
		saved, _ := filepath.Glob(filepath.Join(c.Dir, "work", "prec*.qi"))
		if len(saved) == 0 {
			return nil
		}
		if try == 3 {
			return fmt.Errorf("rsyslogd still saves its queue at shutdown: %v", saved)
		}
		if err := c.Restart(); err != nil {
			return err
		}
	}
}

func (c *Collector) idle(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	last := c.CPU()
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		now := c.CPU()
		if now == last {
			return
		}
		last = now
	}
}

// Kill ends rsyslogd with SIGKILL and waits for it.
func (c *Collector) Kill() {
	if c.cmd == nil {
		return
	}
	c.cmd.Process.Kill()
	<-c.exited
	c.cmd = nil
}

// CPU returns the CPU time rsyslogd has used so far (all its threads), 0 when it is not running.
func (c *Collector) CPU() time.Duration {
	if c.cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis: state is 3rd, utime 14th, stime 15th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / 100 // USER_HZ
}

// Log returns rsyslogd's stderr and its own messages, for a failing test to show.
func (c *Collector) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, "rsyslogd.log"))
	return c.stderr.String() + string(b)
}

// Lines returns the lines written for host, oldest file first, each without its newline. A file
// is a sequence of zstd frames, one per flush; a SIGKILL tears the last one and the restarted
// rsyslogd appends new frames after it: the complete lines of a torn frame are kept, its partial
// last line dropped, and decoding goes on at the next frame. Read the files after Stop for all of
// them: a running rsyslogd may hold the end of its last transaction in the compressor.
func (c *Collector) Lines(host string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(c.Dir, "fleet", host, "*.jsonl.zst"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	var lines [][]byte
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		for _, data := range frames(dec, b) {
			for len(data) > 0 {
				i := bytes.IndexByte(data, '\n')
				lines = append(lines, data[:i])
				data = data[i+1:]
			}
		}
	}
	return lines, nil
}

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// frames decodes b, a run of zstd frames some of which may be torn, into pieces that each end in a
// newline. It cuts b at every zstd magic and decodes from one cut to the next, widening a piece
// that fails to decode to the next cut (a magic inside compressed data) before giving up on it and
// keeping its complete lines.
func frames(dec *zstd.Decoder, b []byte) [][]byte {
	var cuts []int
	for i := 0; ; {
		j := bytes.Index(b[i:], zstdMagic)
		if j < 0 {
			break
		}
		cuts = append(cuts, i+j)
		i += j + 1
	}
	cuts = append(cuts, len(b))
	var out [][]byte
	for k := 0; k+1 < len(cuts); {
		var data []byte
		next := k + 1
		for ; next < len(cuts); next++ {
			d, err := dec.DecodeAll(b[cuts[k]:cuts[next]], nil)
			if err == nil {
				data = d
				break
			}
			if next == k+1 || len(d) > len(data) {
				data = d
			}
			if next == len(cuts)-1 || next > k+4 {
				next = k + 1 // torn for good: keep what decoded, go on at the next cut
				break
			}
		}
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			out = append(out, data[:i+1])
		}
		k = next
	}
	return out
}

// Wait polls Lines(host) until it holds at least n lines or timeout passes, and returns the last.
func (c *Collector) Wait(host string, n int, timeout time.Duration) ([][]byte, error) {
	deadline := time.Now().Add(timeout)
	for {
		lines, err := c.Lines(host)
		if err != nil || len(lines) >= n || time.Now().After(deadline) {
			return lines, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// listening reports whether something listens on 127.0.0.1:port, from /proc/net/tcp (a probe
// connection would make rsyslog's TLS inputs log errors).
func listening(port int) bool {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 3 && f[1] == want && f[3] == "0A" {
			return true
		}
	}
	return false
}

// makeCerts writes a P-256 CA (ca.pem), the collector's certificate (collector.pem, collector.key:
// IP 127.0.0.1 and ServerName, serverAuth), a client's (client.pem, client.key: ClientName,
// clientAuth) and a stranger's (stranger.pem, stranger.key: StrangerName) into dir.
func makeCerts(dir string) (client, stranger Client, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return client, stranger, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "prec test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return client, stranger, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return client, stranger, err
	}
	if err := writePEM(filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER); err != nil {
		return client, stranger, err
	}
	leaf := func(name, cn string, serial int64, ips []net.IP, usage x509.ExtKeyUsage) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn}, IPAddresses: ips,
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, name+".pem"), "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(filepath.Join(dir, name+".key"), "EC PRIVATE KEY", kder)
	}
	if err := leaf("collector", ServerName, 2, []net.IP{net.IPv4(127, 0, 0, 1)}, x509.ExtKeyUsageServerAuth); err != nil {
		return client, stranger, err
	}
	if err := leaf("client", ClientName, 3, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return client, stranger, err
	}
	if err := leaf("stranger", StrangerName, 4, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return client, stranger, err
	}
	at := func(name string) Client {
		return Client{CA: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, name+".pem"), Key: filepath.Join(dir, name+".key")}
	}
	return at("client"), at("stranger"), nil
}

func writePEM(name, typ string, der []byte) error {
	return os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}
