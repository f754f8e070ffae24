package dialer

import (
	"fmt"
	"net/url"
	"strings"
)

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

// CheckOutboundURL accepts an absolute URL the runner sends personal data to (a relayed push,
// a finish notice): https, or plain http only to loopback. flag names it in the error.
func CheckOutboundURL(flag, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not an absolute URL", flag, raw)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())) {
		return fmt.Errorf("%s must be https (plain http only to loopback): what it receives holds personal data", flag)
	}
	if u.User != nil {
		return fmt.Errorf("%s must not carry credentials in the URL", flag)
	}
	return nil
}
