package redact

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzApply: Apply never panics, keeps the number of arguments, returns an argument it did not redact
// byte-identical (and as argv's own slice), never modifies its input, agrees with trying every rule
// on every argument, and is idempotent on what it left.
//
//	go test ./lib/redact -fuzz FuzzApply -fuzztime 1m
//
// fuzzSet has the rule shapes the default set lacks: no keyword at all, an after= without keywords,
// globs with capitals, with '/', with no literal start, and a scoped rule without keywords.
var fuzzRules = []string{
	`[exe=Acme*] ^(\d)`,
	`[exe=/opt/*/bin/t*] (?s)^-k(.+)$`,
	`[exe=*ool] ^x(.)`,
	`[after=.] ^(.)y`,
	`[exe=zz* after=^-q$] (.+)`,
	`(a)b`,
}

// fuzzSets: the default set, fuzzRules together, and each alone (together, one rule without a
// keyword sends every argument down the slow path and hides the others' shortcuts).
var fuzzSets = func() []*Set {
	sets := []*Set{defaultSet, MustCompile(fuzzRules)}
	for _, r := range fuzzRules {
		sets = append(sets, MustCompile([]string{r}))
	}
	return sets
}()

func FuzzApply(f *testing.F) {
	for _, r := range defaultRows {
		exe := r.exe
		if exe == "" {
			exe = "/usr/bin/" + r.argv[0]
		}
		f.Add(exe, strings.Join(r.argv, "\x00"))
	}
	f.Add("/usr/bin/mysql", "mysql\x00-p\xff\xfe")
	f.Add("/usr/bin/sudo", "sudo\x00/usr/bin/sshpass\x00-p\x00\xff")
	f.Add("/usr/bin/tool", "tool\x00xy")
	f.Add("/opt/a/bin/tx", "tx\x00-kK\x00AcmeX\x009z\x00xyab\x00zzz\x00-q\x00s")
	f.Fuzz(func(t *testing.T, exe, args string) {
		if strings.ContainsAny(args, "\u212a\u017f") {
			t.Skip("the keyword scan folds ASCII only (see keyword.go)")
		}
		argv := toBytes(strings.Split(args, "\x00"))
		orig := toBytes(strings.Split(args, "\x00"))
		out, idx := defaultSet.Apply(exe, argv)
		if len(out) != len(argv) {
			t.Fatalf("%d arguments out of %d", len(out), len(argv))
		}
		if !equalArgv(argv, orig) {
			t.Fatalf("input modified: %q -> %q", orig, argv)
		}
		if !slices.IsSorted(idx) || len(slices.Compact(slices.Clone(idx))) != len(idx) {
			t.Fatalf("indexes %v not ascending", idx)
		}
		for i := range out {
			if slices.Contains(idx, i) {
				if bytes.Equal(out[i], argv[i]) && !bytes.Contains(argv[i], []byte(Marker)) {
					t.Errorf("argument %d listed as redacted but unchanged: %q", i, argv[i])
				}
				continue
			}
			if !bytes.Equal(out[i], argv[i]) || (len(argv[i]) > 0 && &out[i][0] != &argv[i][0]) {
				t.Errorf("argument %d not redacted but changed: %q -> %q", i, argv[i], out[i])
			}
		}
		for _, s := range fuzzSets {
			out, idx := s.Apply(exe, argv)
			ref, refIdx := s.apply(exe, argv, false)
			if !equalArgv(out, ref) || !slices.Equal(idx, refIdx) {
				t.Errorf("prefilter disagrees: %q %v, every rule: %q %v", out, idx, ref, refIdx)
			}
		}
	})
}
