// Package redact hides secrets in command-line arguments before precd writes them: passwords,
// tokens and keys are replaced by the marker "****", and everything else stays byte-exact.
//
// # Rules
//
// A rule is one string (precd.conf: `redact = [ … ]`, a TOML list; `redact = []` turns redaction off;
// without the key, Defaults applies):
//
//	[OPTIONS] REGEXP
//
// REGEXP is a Go regexp (RE2 syntax: linear time, no backtracking) matched against each argument on
// its own, as raw bytes. Every non-empty part it captures in a group named secret — (?P<secret>…) or
// (?<secret>…), any number of them — is replaced by ****; a regexp without such a group must have a
// capture group, and group 1 is the secret. All matches in an argument are redacted. Use (?s) when a
// secret may hold a newline, (?i) for case-insensitive matching.
//
// OPTIONS, in square brackets and separated by spaces, end at the first "] " (a ']' then a space); a
// rule that starts with '[' has options (write a regexp that starts with a class as (?:[…])…):
//
//	exe=GLOB,GLOB,…  only for these programs: a glob (path.Match) without '/' is matched against the
//	                 base name of the exe, one with '/' against the whole path. The rule also applies
//	                 to the arguments after one that names such a program (argv[0] included), so that
//	                 `sudo mysql -p…`, `env X=1 mysql -p…`, `ssh host mysql -p…` are covered; an
//	                 argument that merely looks like the name (`psql -d mysql -p5432`) does the same.
//	after=REGEXP     the argument is redacted only when the argument before it matches REGEXP: the
//	                 flag whose NEXT argument is the secret (`--password S3cret`, `sshpass -p S3cret`).
//	notafter=REGEXP  the argument is not redacted when the argument before it matches REGEXP.
//	                 A REGEXP in an option cannot contain "] "; write \x20 or \s for a space.
//
// Examples:
//
//	"[exe=mysql*,mariadb*] (?s)^-p(?P<secret>.+)$"       mysql -pS3cret -> mysql -p****
//	"[after=^--password$] (?s)^(.+)$"                    --password S3cret -> --password ****
//	"[exe=curl after=^(?:-u|--user)$] (?s)^[^:]*:(.+)$"  curl -u bob:S3cret -> curl -u bob:****
//
// Rules run in order on each argument; a later rule sees what earlier ones left. Rule i is named
// redact[i] (from 0) in errors, one line each: `redact[3] "[exe=] x": option exe is empty`,
// `redact[1] "^x$": no (?P<secret>…) group and no capture group`. At most 128 rules.
//
// Defaults lists the default set and says what each rule catches; what it does not catch is there too.
//
// # Cost
//
// Each regexp is reduced to keywords, literal strings one of which every match contains (for the
// rule above: "-p"; for the assignment rule: "password=", "token=", …). An argument is scanned once
// for all keywords of all rules, and a regexp runs only on arguments holding one of its keywords (an
// after= regexp only on those before them). An exec with no keyword in any argument costs one pass
// over its bytes and no allocation. A rule whose regexp yields no keyword of two bytes or more runs
// on every argument: write literal text in it. The literal parts of a regexp's top level (the "@" of
// the URL rule) are also checked with bytes.Contains before it runs. The exe= globs work the same
// way: their literal start (mysql of mysql*) is a keyword that must begin a base name; a glob with a
// '/' or with less than two literal bytes first is matched against every argument.
package redact

import (
	"bytes"
	"fmt"
	"math/bits"
	"slices"
	"unsafe"
)

// Marker replaces each secret.
const Marker = "****"

