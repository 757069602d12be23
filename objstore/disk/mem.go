package disk

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"sync"
)

// Mem is a Disk in memory, for tests. With a capacity it fails writes that
// would exceed it with ErrNoSpace, like a full device.
type Mem struct {
	id       string
	capacity uint64

	mu    sync.RWMutex
	files map[string][]byte
	used  uint64
}

var _ Disk = (*Mem)(nil)

// NewMem returns an empty memory disk holding at most capacity bytes of
// file data (0: unlimited, reported as 1 TiB by Stat).
func NewMem(id string, capacity uint64) *Mem {
	return &Mem{id: id, capacity: capacity, files: make(map[string][]byte)}
}

func (m *Mem) ID() string { return m.id }

func (m *Mem) WriteFile(ctx context.Context, name string, data ...[]byte) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var n int
	for _, b := range data {
		n += len(b)
	}
	buf := make([]byte, 0, n)
	for _, b := range data {
		buf = append(buf, b...)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := uint64(len(m.files[name]))
	if m.capacity > 0 && m.used-old+uint64(n) > m.capacity {
		return fmt.Errorf("disk %s: write %s: %w", m.id, name, ErrNoSpace)
	}
	m.used = m.used - old + uint64(n)
	m.files[name] = buf
	return nil
}

func (m *Mem) ReadAt(ctx context.Context, name string, p []byte, off int64) (int, error) {
	if err := CheckName(name); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("disk %s: read %s: negative offset: %w", m.id, name, fs.ErrInvalid)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.files[name]
	if !ok {
		return 0, fmt.Errorf("disk %s: read %s: %w", m.id, name, fs.ErrNotExist)
	}
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *Mem) Remove(ctx context.Context, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[name]
	if !ok {
		return fmt.Errorf("disk %s: remove %s: %w", m.id, name, fs.ErrNotExist)
	}
	m.used -= uint64(len(b))
	delete(m.files, name)
	return nil
}

// List snapshots the names first so that fn may call back into the disk.
func (m *Mem) List(ctx context.Context, fn func(name string) error) error {
	m.mu.RLock()
	names := make([]string, 0, len(m.files))
	for name := range m.files {
		names = append(names, name)
	}
	m.mu.RUnlock()
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(name); err != nil {
			return err
		}
	}
	return nil
}

func (m *Mem) Stat(ctx context.Context) (Usage, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	total := m.capacity
	if total == 0 {
		total = 1 << 40
	}
	free := uint64(0)
	if m.used < total {
		free = total - m.used
	}
	return Usage{Total: total, Free: free}, nil
}
