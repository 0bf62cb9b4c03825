package forward

import (
	"slices"
	"unicode/utf8"

	"github.com/prec-dev/prec/lib/record"
)

// marker is the member shorten adds to a record it shortened for forwarding.
const marker = `"forward_truncated":true`

// kept are keys never cut: they name the record (dedupe and joins use them) and are short.
var kept = map[string]bool{
	"timestamp": true, "event_id": true, "record_type": true, "source": true, "host": true, "seq": true,
	"run_id": true, "process_key": true, "parent_key": true,
}

// flagOf is the schema's own "this was cut" flag for the keys that have one.
var flagOf = map[string]string{"argv": "argv_truncated", "argv_raw": "argv_truncated", "exe": "exe_truncated", "cwd": "cwd_truncated"}

type member struct {
	key  string
	val  []byte   // raw value, when not an array being cut
	elem [][]byte // raw string elements of an array of strings (argv)
	cut  bool
}

// piece is one string that may be cut: a top-level string value or an element of a string array.
type piece struct {
	m, e int // member index, element index (-1: the member's value)
	n    int // length of the string's contents (between the quotes)
}

// shorten returns a JSON object of at most limit bytes made from the object line: the longest strings
// (top-level values and elements of string arrays such as argv, never the identity keys above) are
// cut to a common length at character boundaries, argv_raw (a second copy of argv) is dropped,
// elements are dropped from the end of arrays if cutting strings is not enough, the schema's
// argv_truncated/exe_truncated/cwd_truncated flags are set for what was cut, and marker is added.
// Every other member keeps its bytes and place. It returns nil when line is not a JSON object or
// cannot be made to fit.
func shorten(line []byte, limit int) []byte {
	var ms []member
	have := map[string]bool{}
	err := record.Scan(line, func(k, v []byte) bool {
		key := string(k)
		have[key] = true
		if key == "argv_raw" {
			return true
		}
		m := member{key: key, val: v}
		if len(v) > 0 && v[0] == '[' && !kept[key] {
			if el, ok := stringElems(v); ok {
				m.val, m.elem = nil, el
			}
		}
		ms = append(ms, m)
		return true
	})
	if err != nil {
		return nil
	}
	flags := map[string]bool{}
	if have["argv_raw"] {
		flags["argv_truncated"] = true
	}
	// Room for the braces, the marker and every flag that might be added.
	budget := limit - len("{}") - len(","+marker) - len(`,"argv_truncated":true,"exe_truncated":true,"cwd_truncated":true`)
	size := func() int {
		n := len(ms) - 1
		for _, m := range ms {
			n += len(m.key) + 3
			if m.elem != nil {
				n += 2 + max0(len(m.elem)-1)
				for _, e := range m.elem {
					n += len(e)
				}
			} else {
				n += len(m.val)
			}
		}
		return n
	}
	if budget <= 0 {
		return nil
	}
	if excess := size() - budget; excess > 0 {
		var ps []piece
		for i, m := range ms {
			if kept[m.key] {
				continue
			}
			if m.elem != nil {
				for j, e := range m.elem {
					ps = append(ps, piece{i, j, len(e) - 2})
				}
			} else if len(m.val) > 0 && m.val[0] == '"' {
				ps = append(ps, piece{i, -1, len(m.val) - 2})
			}
		}
		// Water-filling: the largest cap L with sum(max(0, n-L)) >= excess.
		lens := make([]int, len(ps))
		for i, p := range ps {
			lens[i] = p.n
		}
		slices.Sort(lens)
		slices.Reverse(lens)
		capLen, removed := 0, 0
		for i := range lens {
			next := 0
			if i+1 < len(lens) {
				next = lens[i+1]
			}
			// Cutting the i+1 longest down to next removes this much.
			if r := removed + (i+1)*(lens[i]-next); r >= excess {
				capLen = lens[i] - (excess-removed+i)/(i+1)
				break
			} else {
				removed = r
			}
		}
		for _, p := range ps {
			if p.n <= capLen {
				continue
			}
			m := &ms[p.m]
			m.cut = true
			if p.e < 0 {
				m.val = cutString(m.val, capLen)
			} else {
				m.elem[p.e] = cutString(m.elem[p.e], capLen)
			}
		}
		// Still too long (say, a hundred thousand empty arguments): drop array elements from the end.
		for size() > budget {
			longest := -1
			for i, m := range ms {
				if len(m.elem) > 0 && (longest < 0 || len(m.elem) > len(ms[longest].elem)) {
					longest = i
				}
			}
			if longest < 0 {
				return nil
			}
			m := &ms[longest]
			drop := max(1, (size()-budget)/3)
			m.elem = m.elem[:max0(len(m.elem)-drop)]
			m.cut = true
		}
		for _, m := range ms {
			if f, ok := flagOf[m.key]; ok && m.cut {
				flags[f] = true
			}
		}
	}
	out := make([]byte, 0, limit)
	out = append(out, '{')
	for i, m := range ms {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.key...)
		out = append(out, '"', ':')
		if m.elem == nil {
			out = append(out, m.val...)
			continue
		}
		out = append(out, '[')
		for j, e := range m.elem {
			if j > 0 {
				out = append(out, ',')
			}
			out = append(out, e...)
		}
		out = append(out, ']')
	}
	for _, f := range []string{"argv_truncated", "exe_truncated", "cwd_truncated"} {
		if flags[f] && !have[f] {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, `"`+f+`":true`...)
		}
	}
	if len(out) > 1 {
		out = append(out, ',')
	}
	out = append(out, marker...)
	out = append(out, '}')
	if len(out) > limit {
		return nil
	}
	return out
}

func max0(n int) int { return max(n, 0) }

// stringElems splits a raw JSON array whose elements are all strings; ok is false otherwise.
func stringElems(v []byte) (elems [][]byte, ok bool) {
	elems = [][]byte{}
	i := 1
	skip := func() {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
			i++
		}
	}
	skip()
	if i < len(v) && v[i] == ']' {
		return elems, true
	}
	for i < len(v) {
		skip()
		if i >= len(v) || v[i] != '"' {
			return nil, false
		}
		end, err := record.SkipString(v, i)
		if err != nil {
			return nil, false
		}
		elems = append(elems, v[i:end])
		i = end
		skip()
		if i < len(v) && v[i] == ']' {
			return elems, true
		}
		if i >= len(v) || v[i] != ',' {
			return nil, false
		}
		i++
	}
	return nil, false
}

// cutString returns the raw JSON string s with its contents cut to at most n bytes, never inside an
// escape sequence (\n, \uXXXX) or a UTF-8 character, so it stays a valid JSON string.
func cutString(s []byte, n int) []byte {
	body := s[1 : len(s)-1]
	end := 0
	for i := 0; i < len(body); {
		size := 1
		switch c := body[i]; {
		case c == '\\':
			size = 2
			if i+1 < len(body) && body[i+1] == 'u' {
				size = 6
			}
		case c >= utf8.RuneSelf:
			_, size = utf8.DecodeRune(body[i:])
		}
		if i+size > n {
			break
		}
		i += size
		end = i
	}
	out := make([]byte, 0, end+2)
	out = append(out, '"')
	out = append(out, body[:end]...)
	return append(out, '"')
}
