package contacts

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // calling hours must work on machines without a zoneinfo database

	"github.com/nyaruka/phonenumbers"
)

// Zones decides the time zone of each contact for the calling window: the row's
// --timezone-column if set and not empty, else --timezone, else the zone of the number where
// libphonenumber maps it to exactly one (+91 is Asia/Kolkata; +1 415 is America/Los_Angeles).
// A number that maps to several zones, with nothing else to go by, is an error: the runner
// does not guess when people may be asleep.
type Zones struct {
	Default *time.Location // --timezone; nil for none

	mu    sync.Mutex
	cache map[string]*time.Location
}

// LoadZone loads an IANA zone name, such as Asia/Kolkata.
func LoadZone(name string) (*time.Location, error) {
	if strings.TrimSpace(name) == "" || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("time zone %q: name an IANA zone such as Asia/Kolkata", name)
	}
	loc, err := time.LoadLocation(strings.TrimSpace(name))
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: name an IANA zone such as Asia/Kolkata", name)
	}
	return loc, nil
}

func (z *Zones) load(name string) (*time.Location, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if loc, ok := z.cache[name]; ok {
		return loc, nil
	}
	loc, err := LoadZone(name)
	if err != nil {
		return nil, err
	}
	if z.cache == nil {
		z.cache = map[string]*time.Location{}
	}
	z.cache[name] = loc
	return loc, nil
}

// ZoneError says a contact's time zone cannot be told.
type ZoneError struct {
	Phone string
	Zones []string
}

func (e *ZoneError) Error() string {
	if len(e.Zones) == 0 {
		return fmt.Sprintf("the time zone of %s is not known: pass --timezone or --timezone-column", e.Phone)
	}
	return fmt.Sprintf("%s may be in any of %s: pass --timezone or --timezone-column", e.Phone, strings.Join(e.Zones, ", "))
}

// For returns the zone of a contact; column is the row's --timezone-column value ("" if none).
// A bad zone name in the column is a problem of the row (the *ZoneError of a number with
// several zones is a problem of the whole run).
func (z *Zones) For(phone, column string) (*time.Location, error) {
	if column = strings.TrimSpace(column); column != "" {
		return z.load(column)
	}
	if z.Default != nil {
		return z.Default, nil
	}
	zones, err := phonenumbers.GetTimezonesForPrefix(phone)
	if err != nil || len(zones) != 1 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE {
		if len(zones) == 1 {
			zones = nil
		}
		return nil, &ZoneError{Phone: phone, Zones: zones}
	}
	return z.load(zones[0])
}
