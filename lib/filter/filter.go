// Package filter is the prec-filter stage: it passes on the records that match a query, unchanged.
package filter

import (
	"context"
	"io"

	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/query"
)

// Options says what to keep; with neither a query nor a jq expression every valid record passes.
type Options struct {
	Query    *query.Query // may be nil
	JQ       *query.JQ    // may be nil; applied after Query
	Name     string       // the input's name in messages ("-": standard input)
	Problems *jsonl.Problems
}

// Compile builds the Options for queries (all must match) and a jq expression (none if empty).
func Compile(queries []string, jq string) (Options, error) {
	var o Options
	if len(queries) > 0 {
		q, err := query.Compile(queries...)
		if err != nil {
			return o, err
		}
		o.Query = q
	}
	if jq != "" {
		j, err := query.CompileJQ(jq)
		if err != nil {
			return o, err
		}
		o.JQ = j
	}
	return o, nil
}

// Run copies the records of in that match to out, byte for byte. Bad lines are reported to
// opt.Problems and skipped; the run then ends with the error of Problems.Err. When ctx is done it
// returns ctx.Err() promptly, also from inside a jq program that would never end.
func Run(ctx context.Context, in io.Reader, out io.Writer, opt Options) error {
	q := opt.Query
	if q == nil {
		q, _ = query.Compile() // matches every object
	}
	err := jsonl.Each(ctx, in, out, opt.Name, opt.Problems, func(line []byte, n int64) error {
		ok, err := q.Match(line)
		if err != nil {
			opt.Problems.Addf(opt.Name, n, "bad record: %v", err)
			return nil
		}
		if ok && opt.JQ != nil {
			if ok, err = opt.JQ.Match(ctx, line); err != nil {
				if ctx.Err() != nil {
					return ctx.Err() // stopped, not a bad record
				}
				opt.Problems.Addf(opt.Name, n, "%v", err)
				return nil
			}
		}
		if !ok {
			return nil
		}
		if _, err := out.Write(line); err != nil {
			return err
		}
		_, err = out.Write(nl)
		return err
	})
	if err != nil {
		return err
	}
	return opt.Problems.Err()
}

var nl = []byte{'\n'}
