package record

import "bytes"

// Finder looks up a fixed set of top-level keys in a record. Records as precd and prec's stages write
// them are compact (`{"key":value,...}`): Find walks such a line once, jumping over strings with a
// vectorised search for the closing quote, and stops as soon as it has every key. Other lines (JSON
// written with spaces, say) are walked with Scan. Find checks the structure it walks over, not every
// byte of the values it skips; Scan is the full syntax check. A Finder is not safe for concurrent use.
type Finder struct {
	keys []string
	idx  map[string]int
	// Vals holds, after Find, the raw value of each key in the order given to NewFinder; nil when
	// the record has no such key.
	Vals [][]byte
}

// NewFinder returns a Finder of keys.
func NewFinder(keys ...string) *Finder {
	f := &Finder{keys: keys, idx: map[string]int{}, Vals: make([][]byte, len(keys))}
	for i, k := range keys {
		f.idx[k] = i
	}
	return f
}

// compact walks a line written without spaces (`{"k":v,...}`) once, from the left, keeping the values
// of the wanted keys and stopping when it has them all. It reports false when the line is not in that
// form, for Find to fall back on Scan.
func (f *Finder) compact(line []byte) (bool, error) {
	n, i, want := len(line), 1, len(f.keys)
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
		if i >= n || line[i] != ':' || bytes.IndexByte(key, '\\') >= 0 {
			return false, nil
		}
		i++
		start := i
		if i >= n {
			return false, nil
		}
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
		default:
			for i < n && line[i] != ',' && line[i] != '}' {
				i++
			}
		}
		for k, name := range f.keys {
			if len(name) == len(key) && f.Vals[k] == nil && string(key) == name {
				f.Vals[k] = line[start:i]
				if want--; want == 0 {
					return true, nil
				}
				break
			}
		}
		if i < n && line[i] == ',' {
			i++
		}
	}
	return true, nil
}

// Find fills Vals from line.
func (f *Finder) Find(line []byte) error {
	clear(f.Vals)
	i := skipWS(line, 0)
	j := len(line)
	for j > i && (line[j-1] == ' ' || line[j-1] == '\t' || line[j-1] == '\r') {
		j--
	}
	if i >= j || line[i] != '{' || line[j-1] != '}' {
		return synErr(i, "not a JSON object")
	}
	if len(f.keys) == 0 {
		return nil
	}
	if ok, err := f.compact(line[i:j]); ok || err != nil {
		return err
	}
	clear(f.Vals)
	return Scan(line, func(k, v []byte) bool {
		if n, ok := f.idx[string(k)]; ok && f.Vals[n] == nil {
			f.Vals[n] = v
		}
		return true
	})
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
