package contacts_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
	"golang.org/x/text/encoding/unicode"
)

// loaderWant is a row TestLoader must read.
type loaderWant struct {
	phone, key, problem string
	line                int
	userData            map[string]string
}

// loaderCases are the lists TestLoader reads, and what it must read of them.
var loaderCases = []struct {
	name   string
	csv    string
	opts   contacts.LoadOptions
	header []string
	rows   []loaderWant
}{
	{
		name:   "plain",
		csv:    "phone,name\n+919876543210,Asha\n",
		header: []string{"phone", "name"},
		rows:   []loaderWant{{phone: "+919876543210", key: "+919876543210", line: 2, userData: map[string]string{"name": "Asha"}}},
	},
	{
		name:   "bom crlf and case-insensitive header",
		csv:    "\ufeffName,Contact_Number\r\nAsha,+919876543210\r\n",
		header: []string{"Name", "Contact_Number"},
		rows:   []loaderWant{{phone: "+919876543210", key: "+919876543210", line: 2, userData: map[string]string{"Name": "Asha"}}},
	},
	{
		name: "quoted fields with commas, quotes and newlines",
		csv:  "phone,note\n\"+1 (415) 555-0123\",\"says \"\"hi\"\", then, bye\"\n+14155550124,\"two\nlines\"\n+14155550125,x\n",
		rows: []loaderWant{
			{phone: "+14155550123", key: "+14155550123", line: 2, userData: map[string]string{"note": `says "hi", then, bye`}},
			{phone: "+14155550124", key: "+14155550124", line: 3, userData: map[string]string{"note": "two\nlines"}},
			{phone: "+14155550125", key: "+14155550125", line: 5, userData: map[string]string{"note": "x"}},
		},
	},
	{
		name: "phone column preference order",
		csv:  "mobile,phone\n+14155550100,+14155550199\n",
		rows: []loaderWant{{phone: "+14155550199", key: "+14155550199", line: 2, userData: map[string]string{"mobile": "+14155550100"}}},
	},
	{
		name: "named phone column and id column",
		csv:  "cust_id,cell\nC-7,+14155550100\n",
		opts: contacts.LoadOptions{PhoneColumn: "CELL", IDColumn: "cust_id"},
		rows: []loaderWant{{phone: "+14155550100", key: "C-7", line: 2, userData: map[string]string{"cust_id": "C-7"}}},
	},
	{
		name: "region converts national numbers",
		csv:  "phone\n020 7946 0958\n0044 20 7946 0958\n",
		opts: contacts.LoadOptions{Region: "gb"},
		rows: []loaderWant{
			{phone: "+442079460958", key: "+442079460958", line: 2, userData: map[string]string{}},
			{phone: "+442079460958", key: "+442079460958", line: 3, userData: map[string]string{}},
		},
	},
	{
		name: "bad rows are rows, not errors",
		csv:  "phone,name\n98450 12345,no region\n,empty\n+91 98450 ABCDE,letters\n9.19876E+11,excel\n+0123456789,zero\n+919876543210,a,b\n+919876543211,a,,\n",
		rows: []loaderWant{
			{problem: "no country code", line: 2},
			{problem: "empty phone number", line: 3},
			{problem: "not a phone number", line: 4},
			{problem: "scientific notation", line: 5},
			{problem: "not a valid E.164", line: 6},
			{problem: "row has 3 cells", line: 7},
			{phone: "+919876543211", key: "+919876543211", line: 8, userData: map[string]string{"name": "a"}},
		},
	},
	{
		// Issue 14 reversed this: a short row was dialled with empty variables, which the
		// agent then speaks as nothing. It is padded (one cell per column, for the results)
		// and invalid, saying why.
		name: "short rows are padded and invalid",
		csv:  "phone,name,city\n+919876543210\n",
		rows: []loaderWant{{problem: "cells are missing", line: 2}},
	},
	{
		name: "a semicolon-separated export (European Excel)",
		csv:  "phone;name;city\n+919876543210;Asha;Pune\n",
		rows: []loaderWant{{phone: "+919876543210", key: "+919876543210", line: 2, userData: map[string]string{"name": "Asha", "city": "Pune"}}},
	},
	{
		name: "a tab-separated export",
		csv:  "name\tphone\n\"Rao, A.\"\t+919876543210\n",
		rows: []loaderWant{{phone: "+919876543210", key: "+919876543210", line: 2, userData: map[string]string{"name": "Rao, A."}}},
	},
	{
		name: "a comma list whose cells hold semicolons",
		csv:  "phone,note\n+919876543210,\"a;b;c\"\n",
		rows: []loaderWant{{phone: "+919876543210", key: "+919876543210", line: 2, userData: map[string]string{"note": "a;b;c"}}},
	},
	{
		name: "empty id",
		csv:  "id,phone\n,+919876543210\n",
		opts: contacts.LoadOptions{IDColumn: "id"},
		rows: []loaderWant{{phone: "+919876543210", problem: "empty id", line: 2}},
	},
	{
		name: "header only",
		csv:  "phone,name\n",
	},
}

