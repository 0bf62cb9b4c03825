package daemon

import (
	"fmt"
	"strings"

	"github.com/prec-dev/prec/lib/query"
)

// rule is one filter rule: allow or deny what its query matches.
type rule struct {
	allow bool
	q     *query.Query
}

type rules struct {
	userOnly bool
	list     []rule
	allow    bool // filter_default
}

// compileRules compiles the filter rules; errors name the rule by its index.
func compileRules(c *Config) (*rules, error) {
	rs := &rules{userOnly: c.UserOnly, allow: c.FilterDefault != "deny"}
	for i, r := range c.Filter {
		t := strings.TrimSpace(r)
		if t == "" {
			return nil, fmt.Errorf("invalid filter rule at index %d: empty rule", i)
		}
		if t[0] != '+' && t[0] != '-' {
			return nil, fmt.Errorf("invalid filter rule at index %d: missing action prefix in %q (must start with '+' or '-')", i, r)
		}
		expr := strings.TrimSpace(t[1:])
		if expr == "" {
			return nil, fmt.Errorf("invalid filter rule at index %d: empty query expression in %q", i, r)
		}
		q, err := query.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("invalid filter rule at index %d: %w", i, err)
		}
		rs.list = append(rs.list, rule{allow: t[0] == '+', q: q})
	}
	return rs, nil
}

// keep decides for a start or fail record (its JSON, and its source): user_only first, then the first
// rule whose query matches, else filter_default.
func (rs *rules) keep(line []byte, source string) bool {
	if rs.userOnly && source != "user" {
		return false
	}
	for _, r := range rs.list {
		if ok, _ := r.q.Match(line); ok {
			return r.allow
		}
	}
	return rs.allow
}
