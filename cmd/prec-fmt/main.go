// Command prec-fmt prints prec records as text, CSV or JSON, or as a process tree.
//
//	prec-cat /var/log/prec/prec.log | prec-join | prec-fmt -o csv -f timestamp,user,command,exit_status
package main

import (
	"context"
	"os"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/cli/fmtflags"
	"github.com/prec-dev/prec/lib/format"
	"github.com/prec-dev/prec/lib/jsonl"
)

type options struct {
	fmtflags.Flags
}

var command = cli.Command{
	Name: "prec-fmt", Section: 1, Grace: cli.Grace,
	Short: "print prec records as text, CSV or JSON",
	Long: `prec-fmt prints the records of standard input. Text rows are fields separated by spaces, with
- for an empty value, arguments shell-quoted where needed and control characters escaped; CSV and
JSON carry the exact values (JSON keys sorted). --tree indents each command under the process that
ran it.`,
}

func main() { os.Exit(run(os.Args[1:], cli.OS())) }

func run(args []string, std cli.Stdio) int {
	var opt options
	return cli.Run(command, args, std, &opt, func(ctx context.Context, std cli.Stdio, rest []string) error {
		if len(rest) > 0 {
			return cli.Usagef("unexpected argument %q", rest[0])
		}
		fo, err := opt.Options(std)
		if err != nil {
			return err
		}
		fo.Name = "-"
		fo.Problems = jsonl.NewProblems(std.Err, "prec-fmt: ")
		return format.Run(ctx, std.In, std.Out, fo)
	})
}
