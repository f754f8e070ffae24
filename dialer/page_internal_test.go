package dialer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// samplePage is a page of n calls as Bolna lists them, with transcripts and extracted data.
func samplePage(n int) []byte {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":"b7140255-af33-4608-8e97-%012d","agent_id":"a","batch_id":null,"status":"completed",`+
			`"conversation_duration":42.5,"total_cost":6.66,"transcript":"assistant: Hello, this is a reminder of your appointment. user: yes thanks",`+
			`"summary":"confirmed","extracted_data":{"confirmed":"yes","slot":{"day":"monday","hour":10}},"created_at":"2025-08-14T14:05:13.684865",`+
			`"updated_at":"2025-08-14T14:06:13.684865","telephony_data":{"duration":"28","to_number":"+9198%08d","from_number":"+918000000000",`+
			`"recording_url":"https://r.example/x.mp3","hangup_by":"user","hangup_reason":"normal"},`+
			`"context_details":{"recipient_data":{"bolna_campaign_ref":"r%d","name":"Asha"},"recipient_phone_number":"+9198%08d"}}`, i, i, i, i)
	}
	return []byte(`{"page_number":1,"page_size":50,"total":` + fmt.Sprint(n) + `,"has_more":false,"data":[` + strings.Join(items, ",") + `]}`)
}

// TestPageDecodesAsItemByItem: a page decoded in one pass (decodePage) is the page decoded item
// by item (each through Execution.UnmarshalJSON, as json.Unmarshal does), odd items included:
// a field of the wrong type in one item (its free text kept as JSON), extracted data too deep,
// a null item, no data. FuzzDecodeExecution compares the two on whatever it finds.
func TestPageDecodesAsItemByItem(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	for _, tt := range []struct {
		name, page string
	}{
		{"usual", string(samplePage(3))},
		{"summary an object", `{"data":[{"id":"x","status":"completed"},{"id":"y","summary":{"a":1},"status":"failed"}]}`},
		{"status a number", `{"data":[{"id":"x","status":42,"transcript":["a"]}]}`},
		{"extracted data too deep", `{"data":[{"id":"x","extracted_data":` + deep + `},{"id":"y","extracted_data":{"a":1}}]}`},
		{"a null item", `{"data":[null,{"id":"y"}]}`},
		{"data null", `{"data":null,"has_more":true}`},
		{"data empty", `{"data":[],"total":0}`},
		{"no data", `{"page_number":2}`},
		{"page field of the wrong type", `{"total":"many","data":[{"id":"x"}]}`},
		{"not a page", `[1,2]`},
		{"cut short", `{"data":[{"id":"x"`},
	} {
		var one, each ExecutionPage
		errOne := decodePage([]byte(tt.page), &one)
		errEach := json.Unmarshal([]byte(tt.page), &each)
		if (errOne == nil) != (errEach == nil) || !reflect.DeepEqual(one, each) {
			t.Errorf("%s: in one pass %+v, %v; item by item %+v, %v", tt.name, one, errOne, each, errEach)
		}
	}
}

// BenchmarkDecodePage decodes a page of 50 calls in one pass and item by item.
//
//	go test -run '^$' -bench DecodePage ./dialer
func BenchmarkDecodePage(b *testing.B) {
	page := samplePage(MaxListPageSize)
	b.Run("one-pass", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			var p ExecutionPage
			if err := decodePage(page, &p); err != nil || len(p.Data) != MaxListPageSize {
				b.Fatal(err)
			}
		}
	})
	b.Run("item-by-item", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			var p ExecutionPage
			if err := json.Unmarshal(page, &p); err != nil || len(p.Data) != MaxListPageSize {
				b.Fatal(err)
			}
		}
	})
}
