package journal

import (
	"io"
	"os"
	"sync"
)

// Store is where a journal's lines are kept: a file (see OpenState), or memory (MemoryStore,
// for tests that need no disk). Lines are appended with Write; Sync makes them durable;
// Truncate cuts a torn last line off, the next Write going at the new end.
type Store interface {
	io.ReaderAt
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// fileStore is a journal file as a Store.
type fileStore struct{ *os.File }

// Truncate cuts the file at size, and writes go on from there.
func (f *fileStore) Truncate(size int64) error {
	if err := f.File.Truncate(size); err != nil {
		return err
	}
	_, err := f.Seek(size, io.SeekStart)
	return err
}

// MemoryStore is a journal kept in memory, for tests: it knows which of its bytes were synced,
// so a test can crash it (see Crash) and replay what a crash would have left. It is safe for
// concurrent use.
type MemoryStore struct {
	mu     sync.Mutex
	data   []byte
	synced int
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// ReadAt reads the store's bytes at off.
func (m *MemoryStore) ReadAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if off >= int64(len(m.data)) {
		return 0, io.EOF
	}
	n := copy(p, m.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write appends p.
func (m *MemoryStore) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append(m.data, p...)
	return len(p), nil
}

// Sync makes every byte written durable (see Crash).
func (m *MemoryStore) Sync() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.synced = len(m.data)
	return nil
}

// Truncate cuts the store at size.
func (m *MemoryStore) Truncate(size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int(size) < len(m.data) {
		m.data = m.data[:size]
		m.synced = min(m.synced, int(size))
	}
	return nil
}

// Close does nothing: the bytes stay, to be opened again.
func (m *MemoryStore) Close() error { return nil }

// Crash is what a crash leaves of the store, as a new store: the bytes synced, and keep bytes
// of those written since (a process killed leaves every write, a machine that went down only
// part of them; a part cut mid-line is a torn line).
func (m *MemoryStore) Crash(keep int) *MemoryStore {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := min(m.synced+max(keep, 0), len(m.data))
	return &MemoryStore{data: append([]byte(nil), m.data[:n]...), synced: n}
}

// Bytes is a copy of what the store holds.
func (m *MemoryStore) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data...)
}
