package contacts

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// PhoneNormalizer turns the numbers people put in spreadsheets into E.164.
//
// Numbers already in international form (+ or 00 and a country code) are checked for a
// country calling code that exists and a length that country's numbers can have, from
// libphonenumber's metadata: that costs a third of a microsecond, where its full validity
// check costs 7.5 µs a number (7.5 s more on a million-row list, against a dry run of 4 s),
// and Bolna itself checks nothing more. National numbers need a region (--region) and go
// through libphonenumber's full check, which knows each country's trunk prefix and lengths.
type PhoneNormalizer struct {
	// Region is the ISO 3166 two-letter code used for numbers without a country code; empty
	// makes such numbers invalid.
	Region string
}

// Normalize returns the E.164 form of raw, or a reason why raw is not a number that can be
// dialled.
func (n PhoneNormalizer) Normalize(raw string) (e164, problem string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", "empty phone number"
	}
	s = strings.TrimPrefix(s, "tel:")
	if i := strings.IndexAny(s, ";,"); i >= 0 && strings.Contains(s[i:], "ext") {
		return "", "extensions cannot be dialled"
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/' || r == '\u00a0' || r == '\t':
		case (r == 'E' || r == 'e') && scientific.MatchString(s):
			return "", "looks like a number a spreadsheet turned into scientific notation (" + clip(raw) + ")"
		default:
			return "", "not a phone number (" + clip(raw) + ")"
		}
	}
	digits := b.String()
	if strings.HasPrefix(digits, "00") {
		digits = "+" + digits[2:]
	}
	if strings.HasPrefix(digits, "+") {
		if !isE164(digits) {
			return "", "not a valid E.164 number (" + clip(raw) + "): + then 7 to 15 digits, not starting with 0"
		}
		if problem := possible(digits); problem != "" {
			return "", problem + " (" + clip(raw) + ")"
		}
		return digits, ""
	}
	if n.Region == "" {
		if len(digits) >= 11 && isE164("+"+digits) && possible("+"+digits) == "" {
			return "", "no country code (" + clip(raw) + "): did you mean +" + digits + "? Write it so, or pass --region"
		}
		return "", "no country code (" + clip(raw) + "): write it as +<country code><number>, or pass --region"
	}
	num, err := phonenumbers.Parse(digits, n.Region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", "not a valid number in region " + clip(n.Region) + " (" + clip(raw) + ")"
	}
	// What a national number becomes must pass the check a number written in that form does.
	if e164 := phonenumbers.Format(num, phonenumbers.E164); isE164(e164) {
		return e164, ""
	}
	return "", "too short to dial internationally (" + clip(raw) + ")"
}

// possible checks an E.164 number against libphonenumber's metadata: a country calling code
// that exists (+999 does not), and a length its numbers can have. It returns why not, or "".
func possible(e164 string) string {
	for n := 1; n <= 3 && n < len(e164)-1; n++ {
		cc, _ := strconv.Atoi(e164[1 : 1+n])
		if phonenumbers.GetRegionCodeForCountryCode(cc) == phonenumbers.UNKNOWN_REGION {
			continue
		}
		rest := e164[1+n:]
		nsn, err := strconv.ParseUint(rest, 10, 64)
		if err != nil {
			return "not a phone number"
		}
		cc32 := int32(cc)
		zeros := int32(len(rest) - len(strings.TrimLeft(rest, "0")))
		lead := zeros > 0 // Italy's numbers keep their leading zero
		num := &phonenumbers.PhoneNumber{CountryCode: &cc32, NationalNumber: &nsn, ItalianLeadingZero: &lead}
		if zeros > 1 {
			num.NumberOfLeadingZeros = &zeros
		}
		if !phonenumbers.IsPossibleNumber(num) {
			return "the wrong length for a number of country code +" + e164[1:1+n]
		}
		return ""
	}
	return "no country has the calling code it starts with"
}

// scientific matches what a spreadsheet makes of a long number: 9.19876E+11.
var scientific = regexp.MustCompile(`^\+?\d+(\.\d+)?[eE]\+?\d+$`)

// isE164 checks the shape ^\+[1-9]\d{6,14}$ without a regexp: the shortest numbering plans
// in use (Niue, Tokelau, Saint Helena, short numbers in Vienna) have seven digits.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidRegion reports whether libphonenumber knows region.
func ValidRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)) != 0
}

func clip(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
