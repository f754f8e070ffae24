package contacts_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bolna-campaign/bolna-campaign/campaign/contacts"
)

func TestZones(t *testing.T) {
	t.Parallel()
	london, _ := time.LoadLocation("Europe/London")
	tests := []struct {
		name, phone, column string
		def                 *time.Location
		want                string
		zoneErr             bool
		rowErr              bool
	}{
		{name: "india has one zone", phone: "+919876543210", want: "Asia/Calcutta"}, // libphonenumber's name for Asia/Kolkata
		{name: "area code narrows the US", phone: "+14155550123", want: "America/Los_Angeles"},
		{name: "toll-free spans a continent", phone: "+18005550199", zoneErr: true},
		{name: "default wins over the number", phone: "+18005550199", def: london, want: "Europe/London"},
		{name: "column wins over all", phone: "+919876543210", column: "America/New_York", def: london, want: "America/New_York"},
		{name: "bad column value", phone: "+919876543210", column: "Mars/Olympus", rowErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			z := &contacts.Zones{Default: tt.def}
			loc, err := z.For(tt.phone, tt.column)
			var zerr *contacts.ZoneError
			switch {
			case tt.zoneErr:
				if !errors.As(err, &zerr) {
					t.Errorf("For(%s) error = %v, want *ZoneError", tt.phone, err)
				}
			case tt.rowErr:
				if err == nil || errors.As(err, &zerr) {
					t.Errorf("For(%s, %q) error = %v, want a row error", tt.phone, tt.column, err)
				}
			case err != nil || loc.String() != tt.want:
				t.Errorf("For(%s, %q) = %v, %v; want %s", tt.phone, tt.column, loc, err, tt.want)
			}
		})
	}
}
