// Package query is prec's query language (the reference's `key op value` clauses joined by && and ||,
// plus parentheses and double-quoted values) and --jq expressions through gojq. A query is compiled
// once and then matched against each record's raw JSON.
package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prec-dev/prec/lib/record"
)

// Error is a query that does not compile: what is wrong, and where.
type Error struct {
	Query  string
	Column int // 1-based, in runes
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid query %q: %s at column %d", e.Query, e.Msg, e.Column)
}

type op int

const (
	opEq op = iota
	opNe
	opGt
	opGe
	opLt
	opLe
	opContains
	opNotContains
)

// Longest first, so that ">=" is not read as ">".
var ops = []struct {
	text string
	op   op
}{
	{"!~=", opNotContains}, {">=", opGe}, {"<=", opLe}, {"!=", opNe}, {"~=", opContains}, {">", opGt}, {"<", opLt}, {"=", opEq},
}

func (o op) String() string {
	for _, x := range ops {
		if x.op == o {
			return x.text
		}
	}
	return "?"
}

type node interface{}

type andNode []node
type orNode []node

type clause struct {
	field *record.Field
	col   record.Col // of the field in the query's view
	op    op
	str   string // string, array, bool ("true"/"false")
	num   int64  // number, duration (ns)
	tm    time.Time
}

type parser struct {
	src string
	pos int
}

func (p *parser) errAt(pos int, format string, args ...any) error {
	return &Error{Query: p.src, Column: len([]rune(p.src[:pos])) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *parser) peek(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

// parse reads a whole query: expr := and ("||" and)*.
func parse(src string) (node, error) {
	p := &parser{src: src}
	p.skipSpace()
	if p.pos == len(src) {
		return nil, p.errAt(0, "empty query")
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(src) {
		if src[p.pos] == ')' {
			return nil, p.errAt(p.pos, "unmatched ')'")
		}
		return nil, p.errAt(p.pos, "unexpected %q", src[p.pos:])
	}
	return n, nil
}

func (p *parser) or(depth int) (node, error) {
	var terms orNode
	for {
		t, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		p.skipSpace()
		if !p.peek("||") {
			break
		}
		p.pos += 2
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *parser) and(depth int) (node, error) {
	var terms andNode
	for {
		t, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		p.skipSpace()
		if !p.peek("&&") {
			break
		}
		p.pos += 2
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return terms, nil
}

func (p *parser) unary(depth int) (node, error) {
	p.skipSpace()
	if p.pos == len(p.src) || p.peek("&&") || p.peek("||") || p.peek(")") {
		return nil, p.errAt(p.pos, "empty clause")
	}
	if p.src[p.pos] == '(' {
		open := p.pos
		p.pos++
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.peek(")") {
			return nil, p.errAt(open, "unclosed '('")
		}
		p.pos++
		return n, nil
	}
	return p.clause(depth)
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *parser) clause(depth int) (node, error) {
	start := p.pos
	for p.pos < len(p.src) && isKeyByte(p.src[p.pos]) {
		p.pos++
	}
	key := p.src[start:p.pos]
	p.skipSpace()
	opPos := p.pos
	var o op
	found := false
	for _, x := range ops {
		if p.peek(x.text) {
			o, found = x.op, true
			p.pos += len(x.text)
			break
		}
	}
	if key == "" || !found {
		end := p.pos
		for end < len(p.src) && !strings.HasPrefix(p.src[end:], "&&") && !strings.HasPrefix(p.src[end:], "||") {
			end++
		}
		if key == "" {
			return nil, p.errAt(start, "expected a field name, found %q", strings.TrimSpace(p.src[start:end]))
		}
		return nil, p.errAt(opPos, "expected an operator (= != > >= < <= ~= !~=) after %q", key)
	}
	f := record.Lookup(key)
	if f == nil {
		return nil, p.errAt(start, "unknown field %q", key)
	}
	p.skipSpace()
	valPos := p.pos
	val, quoted, err := p.value(depth)
	if err != nil {
		return nil, err
	}
	if val == "" && !quoted {
		return nil, p.errAt(valPos, "empty value for %s (write \"\" for the empty string)", key)
	}
	c := &clause{field: f, op: o}
	if err := c.setValue(val); err != nil {
		return nil, p.errAt(valPos, "%v", err)
	}
	if !allowed(f.Kind, o) {
		return nil, p.errAt(opPos, "operator %s does not apply to %s field %s", o, kindName[f.Kind], key)
	}
	return c, nil
}

// value reads a double-quoted string, or bare text up to "&&", "||", or the ')' that closes the
// enclosing group; parentheses inside a bare value must balance.
func (p *parser) value(depth int) (val string, quoted bool, err error) {
	if p.pos < len(p.src) && p.src[p.pos] == '"' {
		start := p.pos
		var b strings.Builder
		for i := p.pos + 1; i < len(p.src); i++ {
			switch c := p.src[i]; c {
			case '\\':
				if i+1 == len(p.src) {
					return "", true, p.errAt(i, "unterminated quoted value")
				}
				i++
				switch e := p.src[i]; e {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(e)
				}
			case '"':
				p.pos = i + 1
				return b.String(), true, nil
			default:
				b.WriteByte(c)
			}
		}
		return "", true, p.errAt(start, "unterminated quoted value")
	}
	start, nest := p.pos, 0
	for p.pos < len(p.src) {
		if p.peek("&&") || p.peek("||") {
			break
		}
		c := p.src[p.pos]
		if c == '(' {
			nest++
		} else if c == ')' {
			if nest == 0 && depth > 0 {
				break
			}
			nest--
		}
		p.pos++
	}
	return strings.TrimRight(p.src[start:p.pos], " \t"), false, nil
}

var kindName = map[record.Kind]string{
	record.KindString: "string", record.KindNumber: "numeric", record.KindTime: "time",
	record.KindDuration: "duration", record.KindArray: "array", record.KindBool: "boolean",
}

func allowed(k record.Kind, o op) bool {
	switch k {
	case record.KindNumber, record.KindTime, record.KindDuration:
		return o <= opLe
	case record.KindBool:
		return o == opEq || o == opNe
	default:
		return o == opEq || o == opNe || o == opContains || o == opNotContains
	}
}

func (c *clause) setValue(v string) error {
	switch c.field.Kind {
	case record.KindNumber:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("value %q of numeric field %s is not an integer", v, c.field.Name)
		}
		c.num = n
	case record.KindTime:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fmt.Errorf("value %q of %s is not an RFC 3339 time with an offset (e.g. 2026-11-22T13:34:15Z)", v, c.field.Name)
		}
		c.tm = t
	case record.KindDuration:
		ns, err := record.ParseDuration(v)
		if err != nil {
			return err
		}
		c.num = ns
	case record.KindBool:
		if v != "true" && v != "false" {
			return fmt.Errorf("value %q of %s is not true or false", v, c.field.Name)
		}
		c.str = v
	default:
		switch c.field.Name {
		case "source":
			if v != record.SourceUser && v != record.SourceSystem {
				return fmt.Errorf("value %q of source is not user or system", v)
			}
		case "record_type":
			switch v {
			case record.TypeCommand, record.TypeStart, record.TypeEnd, record.TypeFail, record.TypeLoss, record.TypeDaemon:
			default:
				return fmt.Errorf("value %q of record_type is not command, start, end, fail, loss or daemon", v)
			}
		}
		c.str = v
	}
	return nil
}
