package redact

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/cases.json from defaultRows")

// testdata/cases.json is defaultRows for other tests (precd's end-to-end test runs each row through
// a real exec): {"name", "exe", "argv", "want", "redacted"}, want null when nothing is hidden.
// go test ./lib/redact -run TestCasesFile -update rewrites it.
func TestCasesFile(t *testing.T) {
	type jsonRow struct {
		Name     string   `json:"name"`
		Exe      string   `json:"exe"`
		Argv     []string `json:"argv"`
		Want     []string `json:"want"`
		Redacted []int    `json:"redacted"`
	}
	var rows []jsonRow
	for _, r := range defaultRows {
		exe := r.exe
		if exe == "" {
			exe = "/usr/bin/" + r.argv[0]
		}
		rows = append(rows, jsonRow{r.name, exe, r.argv, r.want, r.idx})
	}
	var b, line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	b.WriteString("[\n")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(",\n")
		}
		line.Reset()
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		b.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	b.WriteString("\n]\n")
	const path = "testdata/cases.json"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("%s is out of date: go test ./lib/redact -run TestCasesFile -update", path)
	}
	var back []jsonRow
	if err := json.Unmarshal(got, &back); err != nil || len(back) != len(defaultRows) {
		t.Errorf("%s: %d rows, %v", path, len(back), err)
	}
}
