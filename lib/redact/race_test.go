//go:build race

package redact

// raceEnabled: under -race, sync.Pool drops items at random, so the regexps allocate.
const raceEnabled = true
