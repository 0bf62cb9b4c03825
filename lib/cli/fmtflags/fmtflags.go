// Package fmtflags holds the output flags prec and prec-fmt share, as one struct each embeds, and
// checks them once, turning them into format.Options.
package fmtflags

import (
	"github.com/prec-dev/prec/lib/cli"
	"github.com/prec-dev/prec/lib/format"
)

// Flags are the output flags. prec gives -n and -F help of its own (cli.Command.Help): there the
// input is the log it follows.
type Flags struct {
	Fields   string `short:"f" long:"fields" value-name:"LIST" description:"Fields to print, comma-separated; +name,... and -name,... edit the default list (timestamp,user,group,command); all: every field of the reference, the default ones first"`
	FullTime bool   `long:"full-time" description:"Print timestamps in full (RFC 3339, nanoseconds)"`
	Limit    int    `short:"n" long:"limit" default:"0" value-name:"N" description:"Print only the last N rows (0: all); with --follow, N rows from before, then every row"`
	Follow   bool   `short:"F" long:"follow" description:"The input is live: with -n, the last N rows are those before it first pauses"`
	Tree     bool   `long:"tree" description:"Text: indent each command under the process that started it (not with --follow)"`
	Output   string `short:"o" long:"output" default:"text" value-name:"text|csv|json" description:"Output format (csv: control characters escaped as in text, and a cell starting with = + - @ tab or CR gets a leading ' so that no spreadsheet runs it)"`
	Color    string `long:"color" default:"auto" value-name:"auto|always|never" description:"Colour failures in text output (auto: on a terminal, unless NO_COLOR is set)"`
}

// Options checks the flags and returns the options they give format.Run (without Name and
// Problems). A mistake is a *cli.UsageError naming the first one: output, limit, fields, colour,
// then --tree with --follow. Colour on "auto" depends on whether std.Out is a terminal and on
// NO_COLOR.
func (f *Flags) Options(std cli.Stdio) (format.Options, error) {
	noColor := ""
	if std.Getenv != nil {
		noColor = std.Getenv("NO_COLOR")
	}
	o, err := format.FromFlags(f.Output, f.Fields, f.Limit, f.Color, std.OutTerminal, noColor)
	if err != nil {
		return format.Options{}, cli.Usagef("%v", err)
	}
	if f.Tree && f.Follow {
		// A followed command comes twice, started and then finished, and the rows under it
		// may already be out: a tree cannot be drawn as the rows come.
		return format.Options{}, cli.Usagef("--tree cannot be used with --follow (-F)")
	}
	o.FullTime, o.Tree, o.Follow = f.FullTime, f.Tree, f.Follow
	return o, nil
}
