package disk

import (
	"context"
	"errors"
	"io/fs"
	"syscall"
	"testing"
	"time"
)

func TestFaulty(t *testing.T) {
	ctx := context.Background()
	data := make([]byte, 2048)
	for _, tc := range []struct {
		name   string
		faults Faults
		check  func(t *testing.T, f *Faulty)
	}{
		{"Dead", Faults{Dead: true}, func(t *testing.T, f *Faulty) {
			if err := f.WriteFile(ctx, "g", data); !errors.Is(err, syscall.EIO) || !errors.Is(err, ErrInjected) {
				t.Errorf("WriteFile: %v", err)
			}
			if _, err := f.ReadAt(ctx, "f", make([]byte, 1), 0); !errors.Is(err, syscall.EIO) {
				t.Errorf("ReadAt: %v", err)
			}
			if _, err := f.Stat(ctx); !errors.Is(err, syscall.EIO) {
				t.Errorf("Stat: %v", err)
			}
		}},
		{"NoSpace", Faults{NoSpace: true}, func(t *testing.T, f *Faulty) {
			err := f.WriteFile(ctx, "g", data)
			if !errors.Is(err, ErrNoSpace) || !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("WriteFile: %v", err)
			}
			if _, err := f.Inner().ReadAt(ctx, "g", make([]byte, 1), 0); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("failed write left a file: %v", err)
			}
		}},
		{"CorruptReads", Faults{CorruptReads: true}, func(t *testing.T, f *Faulty) {
			p := make([]byte, len(data))
			if _, err := f.ReadAt(ctx, "f", p, 0); err != nil {
				t.Fatal(err)
			}
			if p[0] != 0xff || p[512] != 0xff || p[1] != 0 {
				t.Errorf("bytes not flipped at multiples of 512: %x %x %x", p[0], p[512], p[1])
			}
		}},
		{"Delay", Faults{Delay: 20 * time.Millisecond}, func(t *testing.T, f *Faulty) {
			start := time.Now()
			if _, err := f.ReadAt(ctx, "f", make([]byte, 1), 0); err != nil {
				t.Fatal(err)
			}
			if time.Since(start) < 20*time.Millisecond {
				t.Error("no delay")
			}
			cctx, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			if _, err := f.ReadAt(cctx, "f", make([]byte, 1), 0); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("delayed read ignores its context: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFaulty(NewMem("m", 0))
			if err := f.WriteFile(ctx, "f", data); err != nil {
				t.Fatal(err)
			}
			f.Set(tc.faults)
			tc.check(t, f)
			f.Set(Faults{})
			if _, err := f.ReadAt(ctx, "f", make([]byte, 1), 0); err != nil {
				t.Errorf("healed disk: %v", err)
			}
		})
	}
}

func TestMemCapacity(t *testing.T) {
	ctx := context.Background()
	m := NewMem("m", 100)
	if err := m.WriteFile(ctx, "a", make([]byte, 60)); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteFile(ctx, "b", make([]byte, 60)); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("over capacity: %v", err)
	}
	if err := m.WriteFile(ctx, "a", make([]byte, 90)); err != nil {
		t.Fatalf("replace within capacity: %v", err)
	}
	u, _ := m.Stat(ctx)
	if u.Total != 100 || u.Free != 10 {
		t.Fatalf("Stat = %+v", u)
	}
}