func TestLoader(t *testing.T) {
	t.Parallel()
	for _, tt := range loaderCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := contacts.NewLoader(strings.NewReader(tt.csv), "test.csv", tt.opts)
			if err != nil {
				t.Fatalf("NewLoader() error = %v", err)
			}
			if tt.header != nil && strings.Join(l.Header(), "|") != strings.Join(tt.header, "|") {
				t.Errorf("Header() = %q, want %q", l.Header(), tt.header)
			}
			for i, w := range tt.rows {
				row, err := l.Next()
				if err != nil {
					t.Fatalf("row %d: Next() error = %v", i, err)
				}
				if row.Phone != w.phone || row.Line != w.line || (w.key != "" && row.Key != w.key) {
					t.Errorf("row %d = phone %q key %q line %d, want %q %q %d", i, row.Phone, row.Key, row.Line, w.phone, w.key, w.line)
				}
				if !strings.Contains(row.Problem, w.problem) || (w.problem == "") != (row.Problem == "") {
					t.Errorf("row %d problem = %q, want %q", i, row.Problem, w.problem)
				}
				if len(row.Record) != len(l.Header()) {
					t.Errorf("row %d has %d cells, want %d", i, len(row.Record), len(l.Header()))
				}
				if w.userData != nil {
					got := l.UserData(row)
					if len(got) != len(w.userData) {
						t.Errorf("row %d user_data = %q, want %q", i, got, w.userData)
					}
					for k, v := range w.userData {
						if got[k] != v {
							t.Errorf("row %d user_data[%q] = %q, want %q", i, k, got[k], v)
						}
					}
				}
			}
			if _, err := l.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("after the last row: Next() error = %v, want io.EOF", err)
			}
		})
	}
}

func TestLoaderFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, csv string
		opts      contacts.LoadOptions
		wantLine  int
		want      string
	}{
		{"empty file", "", contacts.LoadOptions{}, 0, "empty"},
		{"no phone column", "name,city\nAsha,Pune\n", contacts.LoadOptions{}, 1, "no phone column"},
		{"no header", "+919876543210,Asha\n", contacts.LoadOptions{}, 1, "add a header row"},
		{"named column missing", "phone\n+1\n", contacts.LoadOptions{PhoneColumn: "cell"}, 1, `no column named "cell"`},
		{"id column missing", "phone\n+1\n", contacts.LoadOptions{IDColumn: "id"}, 1, `no id column`},
		{"duplicate header", "phone,Phone\n", contacts.LoadOptions{}, 1, "appears twice"},
		{"reserved column", "phone,bolna_campaign_ref\n", contacts.LoadOptions{}, 1, "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := contacts.NewLoader(strings.NewReader(tt.csv), "list.csv", tt.opts)
			var ie *contacts.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("NewLoader() error = %v, want *InputError", err)
			}
			if ie.File != "list.csv" || ie.Line != tt.wantLine || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewLoader() error = %v (line %d), want line %d and %q", err, ie.Line, tt.wantLine, tt.want)
			}
		})
	}

	// A broken quote deep in the file is an InputError naming its line and column.
	l, err := contacts.NewLoader(strings.NewReader("phone,name\n+14155550100,ok\n+14155550101,\"unterminated\n"), "list.csv", contacts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l.Next()
	_, err = l.Next()
	var ie *contacts.InputError
	if !errors.As(err, &ie) || ie.Line != 3 {
		t.Errorf("broken quote: error = %v, want an InputError on line 3", err)
	}
}

func TestPhoneNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, region, want, problem string
	}{
		{"+919876543210", "", "+919876543210", ""},
		{" +91 98765-43210 ", "", "+919876543210", ""},
		{"+1 (415) 555.0123", "", "+14155550123", ""},
		{"00919876543210", "", "+919876543210", ""},
		{"tel:+14155550123", "", "+14155550123", ""},
		{"09876543210", "IN", "+919876543210", ""},
		{"98765 43210", "IN", "+919876543210", ""},
		{"(415) 555-0123", "US", "+14155550123", ""},
		{"(415) 555-01", "US", "", "not a valid number in region US"},
		{"(650) 253-0000", "US", "+16502530000", ""},
		{"12345", "IN", "", "not a valid number"},
		{"98765 43210", "", "", "no country code"},
		{"+12", "", "", "not a valid E.164"},
		// Short numbering plans: Vienna's short numbers, Niue; a national number libphonenumber
		// accepts is accepted back in the E.164 form it became (found by FuzzNormalize).
		{"12000", "AT", "+4312000", ""},
		{"+4312000", "", "+4312000", ""},
		{"+6834000", "", "+6834000", ""},
		{"+123456", "", "", "not a valid E.164"},
		{"+1234567890123456", "", "", "not a valid E.164"},
		{"+91 98765 43210 ext 12", "", "", "not a phone number"},
		{"", "", "", "empty"},
		{"=HYPERLINK(\"x\")", "", "", "not a phone number"},
		// #23.6: a country code that exists and a length its numbers can have.
		{"+999123456789", "", "", "no country has the calling code"},
		{"+1 415 555 01234", "", "", "the wrong length for a number of country code +1"},
		{"+39 06 6982 1234", "", "+390669821234", ""}, // Italy keeps its leading zero
		{"+80012345678", "", "+80012345678", ""},      // a non-geographic code (freephone)
		{"919845012349", "", "", "did you mean +919845012349?"},
		{"9845012349", "", "", "no country code"},
	}
	for _, tt := range tests {
		t.Run(tt.raw+"/"+tt.region, func(t *testing.T) {
			t.Parallel()
			got, problem := contacts.PhoneNormalizer{Region: tt.region}.Normalize(tt.raw)
			if got != tt.want || !strings.Contains(problem, tt.problem) || (tt.problem == "") != (problem == "") {
				t.Errorf("Normalize(%q, %q) = %q, %q; want %q, %q", tt.raw, tt.region, got, problem, tt.want, tt.problem)
			}
		})
	}
}

func TestLoaderHostile(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", hugeCell)
	wide := make([]string, 10000)
	wideRow := make([]string, 10000)
	for i := range wide {
		wide[i], wideRow[i] = fmt.Sprintf("column_%d", i), "value"
	}
	wide[0], wideRow[0] = "phone", "+919876543210"
	tests := []struct {
		name    string
		csv     string
		problem string // "" for a dialable row
	}{
		{"huge cell", "phone,notes\n+919876543210," + huge + "\n", "more than the 65536 a call carries"},
		{"10,000 columns", strings.Join(wide, ",") + "\n" + strings.Join(wideRow, ",") + "\n", "more than the 65536 a call carries"},
		{"NUL in the phone", "phone,notes\n+91987654\x003210,x\n", "not a phone number"},
		{"NUL elsewhere", "phone,notes\n+919876543210,a\x00b\n", ""},
		{"invalid UTF-8", "phone,\xff\xfe\n+919876543210,\xc3\x28\n", ""},
		{"formula cells", "phone,name\n+919876543210,\"=HYPERLINK(\"\"http://x\"\")\"\n", ""},
		{"formula phone", "phone\n=1+919876543210\n", "not a phone number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := contacts.NewLoader(strings.NewReader(tt.csv), "hostile.csv", contacts.LoadOptions{})
			if err != nil {
				t.Fatalf("NewLoader() error = %v", err)
			}
			row, err := l.Next()
			if err != nil {
				t.Fatalf("Next() error = %v", err)
			}
			if !strings.Contains(row.Problem, tt.problem) || (tt.problem == "") != (row.Problem == "") {
				t.Errorf("problem = %q, want %q", clipped(row.Problem), tt.problem)
			}
		})
	}
}

