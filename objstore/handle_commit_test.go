package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// TestCloseCommitsOwnWrites: the handles of a file share one buffer, but a
// close (Flush or Release) commits it only if writes were made through
// that handle since the last commit. Otherwise the kernel's late RELEASE of
// an earlier open, or a reader's close, would publish a writer's write(2)
// after its first 1 MiB request: a torn state S3 could serve and a crash
// could leave (seen in the kill -9 harness). Fsync commits every handle's
// writes, and so does a close of any handle that wrote.
func TestCloseCommitsOwnWrites(t *testing.T) {
	old := bytes.Repeat([]byte("o"), 3000)
	part := bytes.Repeat([]byte("p"), 2500)
	for _, tc := range []struct {
		name string
		// other acts through a second handle after the writer buffered
		// part; want is what S3 then reads.
		other func(t *testing.T, h *Handle)
		want  []byte
	}{
		{"flush of a reader", func(t *testing.T, h *Handle) { mustOK(t, h.Flush(ctx)) }, nil},
		{"release of a reader", func(t *testing.T, h *Handle) { mustOK(t, h.Release(ctx)) }, nil},
		{"release of an earlier writer", func(t *testing.T, h *Handle) { mustOK(t, h.Release(ctx)) }, nil},
		{"fsync of a reader", func(t *testing.T, h *Handle) { mustOK(t, h.Fsync(ctx)) }, part},
		{"close of another writer", func(t *testing.T, h *Handle) {
			if _, err := h.WriteAt(ctx, []byte("q"), 2500); err != nil {
				t.Fatal(err)
			}
			mustOK(t, h.Release(ctx))
		}, append(bytes.Clone(part), 'q')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := small(t)
			bkt := mustBucket(t, s, "bkt")
			a, h0, err := s.CreateFile(ctx, bkt.Ino, "f", NodeIn{Mode: 0o644})
			if err != nil {
				t.Fatal(err)
			}
			other := h0
			if tc.name == "release of an earlier writer" {
				// The earlier open wrote and closed (FLUSH); its
				// RELEASE arrives after the next open's first write.
				if _, err := h0.WriteAt(ctx, old, 0); err != nil {
					t.Fatal(err)
				}
				mustOK(t, h0.Flush(ctx))
			} else {
				mustOK(t, h0.Release(ctx))
				if other, err = s.Open(ctx, a.Ino, false); err != nil {
					t.Fatal(err)
				}
			}
			w, err := s.Open(ctx, a.Ino, true)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.WriteAt(ctx, part, 0); err != nil {
				t.Fatal(err)
			}
			tc.other(t, other)
			if got := readAll(t, s, "bkt", "f"); !bytes.Equal(got, tc.want) {
				t.Errorf("S3 reads %d bytes, want %d", len(got), len(tc.want))
			}
			mustOK(t, w.Release(ctx))
			if tc.want == nil {
				tc.want = part
			}
			if got := readAll(t, s, "bkt", "f"); !bytes.Equal(got, tc.want) {
				t.Errorf("after the writer's close S3 reads %d bytes, want %d", len(got), len(tc.want))
			}
			mustOK(t, other.Release(ctx)) // a second Release does nothing
		})
	}
}

// TestReleasedWritesStillCommit: a writer whose commit fails (the disks
// are full) and whose handle is then released leaves its writes to the
// other opens of the file: the next close of any of them commits them
// once there is room, as a local file system's writeback would retry.
func TestReleasedWritesStillCommit(t *testing.T) {
	faulty := make([]*disk.Faulty, 6)
	disks := make([]disk.Disk, 6)
	for i := range disks {
		faulty[i] = disk.NewFaulty(disk.NewMem(fmt.Sprintf("d%d", i), 1<<30))
		disks[i] = faulty[i]
	}
	s := NewTestingOn(t, disks, Options{InlineMax: 1 << 10})
	bkt := mustBucket(t, s, "bkt")
	a, w, err := s.CreateFile(ctx, bkt.Ino, "f", NodeIn{Mode: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, a.Ino, false)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("w"), 8<<10)
	if _, err := w.WriteAt(ctx, body, 0); err != nil {
		t.Fatal(err)
	}
	setAll := func(f disk.Faults) {
		for _, d := range faulty {
			d.Set(f)
		}
	}
	setAll(disk.Faults{NoSpace: true})
	if err := w.Release(ctx); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("release on full disks: %v, want ErrNoSpace", err)
	}
	setAll(disk.Faults{})
	mustOK(t, r.Flush(ctx))
	if got := readAll(t, s, "bkt", "f"); !bytes.Equal(got, body) {
		t.Fatalf("after the reader's close S3 reads %d bytes, want the released writer's %d", len(got), len(body))
	}
	mustOK(t, r.Release(ctx))
}
