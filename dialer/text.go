package dialer

import "strings"

// Printable makes server text safe to print on a terminal: every control character (C0, DEL
// and C1, which terminals take for escape sequences: colours, titles, a cleared screen) and
// every invalid UTF-8 byte becomes a space. Bolna's text (an agent's name, an error message)
// reaches the terminal only through it.
func Printable(s string) string {
	s = strings.ToValidUTF8(s, " ")
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < ' ' || r >= 0x7f && r <= 0x9f }
