package redact

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"regexp/syntax"
	"strings"
	"unsafe"
)

// rule is one compiled rule.
type rule struct {
	text   string
	re     *regexp.Regexp
	groups []int // the (?P<secret>) groups, or group 1
	after  *regexp.Regexp
	notAft *regexp.Regexp // notafter=
	exe    []glob
	guards [][]byte // literals every match contains (see guards)
	kwMain bool     // re has keywords: run it only where the scan found one
	kwPrev bool     // after has keywords
}

type glob struct {
	pat    string
	full   bool   // the pattern has a '/': it matches a whole path, not a base name
	prefix []byte // literal start of pat, checked before path.Match
}

func (g glob) match(name []byte) bool {
	if !g.full {
		if i := bytes.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
	}
	if !bytes.HasPrefix(name, g.prefix) {
		return false
	}
	// path.Match keeps nothing of its argument: a string view of the bytes saves a copy per exec.
	ok, _ := path.Match(g.pat, unsafe.String(unsafe.SliceData(name), len(name)))
	return ok
}

// parseRule compiles the text of rule i; its errors name the rule.
func parseRule(i int, text string) (*rule, error) {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("redact[%d] %q: %s", i, text, fmt.Sprintf(format, a...))
	}
	r := &rule{text: text}
	src := text
	if strings.HasPrefix(src, "[") {
		end := strings.Index(src, "] ")
		if end < 0 {
			return nil, fail(`options not closed: "[" needs "] " before the regexp`)
		}
		opts := src[1:end]
		src = src[end+2:]
		seen := map[string]bool{}
		for _, o := range strings.Fields(opts) {
			k, v, ok := strings.Cut(o, "=")
			if !ok || (k != "exe" && k != "after" && k != "notafter") {
				return nil, fail("unknown option %q (allowed: exe=GLOB,…, after=REGEXP, notafter=REGEXP)", k)
			}
			if seen[k] {
				return nil, fail("option %s given twice", k)
			}
			seen[k] = true
			if v == "" {
				return nil, fail("option %s is empty", k)
			}
			switch k {
			case "exe":
				for _, p := range strings.Split(v, ",") {
					if p == "" {
						return nil, fail("empty glob in exe=%s", v)
					}
					if _, err := path.Match(p, ""); err != nil {
						return nil, fail("bad glob %q in exe=: %v", p, err)
					}
					g := glob{pat: p, full: strings.Contains(p, "/")}
					g.prefix = []byte(p[:strings.IndexAny(p+"*", `*?[\`)])
					r.exe = append(r.exe, g)
				}
			case "after", "notafter":
				re, err := regexp.Compile(v)
				if err != nil {
					return nil, fail("%s=: %v", k, err)
				}
				if k == "after" {
					r.after = re
				} else {
					r.notAft = re
				}
			}
		}
	}
	src = strings.TrimLeft(src, " ")
	if src == "" {
		return nil, fail("no regexp")
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fail("%v", err)
	}
	r.re = re
	r.guards = guardsOf(src)
	for g, name := range re.SubexpNames() {
		if name == "secret" {
			r.groups = append(r.groups, g)
		}
	}
	if r.groups == nil {
		if re.NumSubexp() == 0 {
			return nil, fail("no (?P<secret>…) group and no capture group")
		}
		r.groups = []int{1}
	}
	return r, nil
}

// addKeywords registers the rule's keywords with sc.
func (r *rule) addKeywords(sc *scanner, i int) {
	if ks := keywordsOf(r.re.String()); ks != nil {
		r.kwMain = true
		for _, k := range ks {
			sc.add(k, i, kwMain)
		}
	}
	if r.after != nil {
		if ks := keywordsOf(r.after.String()); ks != nil {
			r.kwPrev = true
			for _, k := range ks {
				sc.add(k, i, kwAfter)
			}
		}
	}
}

func keywordsOf(src string) []string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil { // compiled before: cannot happen
		return nil
	}
	return keywords(re.Simplify())
}

func guardsOf(src string) [][]byte {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	return guards(re.Simplify())
}

// names reports whether a (an exe path or an argument) names a program of the rule's exe= globs.
func (r *rule) names(a []byte) bool {
	for _, g := range r.exe {
		if g.match(a) {
			return true
		}
	}
	return false
}

// inScope reports whether the rule applies to argument i: always without exe=; otherwise when the
// program (exe, or argv[0]) matches, or an earlier argument names it (sudo mysql …, env … mysql …,
// ssh host mysql …).
func (r *rule) inScope(exe string, argv [][]byte, i int) bool {
	if r.exe == nil {
		return true
	}
	e := unsafe.Slice(unsafe.StringData(exe), len(exe))
	for _, g := range r.exe {
		if g.match(e) {
			return true
		}
		for j := 0; j < i; j++ {
			if g.match(argv[j]) {
				return true
			}
		}
	}
	return false
}
