// Command confpage writes the manual page precd.conf(5) from the example configuration, whose
// comments document every key: the page cannot drift from the file administrators edit.
//
//	go run ./packaging/man/confpage < packaging/precd.conf.example > packaging/man/precd.conf.5
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := write(os.Stdout, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "confpage:", err)
		os.Exit(1)
	}
}

var setting = regexp.MustCompile(`^#(\w+) = (.*)$`)

// write converts the example configuration to roff.
func write(w io.Writer, r io.Reader) error {
	var blocks [][]string
	var cur []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			if len(cur) > 0 {
				blocks = append(blocks, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, sc.Text())
	}
	if len(cur) > 0 {
		blocks = append(blocks, cur)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(blocks) == 0 {
		return fmt.Errorf("empty example")
	}
	t := time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		t = time.Unix(n, 0)
	}
	fmt.Fprintf(w, ".TH precd.conf 5 \"%s\"\n.SH NAME\nprecd.conf \\- configuration of precd(8)\n", t.Format("2 January 2006"))
	fmt.Fprintln(w, ".SH SYNOPSIS\n/etc/prec/precd.conf\n.SH DESCRIPTION")
	for _, l := range blocks[0] {
		fmt.Fprintln(w, quote(strings.TrimPrefix(strings.TrimPrefix(l, "#"), " ")))
	}
	fmt.Fprintln(w, ".SH KEYS")
	for _, b := range blocks[1:] {
		var prose, keys, example []string
		for _, l := range b {
			switch m := setting.FindStringSubmatch(l); {
			case m != nil && len(keys) == 0 || m != nil && len(example) == 0:
				val := m[2]
				if val == "[" {
					val = "[ rules ]"
				}
				keys = append(keys, fmt.Sprintf("\\fB%s\\fR = %s", m[1], quote(val)))
				if strings.HasSuffix(m[2], "[") {
					example = append(example, quote(strings.TrimPrefix(l, "#")))
				}
			case len(example) > 0:
				example = append(example, quote(strings.TrimPrefix(l, "#")))
			default:
				prose = append(prose, quote(strings.TrimPrefix(strings.TrimPrefix(l, "#"), " ")))
			}
		}
		for i, k := range keys {
			if i == 0 {
				fmt.Fprintf(w, ".TP\n%s\n", k)
			} else {
				fmt.Fprintf(w, ".TQ\n%s\n", k)
			}
		}
		fmt.Fprintln(w, strings.Join(prose, "\n"))
		if len(example) > 1 {
			fmt.Fprintf(w, "For example:\n.nf\n%s\n.fi\n", strings.Join(example, "\n"))
		}
	}
	fmt.Fprintln(w, ".SH FILES\n/etc/prec/precd.conf, /var/log/prec/prec.log\n.SH SEE ALSO\nprecd(8), prec(1)")
	return nil
}

// quote escapes what roff would read as commands: backslashes, and a leading dot or quote.
func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
