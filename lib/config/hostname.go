package config

// sanitizeHostname makes the machine's name a valid hostname: a byte outside printable ASCII or a
// space becomes '_'. (The kernel takes any 64 bytes; precd must still start.)
func sanitizeHostname(h string) string {
	b := []byte(h)
	for i, c := range b {
		if c <= ' ' || c > '~' {
			b[i] = '_'
		}
	}
	if len(b) > 255 {
		b = b[:255]
	}
	if len(b) == 0 {
		return "localhost"
	}
	return string(b)
}

// validHostname: a syslog HOSTNAME (RFC 5424), which the forwarder sends as it is.
func validHostname(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || h[i] > '~' {
			return false
		}
	}
	return true
}
