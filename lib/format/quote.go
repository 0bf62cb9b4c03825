package format

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// shellSafe reports whether s can be shown as is in a shell command line.
func shellSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		switch c {
		case '_', '-', '.', '/', ',', ':', '=', '+', '@', '%', '^':
			continue
		}
		return false
	}
	return true
}

// needsANSI reports whether s has bytes that must not reach a terminal raw: control characters
// (ESC, CR, ...), DEL, or invalid UTF-8.
func needsANSI(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return true
		}
		i += size
	}
	return false
}

// Quote writes s so that a shell reads it back as one word and a terminal shows it safely: as is
// when it is plain, in single quotes when it has spaces or shell syntax, in $'...' with escapes when
// it has control characters or invalid UTF-8.
func Quote(b *bytes.Buffer, s string) {
	switch {
	case shellSafe(s):
		b.WriteString(s)
	case !needsANSI(s):
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(s, "'", `'\''`))
		b.WriteByte('\'')
	default:
		b.WriteString("$'")
		escape(b, s, true)
		b.WriteByte('\'')
	}
}

// Escape writes s with control characters, DEL, backslashes and invalid UTF-8 as backslash escapes,
// for text that is shown unquoted.
func Escape(b *bytes.Buffer, s string) {
	if !needsANSI(s) && !strings.ContainsRune(s, '\\') {
		b.WriteString(s)
		return
	}
	escape(b, s, false)
}

func escape(b *bytes.Buffer, s string, inQuote bool) {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
			switch r {
			case '\n':
				b.WriteString(`\n`)
			case '\t':
				b.WriteString(`\t`)
			case '\r':
				b.WriteString(`\r`)
			case 0x1b:
				b.WriteString(`\e`)
			default:
				if r >= 0x80 && size > 1 { // a C1 control: escape each of its bytes
					for k := 0; k < size; k++ {
						b.WriteString(`\x`)
						b.WriteByte(hex[s[i+k]>>4])
						b.WriteByte(hex[s[i+k]&15])
					}
				} else {
					b.WriteString(`\x`)
					b.WriteByte(hex[s[i]>>4])
					b.WriteByte(hex[s[i]&15])
				}
			}
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'' && inQuote:
			b.WriteString(`\'`)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// Command writes argv as a shell command line: each argument quoted where needed.
func Command(b *bytes.Buffer, argv []string) {
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		Quote(b, a)
	}
}

// csvCell makes a CSV value safe for a spreadsheet and for a terminal. Control characters, DEL,
// backslashes and invalid UTF-8 are escaped as Escape writes them (so a cell is one line, and a
// literal backslash is told from an escape). A value starting with = + - @ tab or CR, which a
// spreadsheet would run as a formula, gets a leading single quote, as OWASP's CSV injection advice
// says; a plain negative number (-12, -1.5) is left as it is, since a spreadsheet reads it as a number.
func csvCell(s string) string {
	if s == "" {
		return s
	}
	formula := false
	switch s[0] {
	case '=', '+', '@', '\t', '\r':
		formula = true
	case '-':
		formula = !plainNumber(s[1:])
	}
	if !formula && !needsANSI(s) && !strings.ContainsRune(s, '\\') {
		return s
	}
	var b bytes.Buffer
	if formula {
		b.WriteByte('\'')
	}
	Escape(&b, s)
	return b.String()
}

// plainNumber reports whether s is digits with at most one '.' between digits.
func plainNumber(s string) bool {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
