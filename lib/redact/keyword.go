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
	maxSet    = 128 // strings kept in a derived set before it is given up as unknown
	maxClass  = 8   // a character class up to this many (folded) bytes is expanded
	minKwLen  = 2   // a keyword shorter than this filters nothing
	maxRules  = 128
	maskWords = maxRules / 64
)

type mask [maskWords]uint64

func (m *mask) set(i int)      { m[i>>6] |= 1 << (i & 63) }
func (m *mask) has(i int) bool { return m[i>>6]&(1<<(i&63)) != 0 }
func (m *mask) or(o *mask)     { m[0] |= o[0]; m[1] |= o[1] }
func (m *mask) any() bool      { return m[0]|m[1] != 0 }
func (m *mask) and(o *mask) (r mask) {
	r[0], r[1] = m[0]&o[0], m[1]&o[1]
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
	in := analyze(re)
	var best []string
	for _, s := range [][]string{in.match, in.prefix, in.suffix, in.exact} {
		if useful(s) && better(s, best) {
			best = s
		}
	}
	if best == nil || minLen(best) < minKwLen {
		return nil
	}
	best = slices.Clone(best)
	slices.Sort(best)
	return slices.Compact(best)
}

// guards returns the literals (case-sensitive, not under (?i)) that every match of re contains: the
// literal parts of its top-level concatenation. They are checked with bytes.Contains, after the scan
// and before the regexp: the URL rule's "@" spares the regexp on URLs without credentials.
func guards(re *syntax.Regexp) [][]byte {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	var out [][]byte
	for _, sub := range subs {
		if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 {
			out = append(out, []byte(string(sub.Rune)))
		}
	}
	return out
}

// info is what every match of a regexp is known to be made of (Russ Cox's trigram analysis, with
// whole strings): each set is nil when unknown or bigger than maxSet, and holds lowercase strings.
type info struct {
	exact  []string // all the strings it matches
	prefix []string // every match starts with one of these
	suffix []string // every match ends with one of these
	match  []string // every match contains one of these
}

func exactInfo(s []string) info { return info{exact: s, prefix: s, suffix: s, match: s} }

func analyze(re *syntax.Regexp) info {
	switch re.Op {
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if r >= 0x80 {
				if re.Flags&syntax.FoldCase != 0 {
					return info{}
				}
				b.WriteRune(r)
				continue
			}
			b.WriteByte(lower[r])
		}
		return exactInfo([]string{b.String()})
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= 0x80 || hi-lo >= maxClass*2 {
				return info{}
			}
			for r := lo; r <= hi; r++ {
				if c := string(lower[r]); !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
			if len(out) > maxClass {
				return info{}
			}
		}
		if len(out) == 0 {
			return info{}
		}
		return exactInfo(out)
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return exactInfo([]string{""})
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpQuest:
		x := analyze(re.Sub[0])
		if x.exact == nil || len(x.exact) >= maxSet {
			return info{}
		}
		return exactInfo(append(slices.Clone(x.exact), ""))
	case syntax.OpPlus:
		x := analyze(re.Sub[0])
		return info{prefix: x.prefix, suffix: x.suffix, match: x.match}
	case syntax.OpRepeat:
		if re.Min >= 1 {
			x := analyze(re.Sub[0])
			return info{prefix: x.prefix, suffix: x.suffix, match: x.match}
		}
		return info{}
	case syntax.OpConcat:
		acc := exactInfo([]string{""})
		for _, sub := range re.Sub {
			acc = concat(acc, analyze(sub))
		}
		return acc
	case syntax.OpAlternate:
		var out info
		for i, sub := range re.Sub {
			x := analyze(sub)
			if i == 0 {
				out = x
				continue
			}
			out.exact = union(out.exact, x.exact)
			out.prefix = union(out.prefix, x.prefix)
			out.suffix = union(out.suffix, x.suffix)
			out.match = union(out.match, x.match)
		}
		return out
	}
	return info{}
}

func concat(x, y info) info {
	var r info
	r.exact = product(x.exact, y.exact)
	switch {
	case x.exact != nil && y.prefix != nil:
		r.prefix = product(x.exact, y.prefix)
	case x.exact != nil:
		r.prefix = x.exact
	default:
		r.prefix = x.prefix
	}
	if !useful(r.prefix) && useful(x.prefix) {
		r.prefix = x.prefix
	}
	switch {
	case y.exact != nil && x.suffix != nil:
		r.suffix = product(x.suffix, y.exact)
	case y.exact != nil:
		r.suffix = y.exact
	default:
		r.suffix = y.suffix
	}
	if !useful(r.suffix) && useful(y.suffix) {
		r.suffix = y.suffix
	}
	for _, s := range [][]string{x.match, y.match, product(x.suffix, y.prefix), r.exact, r.prefix, r.suffix} {
		if useful(s) && better(s, r.match) {
			r.match = s
		}
	}
	return r
}

