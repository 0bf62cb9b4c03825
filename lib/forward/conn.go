package forward

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

const dialTimeout = 10 * time.Second

// tlsConfig loads the CA and client certificate files. They are read again at every connection, so
// renewed certificates are picked up without a restart.
func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.ServerName}
	if tc.ServerName == "" {
		tc.ServerName, _, _ = net.SplitHostPort(cfg.Address)
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("forward: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("forward: ca_file %s: no PEM certificate in it", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("forward: cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// dial opens a connection to the collector, TLS with the handshake done for tls and relp+tls.
func (f *Forwarder) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	d := net.Dialer{KeepAlive: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", f.cfg.Address)
	if err != nil {
		return nil, err
	}
	if f.cfg.Protocol != TLS && f.cfg.Protocol != RELPTLS {
		return conn, nil
	}
	tc, err := tlsConfig(f.cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	tconn := tls.Client(conn, tc)
	if err := tconn.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("tls handshake: %w", err)
	}
	if f.cfg.Protocol == TLS && tconn.ConnectionState().Version >= tls.VersionTLS13 {
		// In TLS 1.3 the client's handshake ends before the server has checked the client's
		// certificate: a collector that refuses it (permittedPeer) says so a round trip later.
		// Syslog has no acknowledgements, so wait for that here rather than count records
		// written into a refused session as delivered. (RELP's open answer does this for relp+tls.)
		tconn.SetReadDeadline(time.Now().Add(refusalWait))
		_, err := tconn.Read(make([]byte, 1))
		tconn.SetReadDeadline(time.Time{})
		if ne, ok := err.(net.Error); err == nil || !ok || !ne.Timeout() {
			conn.Close()
			return nil, fmt.Errorf("collector refused the session: %v", cmp.Or(err, errors.New("it wrote")))
		}
	}
	return tconn, nil
}

// refusalWait is how long a new TLS 1.3 syslog session waits for the collector to refuse it.
const refusalWait = 300 * time.Millisecond
