package campaign

import (
	"errors"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
)

// TestDuplicates: the first pass finds the duplicates; later passes read them back by row,
// and notice a list that changed in between.
func TestDuplicates(t *testing.T) {
	t.Parallel()
	rows := []contacts.Row{
		{Line: 2, Phone: "+911", Key: "+911"},
		{Line: 3, Phone: "+912", Key: "A"},
		{Line: 4, Phone: "+911", Key: "+911"}, // same number as line 2
		{Line: 5, Phone: "+913", Key: "A"},    // same id as line 3
		{Line: 6, Phone: "+914", Key: "B"},
	}
	want := []int{0, 0, 2, 3, 0}
	d := &duplicates{}
	for i, row := range rows {
		if got, err := d.of(i, row); err != nil || got != want[i] {
			t.Fatalf("first pass, row %d: duplicate of %d (%v), want %d", i, got, err, want[i])
		}
	}
	d.freeze()
	for i, row := range rows {
		if got, err := d.of(i, row); err != nil || got != want[i] {
			t.Errorf("later pass, row %d: duplicate of %d (%v), want %d", i, got, err, want[i])
		}
	}
	changed := rows[4]
	changed.Phone = "+915"
	var lc *ListChangedError
	if _, err := d.of(4, changed); !errors.As(err, &lc) || lc.Line != 6 {
		t.Errorf("a row changed between passes: error = %v, want a ListChangedError for line 6", err)
	}
	if _, err := d.of(5, rows[0]); !errors.As(err, &lc) {
		t.Errorf("a row added between passes: error = %v, want a ListChangedError", err)
	}
}
