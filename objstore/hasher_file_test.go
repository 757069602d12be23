package objstore

import (
	"bytes"
	"testing"

	"github.com/shallot-storage/shallot/meta"
)

// TestRunningMD5SurvivesGrowth: a file laid out first (fallocate or
// truncate up, as fio and many writers do) and then written in order gets
// its ETag from the running MD5 at the commit, not from a read-back later;
// size changes that touch the hashed prefix give it up, and the ETag is
// still right (computed later).
func TestRunningMD5SurvivesGrowth(t *testing.T) {
	data := bytes.Repeat([]byte("abcdefghij"), 6000) // 60,000 bytes: past small()'s inline and blob sizes
	for _, tc := range []struct {
		name     string
		before   func(h *Handle) error // on the empty open file
		mid      func(h *Handle) error // after the first half is written
		wantLive bool                  // the commit has the ETag at once
	}{
		{"plain", nil, nil, true},
		{"fallocate first", func(h *Handle) error { return h.Fallocate(ctx, 0, uint64(len(data)), 0) }, nil, true},
		{"truncate up first", func(h *Handle) error { return truncateTo(h, len(data)) }, nil, true},
		{"laid out, closed, reopened", func(h *Handle) error {
			if err := h.Fallocate(ctx, 0, uint64(len(data)), 0); err != nil {
				return err
			}
			return reopen(h)
		}, nil, true},
		{"old content rewritten in order", func(h *Handle) error {
			if _, err := h.WriteAt(ctx, bytes.Repeat([]byte("x"), len(data)+5), 0); err != nil {
				return err
			}
			if err := truncateTo(h, len(data)); err != nil {
				return err
			}
			return reopen(h)
		}, nil, true},
		{"grow midway", nil, func(h *Handle) error { return truncateTo(h, len(data)) }, true},
		{"zero range past the written part", nil, func(h *Handle) error {
			return h.Fallocate(ctx, uint64(len(data)/2), 100, FallocZeroRange|FallocKeepSize)
		}, true},
		{"truncate into the written part", nil, func(h *Handle) error {
			if err := truncateTo(h, 10); err != nil {
				return err
			}
			return truncateTo(h, len(data)/2)
		}, false},
		{"punch into the written part", nil, func(h *Handle) error {
			return h.Fallocate(ctx, 10, 100, FallocPunchHole|FallocKeepSize)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := small(t)
			a := mustCreate(t, s, RootIno, "f")
			h, err := s.Open(ctx, a.Ino, false)
			mustOK(t, err)
			defer h.Release(ctx)
			if tc.before != nil {
				mustOK(t, tc.before(h))
			}
			half := len(data) / 2
			_, err = h.WriteAt(ctx, data[:half], 0)
			mustOK(t, err)
			if tc.mid != nil {
				mustOK(t, tc.mid(h))
			}
			_, err = h.WriteAt(ctx, data[half:], int64(half))
			mustOK(t, err)
			mustOK(t, h.Fsync(ctx))
			var n meta.Inode
			mustOK(t, s.db.View(func(x *meta.Txn) (err error) { n, err = x.Inode(uint64(a.Ino)); return }))
			live := n.Flags&meta.FlagETagStale == 0
			if live != tc.wantLive {
				t.Fatalf("ETag from the running MD5: %v, want %v", live, tc.wantLive)
			}
			want := data
			if !live {
				// What the reads give: the running MD5 was rightly given
				// up, and the ETag comes once the file is closed.
				buf := make([]byte, len(data))
				k, _ := h.ReadAt(ctx, buf, 0)
				want = buf[:k]
				mustOK(t, h.Release(ctx))
				waitETag(t, s, a.Ino)
				mustOK(t, s.db.View(func(x *meta.Txn) (err error) { n, err = x.Inode(uint64(a.Ino)); return }))
			}
			if n.ETag != md5hex(want) {
				t.Fatalf("ETag %s, want %s", n.ETag, md5hex(want))
			}
		})
	}
}

func truncateTo(h *Handle, size int) error {
	sz := uint64(size)
	_, err := h.f.s.SetAttr(ctx, h.Ino(), SetAttrIn{Size: &sz})
	return err
}

// reopen closes h and opens its file again in its place.
func reopen(h *Handle) error {
	s, ino := h.f.s, h.Ino()
	if err := h.Release(ctx); err != nil {
		return err
	}
	h2, err := s.Open(ctx, ino, false)
	if err != nil {
		return err
	}
	h.f = h2.f
	h.released.Store(false)
	return nil
}
