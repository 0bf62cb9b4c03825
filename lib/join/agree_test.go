package join_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"github.com/prec-dev/prec/lib/format"
	"github.com/prec-dev/prec/lib/join"
	"github.com/prec-dev/prec/lib/jsonl"
	"github.com/prec-dev/prec/lib/query"
)

// TestReadersAgree runs the same start and end records through join, then the joined row through a
// query, a CSV column and --jq: for any valid JSON (spaces anywhere, keys repeated, keys spelled with
// escapes, nested objects) they all see the same value, and where a key is repeated it is the last
// one, as in jq.
func TestReadersAgree(t *testing.T) {
	const end = `{"timestamp":"2026-11-22T13:33:31Z","event_id":"e-1","pid":7,"source":"user","record_type":"end","exit_status":3,"duration_ns":1500000000}`
	for _, c := range []struct {
		name       string
		start, end string
		want       map[string]string // field -> value as CSV prints it (full time)
	}{
		{"compact",
			`{"timestamp":"2026-11-22T13:33:29Z","event_id":"e-1","uid":1000,"user":"alice","argv":["ls"],"record_type":"start"}`, end,
			map[string]string{"timestamp": "2026-11-22T13:33:29Z", "uid": "1000", "user": "alice", "exit_status": "3"}},
		{"spaces after colons (json.dumps)",
			`{"timestamp": "2026-11-22T13:33:29Z", "event_id": "e-1", "uid": 1000, "user": "alice", "argv": ["ls"], "record_type": "start"}`,
			`{"timestamp": "2026-11-22T13:33:31Z", "event_id": "e-1", "pid": 7, "record_type": "end", "exit_status": 3}`,
			map[string]string{"timestamp": "2026-11-22T13:33:29Z", "uid": "1000", "end_timestamp": "2026-11-22T13:33:31Z", "exit_status": "3"}},
		{"spaces everywhere",
			" {  \"record_type\" :\"start\" ,\t\"event_id\" : \"e-1\" , \"timestamp\"  :  \"2026-11-22T13:33:29Z\" , \"uid\" : 5 } ", end,
			map[string]string{"timestamp": "2026-11-22T13:33:29Z", "uid": "5", "exit_status": "3"}},
		{"only the first key wanted, with a space",
			`{"timestamp": "2026-11-22T13:33:29Z","event_id":"e-1","record_type":"start"}`, end,
			map[string]string{"timestamp": "2026-11-22T13:33:29Z"}},
		{"repeated keys: the last counts",
			`{"timestamp":"2026-01-01T00:00:00Z","uid":1,"event_id":"e-0","user":"bob","record_type":"end","record_type":"start","event_id":"e-1","uid":2,"user":"alice","timestamp":"2026-11-22T13:33:29Z"}`, end,
			map[string]string{"timestamp": "2026-11-22T13:33:29Z", "uid": "2", "user": "alice", "exit_status": "3"}},
		{"repeated keys in the end record",
			`{"timestamp":"2026-11-22T13:33:29Z","event_id":"e-1","uid":1,"record_type":"start"}`,
			`{"timestamp":"2026-11-22T13:33:31Z","event_id":"e-9","record_type":"start","exit_status":1,"event_id":"e-1","record_type":"end","exit_status":4}`,
			map[string]string{"uid": "1", "exit_status": "4"}},
		{"repeated keys with spaces",
			`{"uid": 1, "event_id": "e-1", "record_type": "start", "uid": 6}`, end,
			map[string]string{"uid": "6", "exit_status": "3"}},
		{"a key spelled with escapes",
			`{"uid":1,"event_id":"e-1","record_type":"start","u\u0069d":8,"us\u0065r":"eve"}`, end,
			map[string]string{"uid": "8", "user": "eve", "exit_status": "3"}},
		{"nested objects and key text inside strings",
			`{"x":{"record_type":"end","uid":9},"event_id":"e-1","argv":["\"record_type\":\"end\"",",\"uid\":3"],"uid":1,"record_type":"start","y":[{"event_id":"e-2"}]}`, end,
			map[string]string{"uid": "1", "argv": `"record_type":"end" ,"uid":3`, "exit_status": "3"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var joined, errs bytes.Buffer
			err := join.Run(context.Background(), strings.NewReader(c.start+"\n"+c.end+"\n"), &joined, join.Options{Name: "x", Problems: jsonl.NewProblems(&errs, "")})
			if err != nil || errs.Len() > 0 {
				t.Fatalf("join: %v %s", err, errs.String())
			}
			row := bytes.TrimSuffix(joined.Bytes(), []byte("\n"))
			if bytes.Count(joined.Bytes(), []byte("\n")) != 1 {
				t.Fatalf("join wrote %q, want one command row", joined.String())
			}
			check(t, row, "record_type", "command")
			for field, want := range c.want {
				check(t, row, field, want)
			}
		})
	}
}

// check: a query, a CSV column and jq see want as field's value in row.
func check(t *testing.T, row []byte, field, want string) {
	t.Helper()
	q, err := query.Compile(field + "=" + strconv.Quote(want))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Match(row); !ok || err != nil {
		t.Errorf("query %s=%q does not match %s (%v)", field, want, row, err)
	}
	var out bytes.Buffer
	err = format.Run(context.Background(), bytes.NewReader(row), &out, format.Options{Output: format.CSV, Fields: []string{field}, FullTime: true})
	if err != nil {
		t.Fatal(err)
	}
	if cells, err := csv.NewReader(&out).ReadAll(); err != nil || len(cells) != 2 || cells[1][0] != want {
		t.Errorf("CSV column %s = %q (%v), want %q, in %s", field, cells, err, want, row)
	}
	jq, err := query.CompileJQ(`(.` + field + ` | if type == "array" then join(" ") else tostring end) == ` + strconv.Quote(want))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := jq.Match(context.Background(), row); !ok || err != nil {
		t.Errorf("jq .%s is not %q in %s (%v)", field, want, row, err)
	}
}
