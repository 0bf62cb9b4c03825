package record

import (
	"bytes"
	"encoding/json"
	"strings"
)

// finder looks up a fixed set of top-level keys in a record. When a key occurs more than once, the
// last one counts, as in jq and encoding/json; a key written with escapes ("u\u0069d") is the key
// it spells. Records as precd and prec's stages write them are compact (`{"key":value,...}`) and
// flat. In such a line Find looks for a few keys each by a search for its text (see search), which
// beats walking twenty keys to reach one. Otherwise it walks a compact line from the left, jumping
// over strings with a vectorised search for the closing quote; once it has every key, it searches
// the rest of the line for their text, to know that none of them comes again, and walks on only
// when one might. Other lines (JSON written with spaces, say) are walked with Scan. Find checks the
// structure it walks over, not every byte of the values it skips; Scan is the full syntax check. A
// finder is not safe for concurrent use.
type finder struct {
	keys  []string
	tails []tail // what search and mayComeAgain look for
	idx   map[string]int
	plain bool // every key is letters, digits and '_': an escape spells one of their bytes only as \u00XX
	// vals holds, after Find, the raw value of each key in the order given to newFinder; nil when
	// the record has no such key.
	vals [][]byte
}

// newFinder returns a finder of keys.
func newFinder(keys ...string) *finder {
	f := &finder{keys: keys, idx: map[string]int{}, vals: make([][]byte, len(keys)), plain: true}
	for i, k := range keys {
		f.idx[k] = i
		f.tails = append(f.tails, newTail(k))
		for j := 0; j < len(k); j++ {
			if !keyByte(k[j]) {
				f.plain = false
			}
		}
	}
	return f
}

// A tail is a key's quoted text and the index in it of the byte to search for.
type tail struct {
	text []byte
	at   int
}

// byteRank is the bytes of keys from the rarest to the commonest in records (counted on generated
// and test records); a byte not in it is rarer still.
const byteRank = "zqfjwkxvhl8bg57y964m3_docuanip2t1rse0"

