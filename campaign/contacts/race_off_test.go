//go:build !race

package contacts_test

// hugeCell is the size of TestLoaderHostile's huge cell (see race_on_test.go).
const hugeCell = 100 << 20
