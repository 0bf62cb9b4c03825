package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// SyntaxError says where a line stops being a JSON object.
type SyntaxError struct {
	Offset int // byte offset in the line
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset+1, e.Msg) }

func synErr(off int, msg string) error { return &SyntaxError{Offset: off, Msg: msg} }

// Scan walks the top-level members of the JSON object in line, calling fn with each key (raw, still
// escaped; keys of prec records have no escapes) and raw value. It stops early, without error, when
// fn returns false. It checks the syntax it walks over: strings, nesting, literals; numbers are
// checked loosely. It allocates nothing.
func Scan(line []byte, fn func(key, val []byte) bool) error {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return synErr(i, "not a JSON object")
	}
	i = skipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		return trailing(line, i+1)
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return synErr(i, "expected a key")
		}
		end, err := skipString(line, i)
		if err != nil {
			return err
		}
		key := line[i+1 : end-1]
		i = skipWS(line, end)
		if i >= len(line) || line[i] != ':' {
			return synErr(i, "expected ':' after key")
		}
		i = skipWS(line, i+1)
		start := i
		if i, err = skipValue(line, i); err != nil {
			return err
		}
		if !fn(key, line[start:i]) {
			return nil
		}
		i = skipWS(line, i)
		if i >= len(line) {
			return synErr(i, "unexpected end of object")
		}
		switch line[i] {
		case ',':
			i = skipWS(line, i+1)
		case '}':
			return trailing(line, i+1)
		default:
			return synErr(i, "expected ',' or '}'")
		}
	}
}

func trailing(b []byte, i int) error {
	if i = skipWS(b, i); i < len(b) {
		return synErr(i, "data after the object")
	}
	return nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'. It looks for quotes
// only (IndexByte is vectorised) and counts the backslashes before one to know if it is escaped.
func skipString(b []byte, i int) (int, error) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, synErr(len(b), "unterminated string")
		}
		j += k
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1, nil
		}
		j++
	}
}

func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, synErr(i, "expected a value")
	}
	switch c := b[i]; c {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, synErr(len(b), "unterminated "+map[byte]string{'{': "object", '[': "array"}[c])
	default:
		j := i
		for j < len(b) && literalByte(b[j]) {
			j++
		}
		lit := b[i:j]
		switch {
		case j == i:
			return 0, synErr(i, fmt.Sprintf("unexpected %q", b[i]))
		case c == 't' && string(lit) == "true", c == 'f' && string(lit) == "false", c == 'n' && string(lit) == "null":
		case c == '-' || c >= '0' && c <= '9':
		default:
			return 0, synErr(i, fmt.Sprintf("invalid literal %q", lit))
		}
		return j, nil
	}
}

func literalByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E'
}

// SkipString returns the index just past the JSON string that starts at b[i] (a '"').
func SkipString(b []byte, i int) (int, error) { return skipString(b, i) }

// String decodes a raw JSON string value; null and absent values give "".
func String(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		if len(raw) == 0 || string(raw) == "null" {
			return "", nil
		}
		return "", errors.New("not a string")
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// Int decodes a raw JSON number as an int64; ok is false for null, absent or non-integers.
func Int(raw []byte) (n int64, ok bool) {
	if len(raw) == 0 || raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// Strings decodes a raw JSON array of strings (argv); null gives nil.
func Strings(raw []byte) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var out []string
	if !bytes.ContainsRune(raw, '\\') && utf8.Valid(raw) {
		// Fast path: no escapes, so the elements are the bytes between quotes.
		i := skipWS(raw, 0)
		if i >= len(raw) || raw[i] != '[' {
			return nil, errors.New("not an array")
		}
		i = skipWS(raw, i+1)
		for i < len(raw) && raw[i] != ']' {
			if c := raw[i]; c == '-' || c >= '0' && c <= '9' { // a number (argv_redacted_idx): its text
				end := i + 1
				for end < len(raw) && (raw[end] >= '0' && raw[end] <= '9' || raw[end] == '.') {
					end++
				}
				out = append(out, string(raw[i:end]))
				if i = skipWS(raw, end); i < len(raw) && raw[i] == ',' {
					i = skipWS(raw, i+1)
				}
				continue
			}
			if raw[i] != '"' {
				return nil, errors.New("array element is not a string")
			}
			end, err := skipString(raw, i)
			if err != nil {
				return nil, err
			}
			out = append(out, string(raw[i+1:end-1]))
			i = skipWS(raw, end)
			if i < len(raw) && raw[i] == ',' {
				i = skipWS(raw, i+1)
			}
		}
		return out, nil
	}
	err := json.Unmarshal(raw, &out)
	return out, err
}
