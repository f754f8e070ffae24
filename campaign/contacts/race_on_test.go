//go:build race

package contacts_test

// hugeCell is the size of TestLoaderHostile's huge cell: under -race, whose shadow memory
// multiplies a 100 MB cell's several copies into gigabytes and whose reads of it took 6 to 40 s,
// a cell of 4 MB, still 64 times what a call carries.
const hugeCell = 4 << 20
