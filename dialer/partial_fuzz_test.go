package dialer

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzPartialMatchesWhole: a payload that decodes whole (an object, nested no deeper than
// MaxDepth) reads field by field (readPartial, the path of a payload too large or too deep)
// into exactly the same execution, and the same page.
func FuzzPartialMatchesWhole(f *testing.F) {
	for _, seed := range []string{
		`{"id":"b7","status":"completed","total_cost":6.66,"created_at":"2025-08-14T14:05:13.684865",` +
			`"telephony_data":{"duration":"28","from_number":"+14155550100"},"extracted_data":{"a":[1,{"b":"}"}]},` +
			`"context_details":{"recipient_data":{"bolna_campaign_ref":"r\"\\"},"recipient_phone_number":"+91"}}`,
		` { "id" : 12 , "status" : "no_answer" , "summary" : {"x":true} , "sta\u0074us":"busy" } `,
		`{"data":[{"id":"x","status":"queued"},{"id":"y","total_cost":-1e3}],"has_more":true,"page_number":2}`,
		`{}`, `{"data":[]}`, `{"data":null}`,
	} {
		f.Add([]byte(seed))
	}
	same := func(b []byte) []byte { return b }
	f.Fuzz(func(t *testing.T, data []byte) {
		if depth(data) > MaxDepth || len(bytes.TrimLeft(data, " \t\r\n")) == 0 || bytes.TrimLeft(data, " \t\r\n")[0] != '{' {
			return
		}
		var whole, part Execution
		if json.Unmarshal(data, &whole) == nil {
			if ok, err := readPartial(bytes.NewReader(data), &part, same, defaultSizes); !ok || err != nil || !reflect.DeepEqual(whole, part) {
				t.Fatalf("readPartial(%q) = %+v, %v; json.Unmarshal = %+v", data, part, err, whole)
			}
		}
		var wholePage, partPage ExecutionPage
		if json.Unmarshal(data, &wholePage) == nil {
			if ok, err := readPartial(bytes.NewReader(data), &partPage, same, defaultSizes); !ok || err != nil || !reflect.DeepEqual(wholePage, partPage) {
				t.Fatalf("readPartial(%q) as a page = %+v, %v; json.Unmarshal = %+v", data, partPage, err, wholePage)
			}
		}
	})
}