// Set is a compiled list of rules. It is immutable: Apply may be called from many goroutines. The
// nil *Set and the empty one redact nothing.
type Set struct {
	rules  []*rule
	sc     scanner // keywords of the rules without exe=
	scs    scanner // keywords of the rules with exe=: scanned for once one is in scope
	slow   []int   // rules with exe= globs of less than 2 literal bytes first, or with '/'
	plain  mask    // rules without after=
	pair   mask    // rules with after=
	noKw   mask    // rules whose regexp has no keyword: tried on every argument
	noPre  mask    // rules whose after= regexp has no keyword: tried after every argument
	global mask    // rules without exe=
	scoped mask    // rules with exe=
	busy   bool    // some rule without exe= is tried without a keyword: plain ones in noKw, or in noPre
	// busyScoped: the same among rules with exe=
	busyScoped bool
}

// Compile compiles rules; the first bad one is an error of one line naming it by index and text.
func Compile(rules []string) (*Set, error) {
	if len(rules) > maxRules {
		return nil, fmt.Errorf("redact: %d rules; at most %d", len(rules), maxRules)
	}
	s := &Set{}
	for i, text := range rules {
		r, err := parseRule(i, text)
		if err != nil {
			return nil, err
		}
		if r.exe == nil {
			r.addKeywords(&s.sc, i)
			s.global.set(i)
		} else {
			r.addKeywords(&s.scs, i)
			s.scoped.set(i)
			fast := true
			for _, g := range r.exe {
				fast = fast && !g.full && len(g.prefix) >= minKwLen
			}
			for _, g := range r.exe {
				if fast {
					s.sc.add(string(bytes.ToLower(g.prefix)), i, kwScope)
				}
			}
			if !fast {
				s.slow = append(s.slow, i)
			}
		}
		if r.after == nil {
			s.plain.set(i)
		} else {
			s.pair.set(i)
			if !r.kwPrev {
				s.noPre.set(i)
			}
		}
		if !r.kwMain {
			s.noKw.set(i)
		}
		s.rules = append(s.rules, r)
	}
	s.sc.freeze()
	s.scs.freeze()
	// Rules with exe= count only once in scope, which takes the per-argument path anyway.
	u, v := s.noKw.and(&s.plain), s.noPre
	g, h := u.and(&s.global), v.and(&s.global)
	s.busy = g.any() || h.any()
	g, h = u.and(&s.scoped), v.and(&s.scoped)
	s.busyScoped = g.any() || h.any()
	return s, nil
}

// MustCompile is Compile that panics on error, for rules known to be good.
func MustCompile(rules []string) *Set {
	s, err := Compile(rules)
	if err != nil {
		panic(err)
	}
	return s
}

// Len returns the number of rules.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

// Apply redacts argv, the arguments of an exec of exe (its path). When nothing is redacted it returns
// argv itself and nil, without allocating. Otherwise out is a new slice: the redacted arguments are
// new byte slices, the others are argv's; redacted lists the indexes changed, ascending. argv and its
// arguments are never modified.
func (s *Set) Apply(exe string, argv [][]byte) (out [][]byte, redacted []int) {
	return s.apply(exe, argv, true)
}

// ApplyStrings is Apply for string arguments, for callers that hold them so (tests, the fail path).
func (s *Set) ApplyStrings(exe string, argv []string) (out []string, redacted []int) {
	b := make([][]byte, len(argv))
	for i, a := range argv {
		b[i] = []byte(a)
	}
	rb, idx := s.Apply(exe, b)
	if idx == nil {
		return argv, nil
	}
	out = slices.Clone(argv)
	for _, i := range idx {
		out[i] = string(rb[i])
	}
	return out, idx
}

