// Package format is the prec-fmt stage: it prints records as text, CSV or JSON, optionally as a tree
// of processes.
package format

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/record"
)

// Output formats.
const (
	Text = "text"
	CSV  = "csv"
	JSON = "json"
)

// Options says how to print; the zero value prints the default fields as text.
type Options struct {
	Output   string   // Text (default), CSV or JSON
	Fields   []string // from ParseFields; nil: record.DefaultFields
	FullTime bool     // timestamps as written, not "YYYY-MM-DD hh:mm:ss"
	Tree     bool     // text: indent each row under its parent process
	Color    bool     // text: colour failures and losses (for terminals)
	Last     int      // print only the last Last rows (0: all)
	Follow   bool     // the input is live: Last counts the rows before it first pauses, then all go out
	Name     string   // the input's name in messages
	Problems *jsonl.Problems
}

// ParseFields reads a -f value: a comma-separated list of field names, "all" for the reference's
// full list in the reference's order (the default fields first). A list whose first name starts with + or - edits the default list: each + or - sets the
// operation for the names that follow it.
func ParseFields(spec string) ([]string, error) {
	parts := strings.Split(spec, ",")
	var list []string
	add := true
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, "+") || strings.HasPrefix(p, "-") {
			add = p[0] == '+'
			p = strings.TrimSpace(p[1:])
			if i == 0 {
				list = slices.Clone(record.DefaultFields)
			}
		}
		if p == "" {
			return nil, fmt.Errorf("invalid --fields %q: empty field name", spec)
		}
		names := []string{p}
		if p == "all" {
			names = allFields
		} else if record.Lookup(p) == nil {
			return nil, fmt.Errorf("invalid --fields %q: unknown field %q", spec, p)
		}
		for _, n := range names {
			k := slices.Index(list, n)
			switch {
			case add && k < 0:
				list = append(list, n)
			case !add && k >= 0:
				list = slices.Delete(list, k, k+1)
			}
		}
	}
	return list, nil
}

// allFields is what "all" expands to: the reference's fields, the default four first and then the
// others in the order of its field table, as its code expands "all" (its help text lists them in
// table order, which is not what it prints). prec's own additions are not part of it.
var allFields = func() []string {
	names := slices.Clone(record.DefaultFields)
	for _, f := range record.Fields[:record.NumReference] {
		if !slices.Contains(names, f.Name) {
			names = append(names, f.Name)
		}
	}
	return names
}()

// Run prints the records of in to out. Bad lines are reported to opt.Problems and skipped; the run
// then ends with the error of Problems.Err.
func Run(ctx context.Context, in io.Reader, out io.Writer, opt Options) error {
	f, err := newFormatter(out, opt)
	if err != nil {
		return err
	}
	// With -n N, rows are kept until the input ends, or, following, until it first pauses: what came
	// before is the backlog. Following, a command comes twice (started, then finished): the later
	// row takes the earlier one's place, so the last N rows are N commands.
	var last *jsonl.Last
	var id record.Col
	var view *record.View
	if opt.Last > 0 {
		last = jsonl.NewLast(opt.Last)
		if opt.Follow {
			view, _ = record.NewView("event_id")
			id = view.Col("event_id")
		}
	}
	release := func() error {
		if last == nil {
			return nil
		}
		l := last
		last = nil
		if err := l.Drain(f.row); err != nil {
			return err
		}
		return f.flush()
	}
	each := jsonl.EachOptions{Name: opt.Name, Problems: opt.Problems, Flush: func() error {
		if last != nil {
			return nil // nothing is shown before the last N are known
		}
		return f.flush()
	}}
	if opt.Follow && last != nil {
		each.OnPause = release
	}
	err = jsonl.EachWith(ctx, in, each, func(line []byte, no int64) error {
		if last == nil {
			return f.row(line, no)
		}
		key := ""
		if view != nil && view.Load(line) == nil {
			key = view.String(id)
		}
		last.AddKey(key, line, no)
		return nil
	})
	if err != nil {
		return err
	}
	if err := release(); err != nil {
		return err
	}
	if err := f.finish(); err != nil {
		return err
	}
	return opt.Problems.Err()
}