func union(a, b []string) []string {
	if a == nil || b == nil || len(a)+len(b) > maxSet {
		return nil
	}
	return append(slices.Clone(a), b...)
}

func product(a, b []string) []string {
	if a == nil || b == nil || len(a)*len(b) > maxSet {
		return nil
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			if z := x + y; !slices.Contains(out, z) {
				out = append(out, z)
			}
		}
	}
	return out
}

// useful: a set that filters anything (a known set without "").
func useful(s []string) bool { return s != nil && minLen(s) > 0 }

func minLen(s []string) int {
	n := -1
	for _, x := range s {
		if n < 0 || len(x) < n {
			n = len(x)
		}
	}
	return n
}

// better: a's shortest string is longer than b's (up to 8 bytes; past that, fewer strings scan
// faster), or as long, and a has fewer strings.
func better(a, b []string) bool {
	if b == nil {
		return true
	}
	la, lb := min(minLen(a), 8), min(minLen(b), 8)
	if la != lb {
		return la > lb
	}
	return len(a) < len(b)
}

// scanner finds, in one pass over an argument, which rules have a keyword in it.
type scanner struct {
	pairs [1 << 16 / 64]uint64 // (first, second) byte pairs, in every case, that start some keyword
	// The scan looks at the pairs at even offsets only: a keyword that starts at an odd one has its
	// second and third bytes there, or for a two-byte keyword its second byte then any byte.
	even  [1 << 16 / 64]uint64
	list  []int32 // by folded pair: the trie node for those two bytes, or 0
	nodes []node  // a trie of the keywords past their first two bytes; 0 is unused
	kws   []kw

	// The trie, frozen by freeze into small arrays that stay in cache: the scan reads only these.
	ptab   [ptabSize]pent // folded pair -> node, open addressing
	fnodes []fnode
	flabel []byte
	fkid   []int32
}

const ptabSize = 1024 // > 2 × the pairs of 128 rules' keywords in practice; freeze panics if full

type pent struct {
	key  uint32 // 1 + folded pair, or 0
	node int32
}

type fnode struct {
	kw  int32 // 1 + index in kws, or 0
	off int32 // children: flabel[off:off+n], fkid[off:off+n]
	n   int32
}

func ptabHash(p uint16) uint32 { return (uint32(p) * 0x9E3779B1) >> (32 - 10) }

// freeze lays the trie out for the scan.
func (sc *scanner) freeze() {
	sc.fnodes = make([]fnode, len(sc.nodes))
	sc.flabel, sc.fkid = nil, nil
	for i, n := range sc.nodes {
		sc.fnodes[i] = fnode{kw: n.kw, off: int32(len(sc.flabel)), n: int32(len(n.labels))}
		sc.flabel = append(sc.flabel, n.labels...)
		sc.fkid = append(sc.fkid, n.kids...)
	}
	sc.ptab = [ptabSize]pent{}
	used := 0
	for p, n := range sc.list {
		if n == 0 {
			continue
		}
		if used++; used > ptabSize/2 {
			panic("redact: too many keyword pairs")
		}
		h := ptabHash(uint16(p))
		for sc.ptab[h].key != 0 {
			h = (h + 1) % ptabSize
		}
		sc.ptab[h] = pent{key: uint32(p) + 1, node: n}
	}
	if len(sc.fnodes) == 0 { // no keywords: pairNode still needs node 0
		sc.fnodes = make([]fnode, 1)
	}
	sc.list, sc.nodes = nil, nil // 256 KiB that the scan does not read
}

func (sc *scanner) pairNode(p uint16) *fnode {
	for h := ptabHash(p); ; h = (h + 1) % ptabSize {
		switch e := &sc.ptab[h]; e.key {
		case uint32(p) + 1:
			return &sc.fnodes[e.node]
		case 0:
			return &sc.fnodes[0] // a pair in every case variant, its folded form absent: cannot be
		}
	}
}

// node is a trie node: its children by (folded) byte, and the keyword that ends here.
type node struct {
	labels []byte
	kids   []int32
	kw     int32 // 1 + index in kws, or 0
}

