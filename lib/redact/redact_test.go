package redact

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		rules []string
		want  string
	}{
		{[]string{`^-p(.+)$`, `(`}, `redact[1] "(": error parsing regexp: missing closing ): ` + "`(`"},
		{[]string{`^--password=.+$`}, `redact[0] "^--password=.+$": no (?P<secret>…) group and no capture group`},
		{[]string{`(a)`, `(b)`, `(c)`, `[foo=x] (y)`}, `redact[3] "[foo=x] (y)": unknown option "foo" (allowed: exe=GLOB,…, after=REGEXP, notafter=REGEXP)`},
		{[]string{`[exe] (y)`}, `redact[0] "[exe] (y)": unknown option "exe" (allowed: exe=GLOB,…, after=REGEXP, notafter=REGEXP)`},
		{[]string{`[exe=] (y)`}, `redact[0] "[exe=] (y)": option exe is empty`},
		{[]string{`[exe=a,,b] (y)`}, `redact[0] "[exe=a,,b] (y)": empty glob in exe=a,,b`},
		{[]string{`[exe=[a] (y)`}, `redact[0] "[exe=[a] (y)": bad glob "[a" in exe=: syntax error in pattern`},
		{[]string{`[after=(] (y)`}, `redact[0] "[after=(] (y)": after=: error parsing regexp: missing closing ): ` + "`(`"},
		{[]string{`[exe=a exe=b] (y)`}, `redact[0] "[exe=a exe=b] (y)": option exe given twice`},
		{[]string{`[exe=a](y)`}, `redact[0] "[exe=a](y)": options not closed: "[" needs "] " before the regexp`},
		{[]string{`[exe=a] `}, `redact[0] "[exe=a] ": no regexp`},
		{[]string{``}, `redact[0] "": no regexp`},
		{make([]string, 129), `redact: 129 rules; at most 128`},
	} {
		_, err := Compile(c.rules)
		if err == nil || err.Error() != c.want {
			t.Errorf("Compile(%q):\n got %v\nwant %s", c.rules, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("Compile(%q): error has more than one line", c.rules)
		}
	}
}

func TestEmpty(t *testing.T) {
	argv := [][]byte{[]byte("mysql"), []byte("-pS3cret")}
	for _, s := range []*Set{nil, MustCompile(nil), MustCompile([]string{})} {
		out, idx := s.Apply("/usr/bin/mysql", argv)
		if &out[0] != &argv[0] || idx != nil {
			t.Errorf("empty set changed %q: %q %v", argv, out, idx)
		}
	}
}

// A rule of the admin's own, with each option.
func TestCustomRules(t *testing.T) {
	s := MustCompile([]string{
		`[exe=/opt/*/bin/dbtool after=^-k$] (?s)^(?P<secret>.+)$`,
		`[exe=vendor*] ^--pin=(\d+)$`,
		`[exe=Acme*] ^--pin=(\d+)$`,
		`(?i)serial=(?P<secret>\w+)-(?P<secret>\w+)`,
	})
	for _, c := range []struct {
		exe        string
		argv, want []string
	}{
		{"/opt/acme/bin/dbtool", []string{"dbtool", "-k", "K3y"}, []string{"dbtool", "-k", "****"}},
		{"/usr/bin/dbtool", []string{"dbtool", "-k", "K3y"}, nil}, // the path glob does not match
		{"/usr/bin/vendorctl", []string{"vendorctl", "--pin=1234", "--pin=12a"}, []string{"vendorctl", "--pin=****", "--pin=12a"}},
		{"/usr/bin/other", []string{"other", "--pin=1234"}, nil},
		{"/usr/bin/AcmeCtl", []string{"AcmeCtl", "--pin=1234"}, []string{"AcmeCtl", "--pin=****"}},
		{"/usr/bin/ACMECTL", []string{"ACMECTL", "--pin=1234"}, nil}, // globs are case-sensitive
		{"/usr/bin/sudo", []string{"sudo", "vendorctl", "--pin=1234"}, []string{"sudo", "vendorctl", "--pin=****"}},
		{"/usr/bin/x", []string{"x", "SERIAL=ab-cd and serial=ef-gh"}, []string{"x", "SERIAL=****-**** and serial=****-****"}},
	} {
		got, _ := s.ApplyStrings(c.exe, c.argv)
		want := c.want
		if want == nil {
			want = c.argv
		}
		if !slices.Equal(got, want) {
			t.Errorf("Apply(%q, %q) = %q, want %q", c.exe, c.argv, got, want)
		}
	}
}

