package contacts_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
)

// FuzzLoader feeds arbitrary bytes to the contact loader: it must never panic, and every row
// it gives must be well formed.
func FuzzLoader(f *testing.F) {
	for _, seed := range []string{
		"phone,name\n+919876543210,Asha\n",
		"\ufeffName,Contact_Number\r\nAsha,+919876543210\r\n",
		"phone,note\n\"+1 (415) 555-0123\",\"a \"\"quoted\"\", value\nwith a newline\"\n",
		"phone\n98450 12345\n,\n+0\n9.19876E+11\n",
		"phone,a,b\n+14155550123\n+14155550124,x,y,z\n",
		"mobile,phone\n+1,+2\n\"unterminated\n",
		"phone,\x00nul\n+14155550123,\x00\xff\xfe\n",
	} {
		f.Add([]byte(seed), "IN")
	}
	f.Fuzz(func(t *testing.T, data []byte, region string) {
		l, err := contacts.NewLoader(bytes.NewReader(data), "fuzz.csv", contacts.LoadOptions{Region: region})
		if err != nil {
			var ie *contacts.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("NewLoader() error %v is not an *InputError", err)
			}
			return
		}
		for range 10000 {
			row, err := l.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var ie *contacts.InputError
				if !errors.As(err, &ie) {
					t.Fatalf("Next() error %v is not an *InputError", err)
				}
				return
			}
			if len(row.Record) != len(l.Header()) {
				t.Fatalf("row has %d cells, header %d", len(row.Record), len(l.Header()))
			}
			if row.Problem == "" {
				if !strings.HasPrefix(row.Phone, "+") || len(row.Phone) < 8 || len(row.Phone) > 16 || row.Key == "" { // + and 7 to 15 digits
					t.Fatalf("valid row with phone %q key %q", row.Phone, row.Key)
				}
				ud := l.UserData(row)
				if _, ok := ud[l.Header()[l.PhoneColumn()]]; ok && l.Header()[l.PhoneColumn()] != "" {
					t.Fatalf("user_data carries the phone column")
				}
			}
		}
	})
}

// FuzzNormalize: whatever goes in, what comes out is E.164 and normalises to itself.
func FuzzNormalize(f *testing.F) {
	for _, seed := range []string{"+919876543210", "098765 43210", "0044 20 7946 0958", "tel:+1-415-555-0123", "9.19876E+11", "+", "00", "ext 12", "\xff"} {
		f.Add(seed, "IN")
		f.Add(seed, "")
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		n := contacts.PhoneNormalizer{Region: region}
		e164, problem := n.Normalize(raw)
		if (e164 == "") == (problem == "") {
			t.Fatalf("Normalize(%q) = %q, %q: want exactly one of a number and a problem", raw, e164, problem)
		}
		if problem != "" {
			if !utf8.ValidString(problem) {
				t.Fatalf("problem text %q is not UTF-8", problem)
			}
			return
		}
		if again, p := n.Normalize(e164); again != e164 || p != "" {
			t.Fatalf("Normalize(%q) = %q, but %q normalises to %q (%s)", raw, e164, e164, again, p)
		}
	})
}
