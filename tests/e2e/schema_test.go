package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

func loadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		schema, schemaErr = c.Compile(filepath.Join("..", "..", "docs", "record.schema.json"))
	})
	if schemaErr != nil {
		t.Fatalf("schema: %v", schemaErr)
	}
	return schema
}

// validate checks every line of out (JSON records) against docs/record.schema.json.
func validate(t *testing.T, what string, out []byte) {
	t.Helper()
	schema := loadSchema(t)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(sc.Bytes()))
		if err != nil {
			t.Errorf("%s:%d: %v", what, n, err)
			continue
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s:%d does not match docs/record.schema.json: %v\n%s", what, n, err, sc.Bytes())
		}
	}
}

// validateLog checks the raw records of a log and its joined rows.
func validateLog(t *testing.T, log string) {
	t.Helper()
	raw, err := exec.Command(filepath.Join(binDir, "prec-cat"), "-a", log).Output()
	if err != nil {
		t.Fatalf("prec-cat: %v", err)
	}
	validate(t, log, raw)
	join := exec.Command(filepath.Join(binDir, "prec-join"))
	join.Stdin = bytes.NewReader(raw)
	joined, err := join.Output()
	if err != nil {
		t.Fatalf("prec-join: %v", err)
	}
	validate(t, fmt.Sprintf("prec-join < %s", log), joined)
}

// TestSchemaRejects: the schema is strict: a record with a field it does not describe, a wrong type
// or a missing key fails (so a field added to the daemon must be added to docs/ too).
func TestSchemaRejects(t *testing.T) {
	good := `{"timestamp":"2026-11-22T13:33:29.485285684Z","event_id":"20261122133327-4","uid":0,"gid":0,"user":"root","group":"root","pid":1,"ppid":0,"comm":"ls","exe":"/usr/bin/ls","cwd":"/","argv":["ls"],"argc":1,"source":"user","record_type":"start","process_key":"1@2","parent_key":"0@0"`
	for _, c := range []struct {
		line  string
		valid bool
	}{
		{good + `}`, true},
		{good + `,"surprise":1}`, false},
		{strings.Replace(good, `"uid":0`, `"uid":"0"`, 1) + `}`, false},
		{strings.Replace(good, `"comm":"ls",`, ``, 1) + `}`, false},
		{strings.Replace(good, `"event_id":"20261122133327-4"`, `"event_id":"x"`, 1) + `}`, false},
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(c.line))
		if err := loadSchema(t).Validate(inst); (err == nil) != c.valid {
			t.Errorf("%.80s...: valid %v, want %v (%v)", c.line[len(c.line)-60:], err == nil, c.valid, err)
		}
	}
}
