package query

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/itchyny/gojq"
	"github.com/prec-dev/prec/lib/record"
)

// Query is a compiled query: the AND of the expressions it was compiled from. Match reuses scratch
// space, so a Query is not safe for concurrent use; compile one per goroutine.
type Query struct {
	root  andNode
	names map[string]bool // fields the query names
	view  *record.View
}

// Compile compiles expressions that must all match. Each is a query in prec's language.
func Compile(exprs ...string) (*Query, error) {
	q := &Query{names: map[string]bool{}}
	for _, e := range exprs {
		n, err := parse(e)
		if err != nil {
			return nil, err
		}
		q.root = append(q.root, n)
	}
	var names []string
	walk(q.root, func(c *clause) { names = append(names, c.field.Name) })
	view, err := record.NewView(names...)
	if err != nil {
		return nil, err // not reached: the parser knows only fields of the table
	}
	q.view = view
	walk(q.root, func(c *clause) {
		c.col = view.Col(c.field.Name)
		q.names[c.field.Name] = true
	})
	return q, nil
}

func walk(n node, fn func(*clause)) {
	switch n := n.(type) {
	case andNode:
		for _, c := range n {
			walk(c, fn)
		}
	case orNode:
		for _, c := range n {
			walk(c, fn)
		}
	case *clause:
		fn(n)
	}
}

// Names reports whether the query names field.
func (q *Query) Names(field string) bool { return q.names[field] }

// Match reports whether the record in line matches. The error is about the line: not a JSON object.
func (q *Query) Match(line []byte) (bool, error) {
	if err := q.view.Load(line); err != nil {
		return false, err
	}
	return q.eval(q.root), nil
}

func (q *Query) eval(n node) bool {
	switch n := n.(type) {
	case andNode:
		for _, c := range n {
			if !q.eval(c) {
				return false
			}
		}
		return true
	case orNode:
		for _, c := range n {
			if q.eval(c) {
				return true
			}
		}
		return false
	case *clause:
		return q.match(n)
	}
	return false
}

// match compares the value record.View gives the clause's field: the one a column prints.
func (q *Query) match(c *clause) bool {
	switch c.field.Kind {
	case record.KindNumber, record.KindDuration:
		n, ok := q.view.Int(c.col)
		return ok && compareInt(n, c.op, c.num)
	case record.KindTime:
		t, ok := q.view.Time(c.col)
		return ok && compareInt(int64(t.Compare(c.tm)), c.op, 0)
	}
	return compareString(q.view.Text(c.col), c.op, c.str)
}

func compareInt(a int64, o op, b int64) bool {
	switch o {
	case opEq:
		return a == b
	case opNe:
		return a != b
	case opGt:
		return a > b
	case opGe:
		return a >= b
	case opLt:
		return a < b
	case opLe:
		return a <= b
	}
	return false
}

func compareString(a string, o op, b string) bool {
	switch o {
	case opEq:
		return a == b
	case opNe:
		return a != b
	case opContains:
		return strings.Contains(a, b)
	case opNotContains:
		return !strings.Contains(a, b)
	}
	return false
}

// JQ is a compiled jq expression: a record matches when the expression's first output is neither
// false nor null. Safe for concurrent use.
type JQ struct{ code *gojq.Code }

// CompileJQ compiles a jq expression.
func CompileJQ(expr string) (*JQ, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		var pe *gojq.ParseError
		if ok := asParseError(err, &pe); ok {
			return nil, fmt.Errorf("invalid --jq expression %q: %v at byte %d", expr, err, pe.Offset)
		}
		return nil, fmt.Errorf("invalid --jq expression %q: %v", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("invalid --jq expression %q: %v", expr, err)
	}
	return &JQ{code: code}, nil
}

func asParseError(err error, pe **gojq.ParseError) bool {
	e, ok := err.(*gojq.ParseError)
	if ok {
		*pe = e
	}
	return ok
}

// Match decodes line (numbers kept exact) and runs the expression on it. The error is about the line
// (not JSON) or the expression failing on it, or it is ctx.Err(): Match returns as soon as ctx is
// done, also inside a program that never ends. gojq checks ctx between its instructions, but not
// inside a builtin written in Go (`"a" * 1e10` runs for seconds), so a cancellable ctx has the
// program run on a goroutine of its own that Match abandons when ctx is done.
func (j *JQ) Match(ctx context.Context, line []byte) (bool, error) {
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return false, err
	}
	if ctx.Done() == nil {
		return j.run(ctx, v)
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	type result struct {
		ok  bool
		err error
	}
	done := make(chan result, 1)
	go func() {
		ok, err := j.run(ctx, v)
		done <- result{ok, err}
	}()
	select {
	case r := <-done:
		return r.ok, r.err
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (j *JQ) run(ctx context.Context, v any) (bool, error) {
	out, ok := j.code.RunWithContext(ctx, v).Next()
	if !ok {
		return false, nil
	}
	if err, isErr := out.(error); isErr {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("--jq: %v", err)
	}
	return out != nil && out != false, nil
}
