// Command prec-filter passes on the records that match a query, unchanged.
//
//	prec-cat /var/log/prec/prec.log | prec-join | prec-filter 'uid>=1000 && exit_status!=0' | prec-fmt
package main

import (
	"context"
	"os"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/filter"
	"github.com/prec-dev/prec/lib/jsonl"
)

type options struct {
	JQ   string `long:"jq" value-name:"EXPR" unquote:"false" description:"Also keep only records for which this jq expression is neither false nor null"`
	Args struct {
		Queries []string `positional-arg-name:"QUERY"`
	} `positional-args:"yes"`
}

var command = cli.Command{
	Name: "prec-filter", Section: 1, Grace: cli.Grace, Usage: "[OPTIONS] [QUERY...]",
	Short: "pass on the records that match queries",
	Long: `prec-filter copies to standard output, unchanged, the records of standard input that match
every QUERY and the --jq expression. A query is key op value clauses (op: = != > >= < <= ~= !~=)
joined by && and ||, grouped with ( ); see prec(1). A bad query is a usage error (exit status 2,
no output).`,
}

func main() { os.Exit(run(os.Args[1:], cli.OS())) }

func run(args []string, std cli.Stdio) int {
	var opt options
	return cli.Run(command, args, std, &opt, func(ctx context.Context, std cli.Stdio, rest []string) error {
		fo, err := filter.Compile(opt.Args.Queries, opt.JQ)
		if err != nil {
			return cli.Usagef("%v", err)
		}
		fo.Name = "-"
		fo.Problems = jsonl.NewProblems(std.Err, "prec-filter: ")
		return filter.Run(ctx, std.In, std.Out, fo)
	})
}
