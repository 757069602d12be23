package disk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// ErrInjected marks every failure made up by Faulty. Such errors also match
// syscall.EIO (or ErrNoSpace for Faults.NoSpace), like the real thing.
var ErrInjected = errors.New("injected disk fault")

// Faults selects what a Faulty disk does wrong. The zero value is a healthy
// disk.
type Faults struct {
	// Dead fails every operation with an I/O error, like a pulled disk.
	Dead bool
	// NoSpace fails WriteFile with ErrNoSpace, writing nothing.
	NoSpace bool
	// CorruptReads flips the bits of every byte read whose file offset is
	// a multiple of 512, so every read of 512 bytes or more is damaged.
	CorruptReads bool
	// Delay stalls every operation (or until its context ends).
	Delay time.Duration
}

// Faulty wraps a Disk and injects the faults set with Set. It is meant for
// tests of the layers above; faults can be switched while operations run.
type Faulty struct {
	inner Disk

	mu     sync.Mutex
	faults Faults
}

var _ Disk = (*Faulty)(nil)

// NewFaulty wraps inner, initially healthy.
func NewFaulty(inner Disk) *Faulty { return &Faulty{inner: inner} }

// Set replaces the current faults.
func (f *Faulty) Set(fl Faults) {
	f.mu.Lock()
	f.faults = fl
	f.mu.Unlock()
}

// Inner returns the wrapped disk, e.g. to damage its files directly.
func (f *Faulty) Inner() Disk { return f.inner }

func (f *Faulty) ID() string { return f.inner.ID() }

// enter applies the delay and reports the faults in force for one call.
func (f *Faulty) enter(ctx context.Context, op string) (Faults, error) {
	f.mu.Lock()
	fl := f.faults
	f.mu.Unlock()
	if fl.Delay > 0 {
		t := time.NewTimer(fl.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fl, ctx.Err()
		}
	}
	if fl.Dead {
		return fl, fmt.Errorf("disk %s: %s: %w: %w", f.ID(), op, ErrInjected, syscall.EIO)
	}
	return fl, nil
}

func (f *Faulty) WriteFile(ctx context.Context, name string, data ...[]byte) error {
	fl, err := f.enter(ctx, "write "+name)
	if err != nil {
		return err
	}
	if fl.NoSpace {
		return fmt.Errorf("disk %s: write %s: %w: %w", f.ID(), name, ErrInjected, ErrNoSpace)
	}
	return f.inner.WriteFile(ctx, name, data...)
}

func (f *Faulty) ReadAt(ctx context.Context, name string, p []byte, off int64) (int, error) {
	fl, err := f.enter(ctx, "read "+name)
	if err != nil {
		return 0, err
	}
	n, err := f.inner.ReadAt(ctx, name, p, off)
	if fl.CorruptReads {
		for i := 0; i < n; i++ {
			if (off+int64(i))%512 == 0 {
				p[i] ^= 0xff
			}
		}
	}
	return n, err
}

func (f *Faulty) Remove(ctx context.Context, name string) error {
	if _, err := f.enter(ctx, "remove "+name); err != nil {
		return err
	}
	return f.inner.Remove(ctx, name)
}

func (f *Faulty) List(ctx context.Context, fn func(name string) error) error {
	if _, err := f.enter(ctx, "list"); err != nil {
		return err
	}
	return f.inner.List(ctx, fn)
}

func (f *Faulty) Stat(ctx context.Context) (Usage, error) {
	fl, err := f.enter(ctx, "statfs")
	if err != nil {
		return Usage{}, err
	}
	u, err := f.inner.Stat(ctx)
	if fl.NoSpace {
		u.Free = 0
	}
	return u, err
}