func newTail(key string) tail {
	t := tail{text: []byte(`"` + key + `"`), at: 1}
	for i := 1; i <= len(key); i++ {
		if strings.IndexByte(byteRank, t.text[i]) < strings.IndexByte(byteRank, t.text[t.at]) {
			t.at = i
		}
	}
	return t
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (f *finder) index(key []byte) int {
	if len(f.keys) > 8 {
		if k, ok := f.idx[string(key)]; ok {
			return k
		}
		return -1
	}
	for k, name := range f.keys {
		if len(name) == len(key) && string(key) == name {
			return k
		}
	}
	return -1
}

// compact walks a line written without spaces (`{"k":v,...}`) from the left, keeping the last value
// of each wanted key. It reports false when the line is not in that form, for Find to fall back on
// Scan.
func (f *finder) compact(line []byte) (bool, error) {
	n, i, want, walkOn := len(line), 1, len(f.keys), false
	for i < n && line[i] != '}' {
		if line[i] != '"' {
			return false, nil
		}
		e := bytes.IndexByte(line[i+1:], '"')
		if e < 0 {
			return false, nil
		}
		key := line[i+1 : i+1+e]
		i += e + 2
		if i+1 >= n || line[i] != ':' || bytes.IndexByte(key, '\\') >= 0 {
			return false, nil
		}
		i++
		start := i
		switch c := line[i]; {
		case c == '"':
			end, err := skipString(line, i)
			if err != nil {
				return false, err
			}
			i = end
		case c == '[' || c == '{':
			end, err := skipValue(line, i)
			if err != nil {
				return false, err
			}
			i = end
		case literalByte(c):
			for i < n && literalByte(line[i]) {
				i++
			}
		default:
			return false, nil
		}
		if i >= n || line[i] != ',' && line[i] != '}' {
			return false, nil
		}
		if k := f.index(key); k >= 0 {
			if f.vals[k] == nil {
				want--
			}
			f.vals[k] = line[start:i]
			if want == 0 && !walkOn {
				if !f.mayComeAgain(line[i:]) {
					return true, nil
				}
				walkOn = true
			}
		}
		if line[i] == ',' {
			i++
		}
	}
	return true, nil
}

// mayComeAgain reports whether a wanted key may be a key of rest: its quoted text is there, or an
// escape that could spell one of its bytes. Each of a few keys is looked for with a vectorised
// search for its rarest byte in records (see anchor), checking the text around each one found;
// for more keys, Find walks on.
func (f *finder) mayComeAgain(rest []byte) bool {
	if !f.plain || len(f.tails) > 4 {
		return true
	}
	for _, t := range f.tails {
		c := t.text[t.at]
		for o := t.at; o < len(rest); {
			j := bytes.IndexByte(rest[o:], c)
			if j < 0 {
				break
			}
			if k := o + j - t.at; k+len(t.text) <= len(rest) && string(rest[k:k+len(t.text)]) == string(t.text) {
				return true
			}
			o += j + 1
		}
	}
	return keyEscape(rest)
}

// keyEscape reports whether b has a \u00XX escape of a letter, digit or '_': the only escape that can
// spell a byte of such a key.
func keyEscape(b []byte) bool {
	for o := 0; ; {
		j := bytes.Index(b[o:], escape00)
		if j < 0 || o+j+6 > len(b) {
			return false
		}
		o += j + 4
		if keyByte(unhex(b[o])<<4 | unhex(b[o+1])) {
			return true
		}
	}
}

var escape00 = []byte(`\u00`)

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// search finds each key of a flat line (one object with none inside it and no escape that could spell
// a byte of a key) by a vectorised search for its rarest byte in records (see byteRank), checking
// the quoted key text around each one found. In such a line `"k":` right after '{' or ',' is a key
// (inside a string a quote is escaped, and in an array a string is not followed by ':'), and `"k"`
// followed by ',', ']' or '}' is a string value. search reports false, for Find to walk the line,
// when a key occurs twice or anything else is unusual.
func (f *finder) search(line []byte) bool {
	for n, t := range f.tails {
		at := -1
		c := t.text[t.at]
		for o := t.at; o < len(line); {
			j := bytes.IndexByte(line[o:], c)
			if j < 0 {
				break
			}
			k := o + j - t.at
			o += j + 1
			end := k + len(t.text)
			if end >= len(line) || string(line[k:end]) != string(t.text) {
				continue
			}
			switch line[end] {
			case ',', ']', '}':
				continue // a string value
			case ':':
				if at >= 0 || line[k-1] != '{' && line[k-1] != ',' {
					return false
				}
				at = end + 1
			default:
				return false
			}
		}
		if at < 0 {
			continue
		}
		end, err := skipValue(line, at)
		if err != nil || end >= len(line) || line[end] != ',' && line[end] != '}' {
			return false
		}
		f.vals[n] = line[at:end]
	}
	return true
}

// flat reports whether line is a JSON object with no object inside it and no escape that could
// spell a byte of a key: there a key is found by a search for its text.
func flat(line []byte) bool {
	return len(line) >= 2 && line[0] == '{' && line[len(line)-1] == '}' &&
		bytes.IndexByte(line[1:], '{') < 0 && !keyEscape(line)
}

// Find fills vals from line. The error is a *SyntaxError: line is not a JSON object.
func (f *finder) Find(line []byte) error {
	clear(f.vals)
	i := skipWS(line, 0)
	j := len(line)
	for j > i && (line[j-1] == ' ' || line[j-1] == '\t' || line[j-1] == '\r' || line[j-1] == '\n') {
		j--
	}
	if i >= j || line[i] != '{' || line[j-1] != '}' {
		return synErr(i, "not a JSON object")
	}
	if len(f.keys) == 0 {
		return nil
	}
	if f.plain && len(f.tails) <= 4 && flat(line[i:j]) {
		if f.search(line[i:j]) {
			return nil
		}
		clear(f.vals)
	}
	if ok, err := f.compact(line[i:j]); ok || err != nil {
		return err
	}
	clear(f.vals)
	return Scan(line, func(k, v []byte) bool {
		if bytes.IndexByte(k, '\\') >= 0 {
			k = unescapeKey(k)
		}
		if n, ok := f.idx[string(k)]; ok {
			f.vals[n] = v
		}
		return true
	})
}

// unescapeKey returns the key a raw key with escapes spells; a key that does not decode is kept raw.
func unescapeKey(raw []byte) []byte {
	var s string
	if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s) != nil {
		return raw
	}
	return []byte(s)
}

// Valid reports whether line is one JSON object, as Scan checks it: a compact line is walked in one
// tight loop, anything else by Scan.
func Valid(line []byte) error {
	n := len(line)
	if n < 2 || line[0] != '{' || line[n-1] != '}' {
		return Scan(line, func(k, v []byte) bool { return true })
	}
	i := 1
	if line[i] == '}' {
		if n == 2 {
			return nil
		}
		return Scan(line, func(k, v []byte) bool { return true })
	}
	for {
		if line[i] != '"' {
			break
		}
		end, err := skipString(line, i)
		if err != nil || end >= n || line[end] != ':' {
			break
		}
		if i, err = skipValue(line, end+1); err != nil || i >= n {
			break
		}
		switch line[i] {
		case ',':
			i++
			if i < n {
				continue
			}
		case '}':
			if i == n-1 {
				return nil
			}
		}
		break
	}
	return Scan(line, func(k, v []byte) bool { return true }) // the slow path finds and names the error
}
