package record

import (
	"fmt"
	"strings"
	"time"
)

// View reads fields out of records, one record at a time: compiled once from the names of the fields
// a stage uses, then Load for each line, then the values by Col. With the keys Fields reads each
// field from, it is the one place where a field's value is defined, so a query and a printed column
// can never disagree:
//
//   - command is argv joined by single spaces; when that is empty, exe; then comm.
//   - duration is duration_ns, written as FormatDuration writes it.
//   - euid and egid are written only where they differ from uid and gid: absent, they read as those.
//   - an absent optional number (Field.Optional) has no value; another absent number reads as 0, an
//     absent string as "", an absent bool as false. null reads as absent.
//
// A View is not safe for concurrent use.
type View struct {
	find   *finder
	cols   []col
	byName map[string]Col
}

// Col is a field of a View.
type Col int

type col struct {
	field          *Field
	key, alt, alt2 int // slots in find.vals of the keys of Field.from (or Name); -1 for none
}

// NewView compiles a View of the fields called names (repeats are read once); the error names an
// unknown field.
func NewView(names ...string) (*View, error) {
	v := &View{byName: map[string]Col{}}
	slot := map[string]int{}
	var keys []string
	need := func(k string) int {
		if i, ok := slot[k]; ok {
			return i
		}
		slot[k] = len(keys)
		keys = append(keys, k)
		return slot[k]
	}
	for _, n := range names {
		if _, ok := v.byName[n]; ok {
			continue
		}
		f := Lookup(n)
		if f == nil {
			return nil, fmt.Errorf("unknown field %q", n)
		}
		c := col{field: f, alt: -1, alt2: -1}
		from := f.from
		if from == nil {
			from = []string{n}
		}
		c.key = need(from[0])
		if len(from) > 1 {
			c.alt = need(from[1])
		}
		if len(from) > 2 {
			c.alt2 = need(from[2])
		}
		v.byName[n] = Col(len(v.cols))
		v.cols = append(v.cols, c)
	}
	v.find = newFinder(keys...)
	return v, nil
}

// Col returns the column of the field called name, which must be one NewView was given.
func (v *View) Col(name string) Col {
	c, ok := v.byName[name]
	if !ok {
		panic("record: field " + name + " is not in the view")
	}
	return c
}

// Field returns the field of c.
func (v *View) Field(c Col) *Field { return v.cols[c].field }

// Load reads the fields of line; the values are those of line until the next Load. The error is a
// *SyntaxError: line is not a JSON object.
func (v *View) Load(line []byte) error { return v.find.Find(line) }

func (v *View) slot(i int) []byte {
	if i < 0 {
		return nil
	}
	if r := v.find.vals[i]; string(r) != "null" {
		return r
	}
	return nil
}

// Raw returns the JSON text of c's value as the record has it, nil when absent: for euid and egid
// the text of uid or gid when they are absent, for duration that of duration_ns, for command that
// of argv.
func (v *View) Raw(c Col) []byte {
	cl := &v.cols[c]
	if r := v.slot(cl.key); r != nil || cl.field.Kind != KindNumber {
		return r
	}
	return v.slot(cl.alt)
}

// Int returns the value of a number or duration (in ns); ok is false when the value is absent and
// has none (an optional number, a duration without an end) or is not an integer.
func (v *View) Int(c Col) (n int64, ok bool) {
	raw := v.Raw(c)
	if raw == nil {
		f := v.cols[c].field
		return 0, f.Kind == KindNumber && !f.Optional
	}
	return Int(raw)
}

// Number returns a number as the record writes it; when absent, "" for an optional number and "0"
// for another.
func (v *View) Number(c Col) string {
	if raw := v.Raw(c); raw != nil {
		return string(raw)
	}
	if v.cols[c].field.Optional {
		return ""
	}
	return "0"
}

// String returns a string value decoded; "" when absent or not a string.
func (v *View) String(c Col) string {
	s, _ := String(v.Raw(c))
	return s
}

// Strings returns an array of strings decoded (argv); nil when absent or not an array of strings.
func (v *View) Strings(c Col) []string {
	s, _ := Strings(v.Raw(c))
	return s
}

// Bool reports whether a boolean is true.
func (v *View) Bool(c Col) bool { return string(v.Raw(c)) == "true" }

// Time returns a time value parsed (RFC 3339); ok is false when absent or not such a time.
func (v *View) Time(c Col) (time.Time, bool) {
	s := v.String(c)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// Command returns the command of a row: its argv, when joined by spaces it is not empty; else
// (argv nil) the name it goes by, exe or else comm. c is a command column.
func (v *View) Command(c Col) (argv []string, name string) {
	cl := &v.cols[c]
	if args, _ := Strings(v.slot(cl.key)); !(len(args) == 0 || len(args) == 1 && args[0] == "") {
		return args, ""
	}
	if s, _ := String(v.slot(cl.alt)); s != "" {
		return nil, s
	}
	s, _ := String(v.slot(cl.alt2))
	return nil, s
}

// Text returns c's value as one string, the one a query compares and CSV prints: a string or time
// as written, a number as Number, a duration as FormatDuration writes it ("" without an end), a
// bool as "true" or "false", an array joined by single spaces, the command as defined above.
func (v *View) Text(c Col) string {
	f := v.cols[c].field
	switch {
	case f.Name == "command":
		argv, name := v.Command(c)
		if argv != nil {
			return strings.Join(argv, " ")
		}
		return name
	case f.Kind == KindNumber:
		return v.Number(c)
	case f.Kind == KindDuration:
		if n, ok := v.Int(c); ok {
			return FormatDuration(n)
		}
		return ""
	case f.Kind == KindBool:
		if v.Bool(c) {
			return "true"
		}
		return "false"
	case f.Kind == KindArray:
		return strings.Join(v.Strings(c), " ")
	}
	return v.String(c)
}

// ParseDuration reads the reference's "Y-M-D h:m:s" (a year is 365 days, a month 30) or a Go
// duration such as "1m30s", as ns.
func ParseDuration(s string) (int64, error) {
	var y, mo, d, h, mi, sec int64
	var rest string
	n, _ := fmt.Sscanf(s, "%d-%d-%d %d:%d:%d%s", &y, &mo, &d, &h, &mi, &sec, &rest)
	if n == 6 {
		if y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || mo >= 12 || d >= 31 || h >= 24 || mi >= 60 || sec >= 60 {
			return 0, fmt.Errorf("duration %q out of range (months < 12, days < 31, hours < 24, minutes and seconds < 60)", s)
		}
		days := y*365 + mo*30 + d
		return ((days*24+h)*60+mi)*60*1e9 + sec*1e9, nil
	}
	if dur, err := time.ParseDuration(s); err == nil && dur >= 0 {
		return int64(dur), nil
	}
	return 0, fmt.Errorf("duration %q is neither Y-M-D h:m:s nor like 1m30s", s)
}

// FormatDuration writes ns as the reference does: "%04d-%02d-%02d %02d:%02d:%02d", whole seconds
// (a year is 365 days, a month 30); a negative duration is 0.
func FormatDuration(ns int64) string {
	if ns < 0 {
		ns = 0
	}
	s := ns / 1e9
	days := s / 86400
	s %= 86400
	y := days / 365
	days %= 365
	mo := days / 30
	days %= 30
	return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, mo, days, s/3600, s/60%60, s%60)
}
