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

// TestDecisionsOnce: a row is decided once, whole (its kind and why): a second decision is
// refused and the first stands, and a reason shared by many rows is kept once.
func TestDecisionsOnce(t *testing.T) {
	t.Parallel()
	var d decisions
	outside := decision{kind: kindOutside, reason: "outside calling hours 09:00-18:00 (Asia/Kolkata)"}
	for ord := range 1000 {
		if !d.set(ord, outside) {
			t.Fatalf("row %d: its first decision refused", ord)
		}
	}
	if d.set(7, decision{kind: kindStopped, reason: stoppedReason}) {
		t.Error("a second decision for row 7 was taken")
	}
	if got, ok := d.get(7); !ok || got != outside {
		t.Errorf("row 7: %+v, want its first decision %+v", got, outside)
	}
	if len(d.texts) != 1 {
		t.Errorf("%d reasons kept for one shared by every row", len(d.texts))
	}
	if _, ok := d.get(1000); ok {
		t.Error("a row the pass never met has a decision")
	}
}
