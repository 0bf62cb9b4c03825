// Command prec shows the commands precd recorded: it reads the log, joins each command's start and
// end, filters with a query and prints them. It runs the stages prec-cat, prec-join, prec-filter and
// prec-fmt in one process, connected as the shell would connect the binaries.
//
//	prec -q 'uid>=1000 && exit_status!=0' -f +exit_status,cwd
package main

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/cli/fmtflags"
	"github.com/prec-dev/prec/lib/config"
	"github.com/prec-dev/prec/lib/filter"
	"github.com/prec-dev/prec/lib/format"
	"github.com/prec-dev/prec/lib/join"
	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/logio"
	"github.com/prec-dev/prec/lib/pipeline"
	"github.com/prec-dev/prec/lib/query"
	"github.com/prec-dev/prec/lib/record"
)

type options struct {
	Input     cli.Filename `short:"i" long:"input" value-name:"FILE" description:"Log to read, - for standard input (default: log_path of the configuration, else /var/log/prec/prec.log)"`
	AllLogs   bool         `short:"a" long:"all-logs" description:"Read the rotated logs too, oldest first (with -F: for the rows shown before following)"`
	AnySource bool         `short:"A" long:"any-source" description:"Show commands of every source (same as -s any)"`
	Source    string       `short:"s" long:"source" default:"user" value-name:"user|system|any" description:"Show commands of this source; a query that names source overrides it"`
	Query     []string     `short:"q" long:"query" value-name:"QUERY" unquote:"false" description:"Filter: key op value clauses (op: = != > >= < <= ~= !~=) joined by && and ||, with ( ) and \"quoted values\"; repeatable (all must match)"`
	JQ        string       `long:"jq" value-name:"EXPR" unquote:"false" description:"Also keep only rows for which this jq expression is neither false nor null"`
	fmtflags.Flags
	EndRows bool         `long:"end-rows" description:"With -F: print each command again when it ends, finished, also when no field shown or queried needs its end"`
	Config  cli.Filename `short:"c" long:"config" default:"/etc/prec/precd.conf" value-name:"FILE" description:"precd's configuration, for the log path"`
}

var command = cli.Command{
	Name: "prec", Section: 1, Grace: cli.Grace,
	Short: "show the commands precd recorded",
	Help: map[string]string{
		"limit":  "Print only the last N rows (0: all); with -F: the last N rows before following (0: none)",
		"follow": "Follow the log: print each command when it starts, and again when it ends if an end field (exit_status, duration, duration_ns, end_timestamp, signal, ...) is shown or queried, or with --end-rows",
	},
	Long: `prec reads the log precd writes (log_path of /etc/prec/precd.conf, else /var/log/prec/prec.log),
joins each command's start and end records into one row, keeps the rows that match the queries, and
prints them as text, CSV or JSON. By default it shows commands typed in a terminal's shell
(source=user); -A shows all.

Queries are key op value clauses (op: = != > >= < <= ~= !~=) joined by && (binds tighter) and ||,
grouped with ( ); a bare value runs to the next && or || and may hold commas, spaces and operators;
"a quoted value" may hold anything. Example: prec -q 'user=alice && (exit_status!=0 || record_type=fail)'.

prec runs the stages prec-cat, prec-join, prec-filter and prec-fmt in one process; its output equals
theirs in a shell pipeline. Exit status: 0 done (also when the reader of the output goes away, or
SIGINT or SIGTERM stopped it: within a second, a second signal at once), 1 runtime failure or bad
records skipped, 2 usage error.`,
}

func main() { os.Exit(run(os.Args[1:], cli.OS())) }

func run(args []string, std cli.Stdio) int {
	var opt options
	return cli.Run(command, args, std, &opt, func(ctx context.Context, std cli.Stdio, rest []string) error {
		if len(rest) > 0 {
			return cli.Usagef("unexpected argument %q", rest[0])
		}
		stages, err := plan(&opt, std)
		if err != nil {
			return err
		}
		return pipeline.Run(ctx, std.In, std.Out, stages...)
	})
}

// logPath is the log_path of precd's configuration at path (the default log when there is no file).
// lib/config links no BPF: prec builds for any platform.
var logPath = config.LogPath

// Plan is the list of stages for the flags: the same ones, with the same options, that the shell
// pipeline prec-cat | prec-join | prec-filter | prec-fmt runs.
func plan(opt *options, std cli.Stdio) ([]pipeline.Stage, error) {
	fo, err := opt.Options(std)
	if err != nil {
		return nil, err
	}
	switch opt.Source {
	case "", "user", "system", "any":
	default:
		return nil, cli.Usagef("invalid --source value: %s (user, system or any)", opt.Source)
	}
	if opt.AnySource {
		opt.Source = "any"
	}
	queries := opt.Query
	fl, err := filter.Compile(queries, opt.JQ)
	if err != nil {
		return nil, cli.Usagef("%v", err)
	}
	if src := opt.Source; src != "any" && (fl.Query == nil || !fl.Query.Names("source")) {
		if src == "" {
			src = "user"
		}
		queries = append([]string{"source=" + src}, queries...)
		if fl, err = filter.Compile(queries, opt.JQ); err != nil {
			return nil, cli.Usagef("%v", err)
		}
	}
	path := string(opt.Input)
	if path == "" {
		if path, err = logPath(string(opt.Config)); err != nil {
			return nil, err
		}
	}
	problems := func(stage string) *jsonl.Problems { return jsonl.NewProblems(std.Err, "prec: "+stage+": ") }
	cat := logio.CatOptions{Paths: []string{path}, All: opt.AllLogs, Follow: opt.Follow, Problems: problems("cat")}
	if opt.Follow && opt.Limit > 0 || path == "-" {
		// The rows to show before following are picked after the filter; standard input is
		// shown as it comes: it has no end to start following from.
		cat.Last = -1
	}
	// Following, a command's end makes a second row only when something shown or queried needs it.
	jo := join.Options{Follow: opt.Follow, DropEnds: opt.Follow && !opt.EndRows && !needsEnd(fo.Fields, fl.Query, opt.JQ), Problems: problems("join")}
	fl.Problems = problems("filter")
	fo.Problems = problems("fmt")
	stages := []pipeline.Stage{
		{Name: "cat", Run: func(ctx context.Context, r io.Reader, w io.Writer) error {
			return logio.Cat(ctx, r, w, cat) // r: standard input, for -i -
		}},
		{Name: "join", Run: func(ctx context.Context, r io.Reader, w io.Writer) error {
			return join.Run(ctx, r, w, jo)
		}},
	}
	if fl.Query != nil || fl.JQ != nil {
		stages = append(stages, pipeline.Stage{Name: "filter", Run: func(ctx context.Context, r io.Reader, w io.Writer) error {
			return filter.Run(ctx, r, w, fl)
		}})
	}
	stages = append(stages, pipeline.Stage{Name: "fmt", Run: func(ctx context.Context, r io.Reader, w io.Writer) error {
		return format.Run(ctx, r, w, fo)
	}})
	return stages, nil
}

// needsEnd says whether a row is different once its command ended: a field only an end gives (exit
// status, duration, end time, signal, ...) is printed, or named by the query or the jq expression
// (which is not parsed: naming the field anywhere in its text counts).
func needsEnd(fields []string, q *query.Query, jq string) bool {
	if fields == nil {
		fields = record.DefaultFields
	}
	for _, n := range fields {
		if f := record.Lookup(n); f != nil && f.End {
			return true
		}
	}
	for _, f := range record.Fields {
		if f.End && (q != nil && q.Names(f.Name) || strings.Contains(jq, f.Name)) {
			return true
		}
	}
	return false
}
