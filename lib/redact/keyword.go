package redact

import (
	"regexp/syntax"
	"slices"
	"strings"
)

// The prefilter. Each rule's regexp is parsed and reduced to a set of keywords, one of which every
// match must contain (gitleaks' "keywords", derived instead of written); an argument is scanned once
// for all keywords of all rules, and a rule's regexp runs only on an argument holding one of its own.
// Keywords are compared with ASCII case folding, so they serve (?i) regexps too. For (?i) Go also
// folds k to U+212A (Kelvin) and s to U+017F (long s); the scan does not, so an argument spelling a
// flag with those is not redacted: no program reads `--to\u212Aen` as `--token`.

const (
	maxSet    = 64 // strings kept in a derived set before it is given up as unknown
	maxClass  = 8  // a character class up to this many (folded) bytes is expanded
	minKwLen  = 2  // a keyword shorter than this filters nothing
	maxRules  = 256
	maskWords = maxRules / 64
)

type mask [maskWords]uint64

func (m *mask) set(i int)      { m[i>>6] |= 1 << (i & 63) }
func (m *mask) has(i int) bool { return m[i>>6]&(1<<(i&63)) != 0 }
func (m *mask) or(o *mask)     { m[0] |= o[0]; m[1] |= o[1]; m[2] |= o[2]; m[3] |= o[3] }
func (m *mask) any() bool      { return m[0]|m[1]|m[2]|m[3] != 0 }
func (m *mask) and(o *mask) (r mask) {
	r[0], r[1], r[2], r[3] = m[0]&o[0], m[1]&o[1], m[2]&o[2], m[3]&o[3]
	return r
}

// lower folds ASCII letters; a variable, not init(), so that package-level Sets may use it.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()

// keywords returns the lowercase strings one of which every match of re contains, or nil when no
// such set of strings of at least minKwLen bytes is known.
func keywords(re *syntax.Regexp) []string {
	s := required(re)
	if s == nil || minLen(s) < minKwLen {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// exact returns every string re can match (lowercased), or nil when that set is unknown or too big.
// An empty, non-nil result is impossible: a regexp matching only "" yields [""].
func exact(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if r >= 0x80 {
				if re.Flags&syntax.FoldCase != 0 {
					return nil
				}
				b.WriteRune(r)
				continue
			}
			b.WriteByte(lower[r])
		}
		return []string{b.String()}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= 0x80 || hi-lo >= maxClass*2 {
				return nil
			}
			for r := lo; r <= hi; r++ {
				c := string(lower[r])
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
			if len(out) > maxClass {
				return nil
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}
	case syntax.OpCapture:
		return exact(re.Sub[0])
	case syntax.OpQuest:
		s := exact(re.Sub[0])
		if s == nil || len(s) >= maxSet {
			return nil
		}
		return append(slices.Clone(s), "")
	case syntax.OpConcat:
		acc := []string{""}
		for _, sub := range re.Sub {
			acc = product(acc, exact(sub))
			if acc == nil {
				return nil
			}
		}
		return acc
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s := exact(sub)
			if s == nil || len(out)+len(s) > maxSet {
				return nil
			}
			out = append(out, s...)
		}
		return out
	}
	return nil
}

func product(a, b []string) []string {
	if a == nil || b == nil || len(a)*len(b) > maxSet {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

// required returns a set of strings one of which every match of re contains, or nil.
func required(re *syntax.Regexp) []string {
	if s := exact(re); s != nil {
		return s
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return required(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return required(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s := required(sub)
			if s == nil || len(out)+len(s) > maxSet {
				return nil
			}
			out = append(out, s...)
		}
		return out
	case syntax.OpConcat:
		// Runs of children with exact sets multiply into one candidate; any other child ends a run
		// and is a candidate itself. The best candidate is kept.
		var best []string
		consider := func(s []string) {
			if s != nil && better(s, best) {
				best = s
			}
		}
		run := []string{""}
		for _, sub := range re.Sub {
			if s := exact(sub); s != nil {
				if p := product(run, s); p != nil {
					run = p
					continue
				}
				consider(run)
				run = s
				continue
			}
			consider(run)
			run = []string{""}
			consider(required(sub))
		}
		consider(run)
		return best
	}
	return nil
}

func minLen(s []string) int {
	n := -1
	for _, x := range s {
		if n < 0 || len(x) < n {
			n = len(x)
		}
	}
	return n
}

func better(a, b []string) bool {
	if b == nil {
		return true
	}
	la, lb := min(minLen(a), 8), min(minLen(b), 8) // past 8 bytes, fewer strings scan faster
	if la != lb {
		return la > lb
	}
	return len(a) < len(b)
}

// scanner finds, in one pass over an argument, which rules have a keyword in it.
type scanner struct {
	pairs [1 << 16 / 64]uint64 // (first, second) folded byte pairs that start some keyword
	list  []uint16             // by pair: 1 + index in lists, or 0
	lists [][]int32            // keyword indexes that start with one pair
	kws   []kw
}

type kw struct {
	lit   string
	main  mask // rules whose regexp needs this keyword
	after mask // rules whose after= regexp needs it
	scope mask // rules whose exe= globs need it
}

type kwKind int

const (
	kwMain kwKind = iota
	kwAfter
	kwScope
)

func (sc *scanner) add(lit string, rule int, kind kwKind) {
	i := slices.IndexFunc(sc.kws, func(k kw) bool { return k.lit == lit })
	if i < 0 {
		i = len(sc.kws)
		sc.kws = append(sc.kws, kw{lit: lit})
		p := uint16(lit[0])<<8 | uint16(lit[1])
		for _, c0 := range caseVariants(lit[0]) {
			for _, c1 := range caseVariants(lit[1]) {
				q := uint16(c0)<<8 | uint16(c1)
				sc.pairs[q>>6] |= 1 << (q & 63)
			}
		}
		if sc.list == nil {
			sc.list = make([]uint16, 1<<16)
		}
		if sc.list[p] == 0 {
			sc.lists = append(sc.lists, nil)
			sc.list[p] = uint16(len(sc.lists))
		}
		l := &sc.lists[sc.list[p]-1]
		*l = append(*l, int32(i))
	}
	switch kind {
	case kwMain:
		sc.kws[i].main.set(rule)
	case kwAfter:
		sc.kws[i].after.set(rule)
	case kwScope:
		sc.kws[i].scope.set(rule)
	}
}

// scan returns the rules with a keyword of their regexp in a, those with one of their after= regexp,
// and those with one of their exe= globs.
func (sc *scanner) scan(a []byte) (main, after, scope mask) {
	if len(sc.kws) == 0 {
		return
	}
	for i := 0; i+1 < len(a); i++ {
		p := uint16(a[i])<<8 | uint16(a[i+1])
		if sc.pairs[p>>6]&(1<<(p&63)) == 0 {
			continue
		}
		p = uint16(lower[a[i]])<<8 | uint16(lower[a[i+1]])
		for _, k := range sc.lists[sc.list[p]-1] {
			w := &sc.kws[k]
			if hasFoldPrefix(a[i:], w.lit) {
				main.or(&w.main)
				after.or(&w.after)
				scope.or(&w.scope)
			}
		}
	}
	return
}

func caseVariants(c byte) []byte {
	if 'a' <= c && c <= 'z' {
		return []byte{c, c - 'a' + 'A'}
	}
	return []byte{c}
}

func hasFoldPrefix(a []byte, lit string) bool {
	if len(a) < len(lit) {
		return false
	}
	for j := 2; j < len(lit); j++ { // the pair matched already
		if lower[a[j]] != lit[j] {
			return false
		}
	}
	return true
}
