package config

import (
	"fmt"
	"strings"

	"github.com/prec-dev/prec/lib/query"
)

// Rule is one filter rule: allow or deny what its query matches.
type Rule struct {
	Allow bool
	Query *query.Query
}

// Rules decide which start and fail records precd keeps. They are safe for concurrent use.
type Rules struct {
	UserOnly bool
	List     []Rule
	Allow    bool // filter_default: what no rule matches
}

// compileRules compiles the filter rules; errors name the rule by its index.
func compileRules(c *Config) (*Rules, error) {
	rs := &Rules{UserOnly: c.UserOnly, Allow: c.FilterDefault != "deny"}
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
		rs.List = append(rs.List, Rule{Allow: t[0] == '+', Query: q})
	}
	return rs, nil
}

// Keep decides for a start or fail record (its JSON, and its source): user_only first, then the first
// rule whose query matches, else filter_default.
func (rs *Rules) Keep(line []byte, source string) bool {
	if rs.UserOnly && source != "user" {
		return false
	}
	for _, r := range rs.List {
		if ok, _ := r.Query.Match(line); ok {
			return r.Allow
		}
	}
	return rs.Allow
}
