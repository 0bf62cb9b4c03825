// Command prec-cat writes the records of prec logs (plain, gzip or zstd) to standard output, one per
// line: a log's whole rotated set with -a, and following it as it grows with -F.
//
//	prec-cat -a /var/log/prec/prec.log | prec-join | prec-fmt
package main

import (
	"context"
	"os"

	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/logio"
)

type options struct {
	All    bool `short:"a" long:"all-logs" description:"Read each file's rotated set too (prec.log.2.gz, prec.log.1, prec.log), oldest first"`
	Follow bool `short:"F" long:"follow" description:"Then follow the last file as it grows, across rotation (like tail -F)"`
	Last   int  `short:"n" long:"lines" default:"0" value-name:"N" description:"Start with the last N records (0: all, but with -F none; --lines=-1: all, also with -F)"`
	Args   struct {
		Files []cli.Filename `positional-arg-name:"FILE"`
	} `positional-args:"yes"`
}

var command = cli.Command{
	Name: "prec-cat", Section: 1, Grace: cli.Grace, Usage: "[OPTIONS] [FILE...]",
	Short: "write the records of prec logs, decompressed, following them if asked",
	Long: `prec-cat writes the records of plain, gzip and zstd logs (layers may nest: a gzipped zstd log
works) to standard output, one JSON object per line; standard input when no file or - is given. With
-a it reads each file's rotated set, oldest first; with -F it then follows the last file across
rename rotation and copytruncate, like tail -F, never printing half a line.

A file is read as a sequence of units found by scanning (zstd frames, gzip members, plain lines), so
junk or a torn unit costs only itself: reading resumes at the next unit. Each damaged region is
reported once, as FILE: bytes A-B damaged (what): N records lost (exact where the unit's index
survived, else about N), and the exit status is then 1; all other records are written. The torn tail
of a log that a running precd is writing is not damage. A unit read already (precd writes its last
one again after a copytruncate) is skipped. A line that is not a JSON object is reported as
FILE:LINE: bad record.`,
}

func main() { os.Exit(run(os.Args[1:], cli.OS())) }

func run(args []string, std cli.Stdio) int {
	var opt options
	return cli.Run(command, args, std, &opt, func(ctx context.Context, std cli.Stdio, rest []string) error {
		if opt.Last < -1 {
			return cli.Usagef("invalid --lines %d: must be -1 (all) or more", opt.Last)
		}
		var paths []string
		for _, f := range opt.Args.Files {
			paths = append(paths, string(f))
		}
		return logio.Cat(ctx, std.In, std.Out, logio.CatOptions{
			Paths: paths, All: opt.All, Follow: opt.Follow, Last: opt.Last,
			Problems: jsonl.NewProblems(std.Err, "prec-cat: "),
		})
	})
}
