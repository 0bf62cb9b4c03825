package forward

import (
	"bytes"
	"strconv"

	"github.com/prec-dev/prec/lib/record"
)

// Syslog facility codes (RFC 5424 §6.2.1) that Config.Facility may name.
var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

const severityInfo = 6

// builder turns a record's JSON into an RFC 5424 message:
//
//	<PRI>1 TIMESTAMP HOSTNAME precd PROCID MSGID - JSON
//
// PRI is facility*8+info, TIMESTAMP the record's own timestamp cut to microseconds (RFC 5424 allows
// at most six fraction digits), MSGID the record_type, no structured data, no BOM, and MSG the
// record's bytes unchanged unless they do not fit in max (then see shorten). A builder is used by
// one goroutine.
type builder struct {
	prefix []byte // "<PRI>1 "
	host   []byte // " HOSTNAME precd PROCID "
	max    int
	view   *record.View
	ts, rt record.Col
}

func newBuilder(facility int, hostname string, pid, max int) *builder {
	view, err := record.NewView("timestamp", "record_type")
	if err != nil {
		panic(err) // both are fields of the table
	}
	b := &builder{max: max, view: view, ts: view.Col("timestamp"), rt: view.Col("record_type")}
	b.prefix = strconv.AppendInt([]byte{'<'}, int64(facility*8+severityInfo), 10)
	b.prefix = append(b.prefix, ">1 "...)
	procID := "-"
	if pid > 0 {
		procID = strconv.Itoa(pid)
	}
	b.host = []byte(" " + printable(hostname, 255) + " precd " + procID + " ")
	return b
}

// message returns the syslog message (without framing) for one record line; a trailing newline of
// line is not part of it. shortened says the JSON was shortened to fit; a nil message means the
// record could not be made to fit (or is not a JSON object and too long) and is not sent.
func (b *builder) message(line []byte) (msg []byte, shortened bool) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	ts, typ := []byte("-"), []byte("-")
	rawTS, rawType := fields(line)
	if rawTS == nil && rawType == nil && b.view.Load(line) == nil {
		rawTS, rawType = b.view.Raw(b.ts), b.view.Raw(b.rt)
	}
	if t := timestamp(rawTS); t != nil {
		ts = t
	}
	if s, err := record.String(rawType); err == nil && s != "" {
		typ = []byte(printable(s, 32))
	}
	hlen := len(b.prefix) + len(ts) + len(b.host) + len(typ) + len(" - ")
	if hlen+len(line) > b.max {
		line = shorten(line, b.max-hlen)
		if line == nil {
			return nil, false
		}
		shortened = true
	}
	msg = make([]byte, 0, hlen+len(line))
	msg = append(msg, b.prefix...)
	msg = append(msg, ts...)
	msg = append(msg, b.host...)
	msg = append(msg, typ...)
	msg = append(msg, " - "...)
	return append(msg, line...), shortened
}

// fields finds the raw timestamp and record_type values the quick way, in a record as precd writes
// it: timestamp first, record_type a plain string further on. The pattern "record_type":" cannot
// occur inside a string value (its quotes would be escaped), and prec records have no nested
// objects. Both nil: not such a record, use the Finder.
func fields(line []byte) (ts, typ []byte) {
	const head, key = `{"timestamp":"`, `"record_type":"`
	if !bytes.HasPrefix(line, []byte(head)) {
		return nil, nil
	}
	end := bytes.IndexByte(line[len(head):], '"')
	if end < 0 {
		return nil, nil
	}
	ts = line[len(head)-1 : len(head)+end+1]
	if bytes.IndexByte(ts, '\\') >= 0 {
		return nil, nil
	}
	rest := line[len(head)+end+1:]
	// bytes.Index is slow for a 15-byte pattern; the '_' in it is rare in records: look for that.
	i := -1
	for from := 0; ; {
		j := bytes.IndexByte(rest[from:], '_')
		if j < 0 {
			return nil, nil
		}
		j += from
		if j >= 7 && len(rest)-j >= 8 && string(rest[j-7:j+8]) == key {
			i = j - 7
			break
		}
		from = j + 1
	}
	v := rest[i+len(key)-1:]
	e := bytes.IndexByte(v[1:], '"')
	if e < 0 || bytes.IndexByte(v[1:e+1], '\\') >= 0 {
		return nil, nil
	}
	return ts, v[:e+2]
}

// timestamp turns a raw JSON RFC 3339 timestamp ("2026-11-22T14:00:00.123456789+01:00") into RFC
// 5424's form: the same digits with the fraction cut to six (no rounding: the second never
// changes). Anything that is not a well-formed RFC 3339 date-time gives nil (the caller sends "-").
func timestamp(raw []byte) []byte {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil
	}
	s := raw[1 : len(raw)-1]
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 {
		return nil
	}
	for i := 0; i < len(layout); i++ {
		if c := s[i]; layout[i] == 'd' && (c < '0' || c > '9') || layout[i] != 'd' && c != layout[i] {
			return nil
		}
	}
	out := make([]byte, 0, 32)
	out = append(out, s[:len(layout)]...)
	i := len(layout)
	if s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 {
			return nil
		}
		out = append(out, s[i:min(j, i+7)]...)
		i = j
	}
	zone := s[i:]
	switch {
	case len(zone) == 1 && zone[0] == 'Z':
	case len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone[1:3]) && zone[3] == ':' && digits(zone[4:6]):
	default:
		return nil
	}
	return append(out, zone...)
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// printable makes s an RFC 5424 header field: PRINTUSASCII (33..126), at most max bytes, "-" when
// empty. Other bytes become '_'.
func printable(s string, max int) string {
	if s == "" {
		return "-"
	}
	b := []byte(s[:min(len(s), max)])
	for i, c := range b {
		if c < 33 || c > 126 {
			b[i] = '_'
		}
	}
	return string(b)
}

// appendOctetFrame appends msg framed by octet counting (RFC 6587 §3.4.1, RFC 5425 §4.3):
// "LEN SP MSG".
func appendOctetFrame(b, msg []byte) []byte {
	b = strconv.AppendInt(b, int64(len(msg)), 10)
	b = append(b, ' ')
	return append(b, msg...)
}