type formatter struct {
	out    io.Writer
	opt    Options
	view   *record.View
	cols   []record.Col // the fields printed, in order
	csv    *csv.Writer
	sorted []record.Col // JSON: keys in alphabetical order, each once
	tree   *tree
	// colour: a failure or a loss
	recordType, exitStatus record.Col
	sb                     bytes.Buffer
	rec                    []string
}

func newFormatter(out io.Writer, opt Options) (*formatter, error) {
	if opt.Output == "" {
		opt.Output = Text
	}
	if opt.Output != Text && opt.Output != CSV && opt.Output != JSON {
		return nil, fmt.Errorf("invalid output format %q (text, csv or json)", opt.Output)
	}
	names := opt.Fields
	if names == nil {
		names = record.DefaultFields
	}
	all := slices.Clone(names)
	if opt.Tree && opt.Output == Text {
		all = append(all, treeKeys...)
	}
	if opt.Color {
		all = append(all, "record_type", "exit_status")
	}
	view, err := record.NewView(all...)
	if err != nil {
		return nil, err
	}
	f := &formatter{out: out, opt: opt, view: view}
	for _, n := range names {
		f.cols = append(f.cols, view.Col(n))
	}
	if opt.Tree && opt.Output == Text {
		f.tree = newTree(view)
	}
	if opt.Color {
		f.recordType, f.exitStatus = view.Col("record_type"), view.Col("exit_status")
	}
	switch opt.Output {
	case CSV:
		f.csv = csv.NewWriter(out)
		if err := f.csv.Write(names); err != nil {
			return nil, err
		}
	case JSON:
		f.sorted = slices.Clone(f.cols)
		name := func(c record.Col) string { return view.Field(c).Name }
		slices.SortFunc(f.sorted, func(a, b record.Col) int { return strings.Compare(name(a), name(b)) })
		f.sorted = slices.Compact(f.sorted)
	}
	return f, nil
}

// flush pushes out what was formatted: CSV's own buffer, then out's if it has one.
func (f *formatter) flush() error {
	if f.csv != nil {
		f.csv.Flush()
		if err := f.csv.Error(); err != nil {
			return err
		}
	}
	if fl, ok := f.out.(interface{ Flush() error }); ok {
		return fl.Flush()
	}
	return nil
}

func (f *formatter) finish() error {
	if f.csv != nil {
		f.csv.Flush()
		return f.csv.Error()
	}
	return nil
}

func (f *formatter) row(line []byte, lineNo int64) error {
	if err := f.view.Load(line); err != nil {
		f.opt.Problems.Addf(f.opt.Name, lineNo, "bad record: %v", err)
		return nil
	}
	switch f.opt.Output {
	case CSV:
		f.rec = f.rec[:0]
		for _, c := range f.cols {
			f.rec = append(f.rec, csvCell(f.plain(c)))
		}
		return f.csv.Write(f.rec)
	case JSON:
		return f.json()
	}
	return f.text()
}

func (f *formatter) time(c record.Col) string {
	s := f.view.String(c)
	if f.opt.FullTime || len(s) < 19 || s[10] != 'T' {
		return s
	}
	return s[:10] + " " + s[11:19] // in the record's own offset, as written
}

// plain is a field's value for CSV: exact, not escaped.
func (f *formatter) plain(c record.Col) string {
	if f.view.Field(c).Kind == record.KindTime {
		return f.time(c)
	}
	return f.view.Text(c)
}

func (f *formatter) text() error {
	b := &f.sb
	b.Reset()
	color := ""
	if f.opt.Color {
		typ := f.view.String(f.recordType)
		if n, ok := f.view.Int(f.exitStatus); typ == record.TypeFail || ok && n != 0 {
			color = "\x1b[31m"
		} else if typ == record.TypeLoss {
			color = "\x1b[33m"
		}
		b.WriteString(color)
	}
	if f.tree != nil {
		f.tree.prefix(b)
	}
	for i, c := range f.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		start := b.Len()
		switch fd := f.view.Field(c); {
		case fd.Name == "command":
			// argv shell-quoted, or the name it goes by with control characters escaped
			if argv, name := f.view.Command(c); argv != nil {
				Command(b, argv)
			} else {
				Escape(b, name)
			}
		case fd.Kind == record.KindArray:
			Command(b, f.view.Strings(c))
		case fd.Name == "parent_cmdline":
			Escape(b, f.view.String(c))
		case fd.Kind == record.KindString:
			if s := f.view.String(c); s != "" {
				Quote(b, s)
			}
		default:
			b.WriteString(f.plain(c))
		}
		if b.Len() == start {
			b.WriteByte('-') // an empty value still takes its column
		}
	}
	if color != "" {
		b.WriteString("\x1b[0m")
	}
	b.WriteByte('\n')
	_, err := f.out.Write(b.Bytes())
	return err
}

