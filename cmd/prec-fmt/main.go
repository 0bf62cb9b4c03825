// Command prec-fmt prints prec records as text, CSV or JSON, or as a process tree.
//
//	prec-cat /var/log/prec/prec.log | prec-join | prec-fmt -o csv -f timestamp,user,command,exit_status
package main

import (
	"context"
	"os"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/format"
	"github.com/prec-dev/prec/lib/jsonl"
)

type options struct {
	Output   string `short:"o" long:"output" default:"text" value-name:"text|csv|json" description:"Output format"`
	Fields   string `short:"f" long:"fields" value-name:"LIST" description:"Fields to print, comma-separated; +name,... and -name,... edit the default list; all: every field"`
	FullTime bool   `long:"full-time" description:"Print timestamps in full (RFC 3339, nanoseconds)"`
	Tree     bool   `long:"tree" description:"Text: indent each command under the process that started it"`
	Last     int    `short:"n" long:"limit" default:"0" value-name:"N" description:"Print only the last N rows (0: all); with --follow, N rows from before, then every row"`
	Follow   bool   `short:"F" long:"follow" description:"The input is live: with -n, the last N rows are those before it first pauses"`
	Color    string `long:"color" default:"auto" value-name:"auto|always|never" description:"Colour failures in text output (auto: on a terminal, unless NO_COLOR is set)"`
}

var command = cli.Command{
	Name: "prec-fmt", Section: 1,
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
		fo, err := format.FromFlags(opt.Output, opt.Fields, opt.Last, opt.Color, std.OutTerminal, std.Getenv("NO_COLOR"))
		if err != nil {
			return cli.Usagef("%v", err)
		}
		fo.FullTime, fo.Tree, fo.Follow = opt.FullTime, opt.Tree, opt.Follow
		fo.Name = "-"
		fo.Problems = jsonl.NewProblems(std.Err, "prec-fmt: ")
		return format.Run(ctx, std.In, std.Out, fo)
	})
}
