package jsonl

import "slices"

// Last keeps the last N lines it is given, with their line numbers: prec -n N and prec-cat -n N
// print the end of their input. A line may come with a key: it then takes the place of the kept
// line with the same key (a follow-mode command's finished row replaces its provisional row), so the
// last N are N different keys. It copies the lines it keeps. It is not safe for concurrent use.
type Last struct {
	n     int
	lines [][]byte
	nos   []int64
	keys  []string
	slot  map[string]int // key -> index in lines
	next  int            // the oldest, once lines is full
}

// NewLast returns a Last of n lines; with n <= 0 it keeps none.
func NewLast(n int) *Last { return &Last{n: n} }

// Len is how many lines are kept.
func (l *Last) Len() int { return len(l.lines) }

// Add keeps line, dropping the oldest when N are kept already.
func (l *Last) Add(line []byte, no int64) { l.AddKey("", line, no) }

// AddKey keeps line in the place of the kept line with the same key, if there is one; else as Add.
// The empty key is no key.
func (l *Last) AddKey(key string, line []byte, no int64) {
	if l.n <= 0 {
		return
	}
	if k, ok := l.slot[key]; ok && key != "" {
		l.lines[k] = append(l.lines[k][:0], line...)
		l.nos[k] = no
		return
	}
	k := l.next
	if len(l.lines) < l.n {
		l.lines = append(l.lines, slices.Clone(line))
		l.nos = append(l.nos, no)
		l.keys = append(l.keys, "")
		k = len(l.lines) - 1
	} else {
		l.lines[k] = append(l.lines[k][:0], line...)
		l.nos[k] = no
		l.next = (l.next + 1) % l.n
	}
	if old := l.keys[k]; old != "" {
		delete(l.slot, old)
	}
	l.keys[k] = key
	if key != "" {
		if l.slot == nil {
			l.slot = map[string]int{}
		}
		l.slot[key] = k
	}
}

// Drain calls fn with the kept lines, oldest first, and empties l. It stops at the first error of
// fn and returns it (the lines are dropped all the same).
func (l *Last) Drain(fn func(line []byte, no int64) error) error {
	lines, nos, next := l.lines, l.nos, l.next
	l.lines, l.nos, l.keys, l.slot, l.next = nil, nil, nil, nil, 0
	for i := range lines {
		k := (next + i) % len(lines)
		if err := fn(lines[k], nos[k]); err != nil {
			return err
		}
	}
	return nil
}
