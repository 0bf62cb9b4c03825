// Command prec-join joins the start and end records of each command into one record of type command.
//
//	prec-cat -a /var/log/prec/prec.log | prec-join | prec-fmt
package main

import (
	"context"
	"os"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/join"
	"github.com/prec-dev/prec/lib/jsonl"
)

type options struct {
	Window   int  `long:"window" default:"20000" value-name:"N" description:"A start waits for its end while fewer than N later records have come; then it goes out unfinished"`
	Follow   bool `short:"F" long:"follow" description:"Print each start at once, and again finished when its end comes (for live input)"`
	DropEnds bool `long:"drop-ends" description:"Drop end records: each start goes out at once, unfinished, one row per command (what prec -F does when no end field is shown or queried)"`
}

var command = cli.Command{
	Name: "prec-join", Section: 1, Grace: cli.Grace,
	Short: "join start and end records into command records",
	Long: `prec-join reads records on standard input. A start record and the end record with the same
event_id become one record of type command with end_timestamp, exit_status, duration_ns and the end's
other fields; fail, loss and unknown records pass through unchanged. Rows come out in the order of
their starts. A start waits for its end while fewer than --window later records have come; then it
goes out unfinished, so memory stays bounded. With -F each start is printed at once, and again when
its end comes; with --drop-ends only once, as it starts.`,
}

func main() { os.Exit(run(os.Args[1:], cli.OS())) }

func run(args []string, std cli.Stdio) int {
	var opt options
	return cli.Run(command, args, std, &opt, func(ctx context.Context, std cli.Stdio, rest []string) error {
		if len(rest) > 0 {
			return cli.Usagef("unexpected argument %q", rest[0])
		}
		if opt.Window < 1 {
			return cli.Usagef("invalid --window %d: must be 1 or more", opt.Window)
		}
		return join.Run(ctx, std.In, std.Out, join.Options{
			Window: opt.Window, Follow: opt.Follow, DropEnds: opt.DropEnds, Name: "-",
			Problems: jsonl.NewProblems(std.Err, "prec-join: "),
		})
	})
}