// Every default rule is the one that redacts some row of the table, alone.
func TestEveryDefaultRuleTested(t *testing.T) {
	for i, text := range defaults {
		s := MustCompile([]string{text})
		found := false
		for _, r := range defaultRows {
			if r.want == nil {
				continue
			}
			exe := r.exe
			if exe == "" {
				exe = "/usr/bin/" + r.argv[0]
			}
			if _, idx := s.ApplyStrings(exe, r.argv); idx != nil {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("default rule %d %q redacts no row of defaultRows", i, text)
		}
	}
}

// The prefilter only saves work: trying every rule everywhere gives the same result.
func TestPrefilterAgrees(t *testing.T) {
	for _, r := range defaultRows {
		argv := toBytes(r.argv)
		exe := "/usr/bin/" + r.argv[0]
		a, ai := defaultSet.apply(exe, argv, true)
		b, bi := defaultSet.apply(exe, argv, false)
		if !equalArgv(a, b) || !slices.Equal(ai, bi) {
			t.Errorf("%s: filtered %q %v, unfiltered %q %v", r.name, a, ai, b, bi)
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, c := range []struct {
		argv, want []string
		idx        []int
	}{
		{[]string{"mysql", "-pS3\xffcret"}, []string{"mysql", "-p****"}, []int{1}},
		{[]string{"tool", "--password=\xfe\xff", "\xc3\x28"}, []string{"tool", "--password=****", "\xc3\x28"}, []int{1}},
		{[]string{"sh", "-c", "\xff\xfe PGPASSWORD=S3cret \xff psql"}, []string{"sh", "-c", "\xff\xfe PGPASSWORD=**** \xff psql"}, []int{2}},
		{[]string{"curl", "\x80https://bob:S\xe9cret@h/\xff"}, []string{"curl", "\x80https://bob:****@h/\xff"}, []int{1}},
		{[]string{"tool", "--token", "\xff\xff\xff", "\xff"}, []string{"tool", "--token", "****", "\xff"}, []int{2}},
	} {
		argv := toBytes(c.argv)
		orig := toBytes(c.argv)
		out, idx := defaultSet.Apply("/usr/bin/"+c.argv[0], argv)
		if !equalArgv(out, toBytes(c.want)) || !slices.Equal(idx, c.idx) {
			t.Errorf("Apply(%q) = %q %v, want %q %v", c.argv, out, idx, c.want, c.idx)
		}
		if !equalArgv(argv, orig) {
			t.Errorf("Apply(%q) modified its input: %q", c.argv, argv)
		}
		for i := range out { // arguments not redacted are argv's own
			if !slices.Contains(idx, i) && &out[i][0] != &argv[i][0] {
				t.Errorf("Apply(%q): argument %d copied", c.argv, i)
			}
		}
	}
}

func TestNoAllocWithoutMatch(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations: under -race sync.Pool drops the regexps' machines at random")
	}
	for _, argv := range [][]string{
		{"ls", "-la", "/tmp"},
		{"git", "status"},
		buildCommand,
		// keywords found, but no rule matches: the regexps run, and still allocate nothing
		{"tool", "--password-file=/etc/pw", "--token-file", "/etc/tok", "https://example.com/x", "--passes=3"},
		{"sudo", "mysql", "-u", "root", "-p", "db"},
	} {
		b := toBytes(argv)
		exe := "/usr/bin/" + argv[0]
		if _, idx := defaultSet.Apply(exe, b); idx != nil {
			t.Fatalf("%q: redacted %v", argv, idx)
		}
		if n := testing.AllocsPerRun(100, func() { defaultSet.Apply(exe, b) }); n != 0 {
			t.Errorf("Apply(%q): %v allocations, want 0", argv, n)
		}
	}
}

func toBytes(ss []string) [][]byte {
	b := make([][]byte, len(ss))
	for i, s := range ss {
		b[i] = []byte(s)
	}
	return b
}

func equalArgv(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}
