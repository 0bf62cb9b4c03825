package fmtflags

import (
	"errors"
	"fmt"
	"testing"

	"github.com/prec-dev/prec/lib/cli"
)

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		name     string
		f        Flags
		terminal bool
		noColor  string
		want     string // the options that matter, or the usage error
	}{
		{"defaults", Flags{Output: "text", Color: "auto"}, false, "", "text [] last 0 color false tree false follow false full false"},
		{"all of them", Flags{Output: "csv", Fields: "+pid", Limit: 3, Follow: true, FullTime: true, Color: "always"}, false, "",
			"csv [timestamp user group command pid] last 3 color true tree false follow true full true"},
		{"tree", Flags{Output: "text", Tree: true, Color: "never"}, true, "", "text [] last 0 color false tree true follow false full false"},
		{"auto on a terminal", Flags{Color: "auto"}, true, "", " [] last 0 color true tree false follow false full false"},
		{"NO_COLOR", Flags{Color: "auto"}, true, "1", " [] last 0 color false tree false follow false full false"},
		{"tree and follow", Flags{Tree: true, Follow: true}, false, "", "usage: --tree cannot be used with --follow (-F)"},
		{"bad output first", Flags{Output: "JSON", Tree: true, Follow: true}, false, "", "usage: invalid --output value: JSON (text, csv or json)"},
		{"bad limit", Flags{Limit: -1}, false, "", "usage: invalid --limit -1: must be 0 or more"},
		{"bad fields", Flags{Fields: "bogus"}, false, "", `usage: invalid --fields "bogus": unknown field "bogus"`},
		{"bad color", Flags{Color: "sometimes"}, false, "", "usage: invalid --color value: sometimes (auto, always or never)"},
	} {
		std := cli.Stdio{OutTerminal: c.terminal, Getenv: func(k string) string {
			if k == "NO_COLOR" {
				return c.noColor
			}
			return ""
		}}
		o, err := c.f.Options(std)
		got := fmt.Sprintf("%s %v last %d color %v tree %v follow %v full %v", o.Output, o.Fields, o.Last, o.Color, o.Tree, o.Follow, o.FullTime)
		if err != nil {
			var ue *cli.UsageError
			if !errors.As(err, &ue) {
				t.Errorf("%s: %v is not a usage error", c.name, err)
			}
			got = "usage: " + err.Error()
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}