func clipped(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// TestLoaderEncodings: Excel's exports load as they are: UTF-8 with a byte order mark, and
// "Unicode text", which is UTF-16 (either byte order) with a mark and tabs.
func TestLoaderEncodings(t *testing.T) {
	t.Parallel()
	const list = "phone\tname\r\n+919876543210\tÅsa Ñúñez\r\n"
	utf16 := func(e unicode.Endianness) []byte {
		b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().Bytes([]byte(list))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, data := range map[string][]byte{
		"utf-8 with a mark": append([]byte("\xef\xbb\xbf"), list...),
		"utf-16 le":         utf16(unicode.LittleEndian),
		"utf-16 be":         utf16(unicode.BigEndian),
	} {
		l, err := contacts.NewLoader(bytes.NewReader(data), "export.csv", contacts.LoadOptions{})
		if err != nil {
			t.Errorf("%s: NewLoader() error = %v", name, err)
			continue
		}
		row, err := l.Next()
		if err != nil || row.Phone != "+919876543210" || l.UserData(row)["name"] != "Åsa Ñúñez" {
			t.Errorf("%s: row %+v (%v), user_data %q", name, row, err, l.UserData(row))
		}
	}
}

// TestLoaderLegacyEncodings: bytes that are not UTF-8 are never replaced silently. An "ANSI"
// export (Windows-1252) is recognised from its first 64 KB and read as such, and says so; one
// whose first non-ASCII byte comes later stops with its line and --encoding; --encoding names
// the encoding outright.
func TestLoaderLegacyEncodings(t *testing.T) {
	t.Parallel()
	ansi := []byte("phone,name\r\n+919876543210,Zo\xeb M\xfcller\r\n")
	late := []byte("phone,name\n")
	for i := range 3000 {
		late = fmt.Appendf(late, "+9198765%05d,Name %d\n", i, i)
	}
	late = append(late, "+919999999999,Zo\xeb\n"...)
	tests := []struct {
		name     string
		data     []byte
		encoding string
		wantName string // the first row's name
		wantEnc  string
		wantErr  string
	}{
		{"windows-1252, found", ansi, "", "Zoë Müller", "windows-1252", ""},
		{"latin-1, named", ansi, "latin-1", "Zoë Müller", "iso-8859-1", ""},
		{"utf-8", []byte("phone,name\n+919876543210,Zoë Müller\n"), "", "Zoë Müller", "utf-8", ""},
		{"not utf-8 after 64 KB", late, "", "Name 0", "utf-8", "--encoding"},
		{"an unknown encoding named", ansi, "klingon", "", "", "--encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := contacts.NewLoader(bytes.NewReader(tt.data), "export.csv", contacts.LoadOptions{Encoding: tt.encoding})
			if err != nil {
				if tt.wantErr == "" || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NewLoader() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if got := l.Encoding(); got != tt.wantEnc {
				t.Errorf("Encoding() = %q, want %q", got, tt.wantEnc)
			}
			row, err := l.Next()
			if err != nil || l.UserData(row)["name"] != tt.wantName {
				t.Fatalf("first row %+v (%v), name %q; want %q", row, err, l.UserData(row)["name"], tt.wantName)
			}
			for err == nil {
				_, err = l.Next()
			}
			var ie *contacts.InputError
			switch {
			case tt.wantErr == "" && !errors.Is(err, io.EOF):
				t.Errorf("reading on: %v", err)
			case tt.wantErr != "" && (!errors.As(err, &ie) || ie.Line == 0 || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("reading on: %v, want an InputError with its line and %q", err, tt.wantErr)
			}
		})
	}
}