type kw struct {
	lit   string
	main  mask // rules whose regexp needs this keyword
	after mask // rules whose after= regexp needs it
	scope mask // rules with an exe= glob that starts with it (at the start of a base name)
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
		for _, c0 := range caseVariants(lit[0]) {
			for _, c1 := range caseVariants(lit[1]) {
				q := uint16(c0)<<8 | uint16(c1)
				sc.pairs[q>>6] |= 1 << (q & 63)
				sc.even[q>>6] |= 1 << (q & 63)
			}
		}
		for _, c1 := range caseVariants(lit[1]) {
			var next []byte
			if len(lit) > 2 {
				next = caseVariants(lit[2])
			} else {
				for c := range 256 {
					next = append(next, byte(c))
				}
			}
			for _, c2 := range next {
				q := uint16(c1)<<8 | uint16(c2)
				sc.even[q>>6] |= 1 << (q & 63)
			}
		}
		if sc.list == nil {
			sc.list = make([]int32, 1<<16)
			sc.nodes = make([]node, 1)
		}
		p := uint16(lit[0])<<8 | uint16(lit[1])
		if sc.list[p] == 0 {
			sc.list[p] = sc.newNode()
		}
		n := sc.list[p]
		for j := 2; j < len(lit); j++ {
			k := slices.Index(sc.nodes[n].labels, lit[j])
			if k < 0 {
				c := sc.newNode()
				sc.nodes[n].labels = append(sc.nodes[n].labels, lit[j])
				sc.nodes[n].kids = append(sc.nodes[n].kids, c)
				k = len(sc.nodes[n].kids) - 1
			}
			n = sc.nodes[n].kids[k]
		}
		sc.nodes[n].kw = int32(i) + 1
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

func (sc *scanner) newNode() int32 {
	sc.nodes = append(sc.nodes, node{})
	return int32(len(sc.nodes) - 1)
}

// scan returns the rules with a keyword of their regexp in a, those with one of their after=
// regexp, and those with an exe= glob whose literal start begins a base name in a.
func (sc *scanner) scan(a []byte) (main, after, scope mask) {
	if len(sc.kws) == 0 {
		return
	}
	if len(a) < 2 {
		return
	}
	even, pairs := &sc.even, &sc.pairs
	j := 0
	for ; j+1 < len(a); j += 2 {
		q := uint16(a[j])<<8 | uint16(a[j+1])
		if even[q>>6]&(1<<(q&63)) == 0 {
			continue
		}
		if j > 0 {
			if p := uint16(a[j-1])<<8 | uint16(a[j]); pairs[p>>6]&(1<<(p&63)) != 0 {
				sc.at(a, j-1, &main, &after, &scope)
			}
		}
		if pairs[q>>6]&(1<<(q&63)) != 0 {
			sc.at(a, j, &main, &after, &scope)
		}
	}
	if j == len(a)-1 { // the last byte is at an even offset, with no pair of its own
		sc.at(a, j-1, &main, &after, &scope)
	}
	return
}

// anyHit reports whether some argument holds some keyword: when none does, Apply is done. One call
// for the whole exec is cheaper than one per argument, which the common case (nothing) then skips.
func (sc *scanner) anyHit(argv [][]byte) bool {
	if len(sc.kws) == 0 {
		return false
	}
	even, pairs := &sc.even, &sc.pairs
	for _, a := range argv {
		j := 0
		for ; j+1 < len(a); j += 2 {
			q := uint16(a[j])<<8 | uint16(a[j+1])
			if even[q>>6]&(1<<(q&63)) == 0 {
				continue
			}
			if j > 0 {
				if p := uint16(a[j-1])<<8 | uint16(a[j]); pairs[p>>6]&(1<<(p&63)) != 0 && sc.hitAt(a, j-1) {
					return true
				}
			}
			if pairs[q>>6]&(1<<(q&63)) != 0 && sc.hitAt(a, j) {
				return true
			}
		}
		if j == len(a)-1 && j > 0 && sc.hitAt(a, j-1) {
			return true
		}
	}
	return false
}

// hitAt reports whether a keyword starts at a[i:].
func (sc *scanner) hitAt(a []byte, i int) bool {
	n := sc.pairNode(uint16(lower[a[i]])<<8 | uint16(lower[a[i+1]]))
	for j := i + 2; ; j++ {
		if n.kw != 0 {
			return true
		}
		if j == len(a) {
			return false
		}
		c, next := lower[a[j]], int32(-1)
		for k := n.off; k < n.off+n.n; k++ {
			if sc.flabel[k] == c {
				next = sc.fkid[k]
				break
			}
		}
		if next < 0 {
			return false
		}
		n = &sc.fnodes[next]
	}
}

// at adds the masks of the keywords that start at a[i:].
func (sc *scanner) at(a []byte, i int, main, after, scope *mask) {
	n := sc.pairNode(uint16(lower[a[i]])<<8 | uint16(lower[a[i+1]]))
	for j := i + 2; ; j++ {
		if n.kw != 0 {
			w := &sc.kws[n.kw-1]
			main.or(&w.main)
			after.or(&w.after)
			if i == 0 || a[i-1] == '/' {
				scope.or(&w.scope)
			}
		}
		if j == len(a) {
			return
		}
		c, next := lower[a[j]], int32(-1)
		for k := n.off; k < n.off+n.n; k++ {
			if sc.flabel[k] == c {
				next = sc.fkid[k]
				break
			}
		}
		if next < 0 {
			return
		}
		n = &sc.fnodes[next]
	}
}

func caseVariants(c byte) []byte {
	if 'a' <= c && c <= 'z' {
		return []byte{c, c - 'a' + 'A'}
	}
	return []byte{c}
}
