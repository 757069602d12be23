package objstore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shallot-storage/shallot/meta"
	"github.com/sirupsen/logrus"
)

// NewTesting returns a real store on in-memory metadata and in-memory
// blobs, closed when the test ends. Options may shrink sizes (e.g.
// MinPartSize) so tests stay small.
func NewTesting(tb testing.TB, opts ...Options) *Store {
	tb.Helper()
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	db, err := meta.Open(meta.Options{InMemory: true, Log: logrus.NewEntry(log)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Log = logrus.NewEntry(log)
	s, err := New(db, newMemBlobs(), o)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// memBlobs keeps blobs in memory for tests of the layers above blob.
type memBlobs struct {
	mu sync.RWMutex
	m  map[uint64][]byte
}

func newMemBlobs() *memBlobs { return &memBlobs{m: map[uint64][]byte{}} }

func (b *memBlobs) Put(_ context.Context, id uint64, data []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.m[id]; ok {
		return fmt.Errorf("blob %d exists", id)
	}
	b.m[id] = append([]byte(nil), data...)
	return nil
}

func (b *memBlobs) ReadAt(_ context.Context, id uint64, p []byte, off int64) (int, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	d, ok := b.m[id]
	if !ok {
		return 0, fmt.Errorf("blob %d: %w", id, ErrIO)
	}
	if off >= int64(len(d)) {
		return 0, fmt.Errorf("blob %d: read at %d past %d: %w", id, off, len(d), ErrIO)
	}
	n := copy(p, d[off:])
	if n < len(p) {
		return n, fmt.Errorf("blob %d short: %w", id, ErrIO)
	}
	return n, nil
}

func (b *memBlobs) Delete(_ context.Context, id uint64) error {
	b.mu.Lock()
	delete(b.m, id)
	b.mu.Unlock()
	return nil
}

func (b *memBlobs) Capacity(context.Context) (uint64, uint64, error) { return 1 << 40, 1 << 39, nil }

func (b *memBlobs) count() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.m)
}
