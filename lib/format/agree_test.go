package format_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/format"
	"github.com/prec-dev/prec/lib/query"
)

// TestFilterAgreesWithColumn: for the derived and defaulted fields, the value a query compares is the
// value the column prints, on rows where they are computed each way (argv empty or [""], euid absent,
// no duration, repeated keys).
func TestFilterAgreesWithColumn(t *testing.T) {
	rows := []struct{ line, command, euid, egid, duration string }{
		{`{"argv":["ls","-l"],"exe":"/bin/ls","comm":"ls","uid":1000,"gid":1000,"duration_ns":1500000000}`, "ls -l", "1000", "1000", "0000-00-00 00:00:01"},
		{`{"argv":[],"exe":"/bin/x","comm":"x","uid":5,"euid":0,"gid":5,"egid":7}`, "/bin/x", "0", "7", ""},
		{`{"argv":[""],"exe":"","comm":"kworker","uid":0,"gid":0}`, "kworker", "0", "0", ""},
		{`{"argv":null,"exe":"/e","uid":4,"euid":null,"gid":4,"duration_ns":null}`, "/e", "4", "4", ""},
		{`{"comm":"c"}`, "c", "", "", ""},
		{`{"argv":["a","","b"],"uid":3,"euid":3,"gid":1,"duration_ns":90061000000000}`, "a  b", "3", "1", "0000-00-01 01:01:01"},
		{`{"argv":["x"],"gid":1,"uid":1,"argv":["y", "z"],"euid":1,"euid":2,"duration_ns":1,"duration_ns":61000000000}`, "y z", "2", "1", "0000-00-00 00:01:01"},
	}
	fields := []string{"command", "euid", "egid", "duration"}
	for _, r := range rows {
		var out bytes.Buffer
		if err := format.Run(context.Background(), strings.NewReader(r.line+"\n"), &out, format.Options{Output: format.CSV, Fields: fields}); err != nil {
			t.Fatal(err)
		}
		cells, err := csv.NewReader(&out).ReadAll()
		if err != nil || len(cells) != 2 {
			t.Fatalf("%s: CSV %q %v", r.line, cells, err)
		}
		for i, want := range []string{r.command, r.euid, r.egid, r.duration} {
			field, cell := fields[i], cells[1][i]
			if cell != want {
				t.Errorf("%s: column %s = %q, want %q", r.line, field, cell, want)
			}
			var matches, misses string // a query that must match the row and one that must not
			switch {
			case field == "command":
				matches, misses = "command="+strconv.Quote(cell), "command!="+strconv.Quote(cell)
			case cell == "" && field == "duration":
				misses = "duration>=0s" // no value: no comparison holds
			case field == "duration": // the column shows whole seconds
				matches, misses = "duration>="+cell, "duration<"+cell
			case cell == "":
				misses = field + ">=0"
			default:
				matches, misses = field+"="+cell, field+"!="+cell
			}
			for q, want := range map[string]bool{matches: true, misses: false} {
				if q == "" {
					continue
				}
				cq, err := query.Compile(q)
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := cq.Match([]byte(r.line)); ok != want || err != nil {
					t.Errorf("%s: query %s = %v (%v), but the column shows %q", r.line, q, ok, err, cell)
				}
			}
		}
	}
}