// apply with filter false tries every rule on every argument: the reference the prefilter must agree
// with (see the fuzz test).
func (s *Set) apply(exe string, argv [][]byte, filter bool) (out [][]byte, redacted []int) {
	out = argv
	if s == nil || len(s.rules) == 0 {
		return out, nil
	}
	var prev mask    // rules whose after= keywords are in argv[i-1]
	seen := s.global // rules in scope: exe= matched exe or an argument before
	scoped := false  // some rule with exe= is in seen
	if filter {
		e := unsafe.Slice(unsafe.StringData(exe), len(exe))
		_, _, hits := s.sc.scan(e)
		scoped = s.addScope(&seen, &hits, e)
		if !scoped && !s.busy && s.slow == nil && !s.sc.anyHit(argv) {
			return out, nil
		}
	}
	for i, a := range argv {
		var cand mask
		var after mask
		if filter {
			var main, hits mask
			main, after, hits = s.sc.scan(a)
			next := seen
			if (hits.any() || s.slow != nil) && s.addScope(&next, &hits, a) {
				scoped = true
			}
			if scoped {
				m, af, _ := s.scs.scan(a)
				main.or(&m)
				after.or(&af)
			}
			if main.any() || s.busy || (scoped && s.busyScoped) || (i > 0 && prev.any()) {
				main.or(&s.noKw)
				use := s.plain
				if i > 0 {
					prev.or(&s.noPre)
					p := s.pair.and(&prev)
					use.or(&p)
				}
				use = use.and(&seen)
				cand = main.and(&use)
			}
			seen = next
		} else {
			cand = s.plain
			if i > 0 {
				cand.or(&s.pair)
			}
		}
		prev = after
		if !cand.any() {
			continue
		}
		cur, changed := a, false
		for w := range cand {
			for b := cand[w]; b != 0; b &= b - 1 {
				r := s.rules[w*64+bits.TrailingZeros64(b)]
				if !filter && !r.inScope(exe, argv, i) {
					continue
				}
				if r.after != nil && !r.after.Match(argv[i-1]) {
					continue
				}
				if !r.guarded(cur) || !r.re.Match(cur) { // Match allocates nothing; FindAll does
					continue
				}
				if r.notAft != nil && i > 0 && r.notAft.Match(argv[i-1]) {
					continue
				}
				if n := r.redact(cur); n != nil {
					cur, changed = n, true
				}
			}
		}
		if changed {
			if redacted == nil {
				out = slices.Clone(argv)
			}
			out[i] = cur
			redacted = append(redacted, i)
		}
	}
	return out, redacted
}

func (r *rule) guarded(a []byte) bool {
	for _, g := range r.guards {
		if !bytes.Contains(a, g) {
			return false
		}
	}
	return true
}

// addScope adds to seen the rules whose exe= globs name the program a (exe, or an argument), among
// those the scan found a glob start of (hits) and the slow ones, and reports whether it added any.
func (s *Set) addScope(seen, hits *mask, a []byte) bool {
	added := false
	for w := range hits {
		for b := hits[w] &^ seen[w]; b != 0; b &= b - 1 {
			if i := w*64 + bits.TrailingZeros64(b); s.rules[i].names(a) {
				seen.set(i)
				added = true
			}
		}
	}
	for _, i := range s.slow {
		if !seen.has(i) && s.rules[i].names(a) {
			seen.set(i)
			added = true
		}
	}
	return added
}

// redact returns a with every secret group of every match replaced by Marker, or nil when no group
// captured anything.
func (r *rule) redact(a []byte) []byte {
	var spans [][2]int
	for _, m := range r.re.FindAllSubmatchIndex(a, -1) {
		for _, g := range r.groups {
			if lo, hi := m[2*g], m[2*g+1]; lo >= 0 && hi > lo {
				spans = append(spans, [2]int{lo, hi})
			}
		}
	}
	if spans == nil {
		return nil
	}
	slices.SortFunc(spans, func(x, y [2]int) int { return x[0] - y[0] })
	out := make([]byte, 0, len(a)+len(Marker))
	end := 0
	for _, sp := range spans {
		if sp[1] <= end {
			continue // inside one already replaced
		}
		if sp[0] < end {
			sp[0] = end
		} else {
			out = append(out, a[end:sp[0]]...)
			out = append(out, Marker...)
		}
		end = sp[1]
	}
	return append(out, a[end:]...)
}
