package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"testing"
)

// TestFallocateAgainstModel mixes writes, punched holes, zeroed and
// allocated ranges and commits on a file that moves between inline
// storage and blobs, checking reads, the S3 view and the stored bytes.
func TestFallocateAgainstModel(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := small(t)
			if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
				t.Fatal(err)
			}
			bk, _ := s.Lookup(ctx, RootIno, "bkt")
			a := mustCreate(t, s, bk.Ino, "f")
			h, err := s.Open(ctx, a.Ino, false)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(seed))
			var model []byte
			grow := func(end int) {
				if end > len(model) {
					model = append(model, make([]byte, end-len(model))...)
				}
			}
			for op := 0; op < 400; op++ {
				off, n := rng.Intn(48<<10), 1+rng.Intn(16<<10)
				switch k := rng.Intn(10); {
				case k < 4:
					p := make([]byte, n)
					rng.Read(p)
					if _, err := h.WriteAt(ctx, p, int64(off)); err != nil {
						t.Fatal(err)
					}
					grow(off + n)
					copy(model[off:], p)
				case k < 6:
					if err := h.Fallocate(ctx, uint64(off), uint64(n), FallocPunchHole|FallocKeepSize); err != nil {
						t.Fatalf("op %d: punch: %v", op, err)
					}
					if off < len(model) {
						clear(model[off:min(off+n, len(model))])
					}
				case k < 7:
					keep := rng.Intn(2) == 0
					mode := FallocZeroRange
					if keep {
						mode |= FallocKeepSize
					}
					if err := h.Fallocate(ctx, uint64(off), uint64(n), mode); err != nil {
						t.Fatalf("op %d: zero range: %v", op, err)
					}
					if !keep {
						grow(off + n)
					}
					if off < len(model) {
						clear(model[off:min(off+n, len(model))])
					}
				case k < 8:
					if err := h.Fallocate(ctx, uint64(off), uint64(n), 0); err != nil {
						t.Fatalf("op %d: allocate: %v", op, err)
					}
					grow(off + n)
				case k < 9:
					if err := h.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					if got := readAll(t, s, "bkt", "f"); !bytes.Equal(got, model) {
						t.Fatalf("op %d: S3 view differs after flush (len %d want %d)", op, len(got), len(model))
					}
				default:
					got := make([]byte, len(model)+10)
					n, err := h.ReadAt(ctx, got, 0)
					if err != nil && err != io.EOF || !bytes.Equal(got[:n], model) {
						t.Fatalf("op %d: read %d bytes differ from model of %d (err %v)", op, n, len(model), err)
					}
				}
			}
			if err := h.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, s, "bkt", "f"); !bytes.Equal(got, model) {
				t.Fatalf("S3 view differs at the end (len %d want %d)", len(got), len(model))
			}
		})
	}
}

// TestPunchHoleFreesStorage checks that a punched range stops counting in
// the stored bytes (st_blocks) and that a hole over a whole blob frees it.
func TestPunchHoleFreesStorage(t *testing.T) {
	s := small(t) // 8 KiB blobs, 1 KiB inline
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(t, s, bk.Ino, "f")
	h, _ := s.Open(ctx, a.Ino, false)
	data := bytes.Repeat([]byte{7}, 64<<10)
	if _, err := h.WriteAt(ctx, data, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	before := s.countBlobs(t)
	if err := h.Fallocate(ctx, 16<<10, 32<<10, FallocPunchHole|FallocKeepSize); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetAttr(ctx, a.Ino)
	if got.Size != 64<<10 || got.Blocks != 32<<10/512 {
		t.Errorf("after punching 32 KiB of 64: size %d blocks %d, want %d and %d", got.Size, got.Blocks, 64<<10, 32<<10/512)
	}
	h.Release(ctx)
	if after := s.countBlobs(t); after >= before {
		t.Errorf("blobs %d before the punch, %d after: a hole over whole blobs must free them", before, after)
	}
}

func TestFallocateRefusals(t *testing.T) {
	s := small(t)
	if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
		t.Fatal(err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(t, s, bk.Ino, "f")
	h, _ := s.Open(ctx, a.Ino, false)
	defer h.Release(ctx)
	for _, tc := range []struct {
		name    string
		off, n  uint64
		mode    FallocMode
		wantErr error
	}{
		{"punch without keep size", 0, 10, FallocPunchHole, ErrNotSupported},
		{"unknown mode", 0, 10, 1 << 3, ErrNotSupported},
		{"zero length", 0, 0, 0, ErrInvalid},
		{"past the largest file", maxFileSize, 10, 0, ErrTooLarge},
		{"more than the disks hold", 0, 1 << 45, FallocKeepSize, ErrNoSpace},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := h.Fallocate(ctx, tc.off, tc.n, tc.mode); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Fallocate = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if got, _ := s.GetAttr(ctx, a.Ino); got.Size != 0 {
		t.Fatalf("refused fallocates changed the size to %d", got.Size)
	}
}
