package journal

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// KeyHash is the 64-bit FNV-1a hash by which contacts are indexed (and sharded).
func KeyHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// KeyScheme names how a list's rows are keyed: "phone" (the normalised number), or
// "column:NAME" for --id-column NAME (the name as matched: trimmed, lower case).
func KeyScheme(idColumn string) string {
	if name := strings.ToLower(strings.TrimSpace(idColumn)); name != "" {
		return "column:" + name
	}
	return "phone"
}

// KeyingError says a run keys the list's rows otherwise than the runs that wrote the journal:
// every contact would be taken for a new one and dialled again.
type KeyingError struct {
	Path       string
	Have, Want string // key schemes (see KeyScheme); Have "column:" when an older journal did not say which
}

func (e *KeyingError) Error() string {
	return fmt.Sprintf("%s keys contacts by %s, but this run keys them by %s: every contact would be taken for a new one and dialled again. "+
		"Nothing was dialled. Run as before (%s), or use another --results file for a new campaign",
		e.Path, schemeText(e.Have), schemeText(e.Want), schemeFlag(e.Have))
}

// schemeText and schemeFlag say a keying scheme in words, and as the flag that gives it.
func schemeText(scheme string) string { text, _ := schemeWords(scheme); return text }
func schemeFlag(scheme string) string { _, flag := schemeWords(scheme); return flag }

func schemeWords(scheme string) (text, flag string) {
	switch name, ok := strings.CutPrefix(scheme, "column:"); {
	case !ok:
		return "the phone number", "without --id-column"
	case name == "":
		return "an id column", "with the --id-column of the earlier runs"
	default:
		return "the id column " + strconv.Quote(name), "--id-column " + name
	}
}

// BindKeys checks that the journal's contacts are keyed by scheme (see [KeyScheme]), and
// records the scheme in a journal that does not say yet. An older journal that does not say is
// judged by its intents: keyed by number when each intent's key is its number.
func (s *State) BindKeys(scheme string) error {
	s.mu.Lock()
	have := s.keys
	if have == "" && s.byOther > 0 {
		have = "column:"
	} else if have == "" && s.byPhone > 0 {
		have = "phone"
	}
	switch {
	case have == scheme:
	case have == "column:" && strings.HasPrefix(scheme, "column:"):
		// An older journal keyed by some column: this run's is taken for it.
	case have != "":
		s.mu.Unlock()
		return &KeyingError{Path: s.path, Have: have, Want: scheme}
	}
	if s.keys == scheme {
		s.mu.Unlock()
		return nil
	}
	if s.header != nil {
		s.header.Keys, s.keys = scheme, scheme
		s.mu.Unlock()
		return nil
	}
	ro := s.store == nil
	s.mu.Unlock()
	if ro {
		return nil
	}
	return s.append(record{Ev: evKeys, Keys: scheme, At: s.clock().UTC()}, false)
}

// AttemptOfRef is the attempt a reference was made for (see State.Ref), 0 if ref is not one.
func AttemptOfRef(ref string) int {
	parts := strings.Split(ref, "-")
	if len(parts) != 4 {
		return 0
	}
	n, _ := strconv.Atoi(parts[2])
	return n
}