func (f *formatter) json() error {
	b := &f.sb
	b.Reset()
	b.WriteByte('{')
	for i, c := range f.sorted {
		if i > 0 {
			b.WriteByte(',')
		}
		fd := f.view.Field(c)
		b.WriteByte('"')
		b.WriteString(fd.Name)
		b.WriteString(`":`)
		switch {
		case fd.Name == "command":
			f.jsonCommand(b, c)
		case fd.Kind == record.KindTime:
			writeJSONString(b, f.time(c))
		case fd.Kind == record.KindDuration:
			writeJSONString(b, f.view.Text(c))
		case fd.Kind == record.KindNumber:
			if n := f.view.Number(c); n != "" {
				b.WriteString(n)
			} else {
				b.WriteString("null")
			}
		case fd.Kind == record.KindBool:
			b.WriteString(f.view.Text(c))
		case fd.Kind == record.KindArray:
			if raw := f.view.Raw(c); raw == nil {
				b.WriteString("[]")
			} else {
				b.Write(raw)
			}
		default:
			if raw := f.view.Raw(c); raw == nil {
				b.WriteString(`""`)
			} else {
				b.Write(raw) // already a JSON string: exact, as written
			}
		}
	}
	b.WriteString("}\n")
	_, err := f.out.Write(b.Bytes())
	return err
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.Write(record.AppendString(b.AvailableBuffer(), s))
}

// jsonCommand writes the command as a JSON string. When argv is a compact array of strings, its
// elements' JSON texts joined by spaces already are that string (a quote inside a JSON string is
// always escaped, so `","` only ever separates elements): nothing is decoded or encoded again.
func (f *formatter) jsonCommand(b *bytes.Buffer, c record.Col) {
	if raw := f.view.Raw(c); plainStrings(raw) && string(raw) != `[""]` { // [""]: the command is exe or comm
		inner := raw[2 : len(raw)-2]
		b.WriteByte('"')
		for {
			i := bytes.Index(inner, []byte(`","`))
			if i < 0 {
				break
			}
			b.Write(inner[:i])
			b.WriteByte(' ')
			inner = inner[i+3:]
		}
		b.Write(inner)
		b.WriteByte('"')
		return
	}
	writeJSONString(b, f.view.Text(c))
}

// plainStrings says whether a raw array is a list of strings written without spaces, so that
// splitting it on `","` gives the elements.
func plainStrings(raw []byte) bool {
	if len(raw) < 4 || raw[1] != '"' || raw[len(raw)-2] != '"' {
		return false
	}
	n, i := 0, 1
	for i < len(raw)-1 {
		if raw[i] != '"' {
			return false
		}
		end, err := record.SkipString(raw, i)
		if err != nil {
			return false
		}
		n++
		i = end
		if i < len(raw)-1 {
			if raw[i] != ',' {
				return false
			}
			i++
		}
	}
	return n == bytes.Count(raw, []byte(`","`))+1
}

// FromFlags checks the flag values prec and prec-fmt share and turns them into Options.
func FromFlags(output, fields string, last int, color string, terminal bool, noColor string) (Options, error) {
	var o Options
	switch output {
	case "", Text, CSV, JSON:
		o.Output = output
	default:
		return o, fmt.Errorf("invalid --output value: %s (text, csv or json)", output)
	}
	if last < 0 {
		return o, fmt.Errorf("invalid --limit %d: must be 0 or more", last)
	}
	o.Last = last
	if fields != "" {
		list, err := ParseFields(fields)
		if err != nil {
			return o, err
		}
		o.Fields = list
	}
	switch color {
	case "always":
		o.Color = true
	case "", "auto":
		o.Color = terminal && noColor == ""
	case "never":
	default:
		return o, fmt.Errorf("invalid --color value: %s (auto, always or never)", color)
	}
	return o, nil
}
