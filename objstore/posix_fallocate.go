package objstore

import (
	"context"
	"fmt"
	"sort"

	"github.com/shallot-storage/shallot/meta"
)

// FallocMode mirrors the modes of fallocate(2) the store implements.
type FallocMode uint32

const (
	// FallocKeepSize leaves the size alone even when the range ends
	// past it.
	FallocKeepSize FallocMode = 1 << 0
	// FallocPunchHole turns the range into a hole: it reads as zeros and
	// stores nothing. It needs FallocKeepSize, as in fallocate(2).
	FallocPunchHole FallocMode = 1 << 1
	// FallocZeroRange makes the range read as zeros; here it is a punched
	// hole that may also extend the file.
	FallocZeroRange FallocMode = 1 << 4
)

// Fallocate serves fallocate(2) on an open file:
//
//   - mode 0 (or FallocKeepSize) "allocates" [off, off+n): the store keeps
//     no preallocation (a blob is written when data is), so this only
//     checks that the disks have n bytes free and, without
//     FallocKeepSize, extends the size, the new bytes reading as zeros;
//   - FallocPunchHole|FallocKeepSize makes the range, clipped to the size,
//     a hole and frees what it stored;
//   - FallocZeroRange does the same and, without FallocKeepSize, extends
//     the size to off+n.
//
// The change is committed durably before Fallocate returns, like a
// truncate. Other modes (collapse, insert, unshare) are ErrNotSupported.
func (h *Handle) Fallocate(ctx context.Context, off, n uint64, mode FallocMode) error {
	if n == 0 {
		return fmt.Errorf("fallocate of 0 bytes: %w", ErrInvalid)
	}
	end := off + n
	if end < off || end > maxFileSize {
		return fmt.Errorf("fallocate to %d: %w", end, ErrTooLarge)
	}
	keep := mode&FallocKeepSize != 0
	var zero bool
	switch mode &^ FallocKeepSize {
	case 0:
	case FallocPunchHole:
		if !keep {
			return fmt.Errorf("punch hole without keep size: %w", ErrNotSupported)
		}
		zero = true
	case FallocZeroRange:
		zero = true
	default:
		return fmt.Errorf("fallocate mode %#x: %w", uint32(mode), ErrNotSupported)
	}
	f, s := h.f, h.f.s
	if !zero {
		// Nothing is reserved, but an allocation the disks cannot
		// hold must fail now, as callers of posix_fallocate expect.
		if _, free, err := s.blobs.Capacity(ctx); err != nil {
			return fmt.Errorf("fallocate: %w", err)
		} else if n > free {
			return fmt.Errorf("fallocate %d bytes with %d free: %w", n, free, ErrNoSpace)
		}
	}

	f.mu.Lock()
	changed := false
	err := func() error {
		if zero && off < f.size {
			if err := f.zeroLocked(ctx, off, min(end, f.size)); err != nil {
				return err
			}
			changed = true
		}
		if !keep && end > f.size {
			if !changed {
				// Only the size changes: a failed commit leaves it.
				changed = true
				return f.truncateCommitLocked(ctx, end)
			}
			f.truncateLocked(end)
		}
		if !changed {
			return nil
		}
		return f.commitLocked(ctx, false)
	}()
	h.wroteLocked()
	f.mu.Unlock()
	if err != nil {
		return fmt.Errorf("fallocate inode %d: %w", f.ino, err)
	}
	if changed {
		s.emit(ctx, Event{Kind: EventContent, Ino: f.ino})
	}
	return nil
}

// zeroLocked makes [off, end), inside the size, read as zeros and store
// nothing; the caller commits. Background puts are waited for first, so
// the range can be cut out of one settled layout.
func (f *openFile) zeroLocked(ctx context.Context, off, end uint64) error {
	if err := f.absorbLocked(ctx, -1); err != nil {
		return err
	}
	f.view = cutExtents(f.view, off, end)
	f.dirty.cut(off, end)
	// Inline content lies under the buffered writes and the extents (and
	// is merged under the buffered writes once the file outgrows it), so
	// it is hidden by writing zeros over it, not by cutting.
	if off < f.md5Next {
		f.stopMD5()
	}
	if inl := uint64(len(f.inline)); off < inl {
		f.bufferLocked(off, make([]byte, min(end, inl)-off))
	}
	f.changed = true
	f.mtime = f.s.now()
	return nil
}

// cutExtents returns list without whatever lies in [off, end).
func cutExtents(list []meta.Extent, off, end uint64) []meta.Extent {
	out := make([]meta.Extent, 0, len(list)+1)
	for _, x := range list {
		if x.End() <= off || x.Off >= end {
			out = append(out, x)
			continue
		}
		if x.Off < off {
			out = append(out, meta.Extent{Off: x.Off, Len: off - x.Off, Blob: x.Blob, BlobOff: x.BlobOff})
		}
		if x.End() > end {
			cut := end - x.Off
			out = append(out, meta.Extent{Off: end, Len: x.Len - cut, Blob: x.Blob, BlobOff: x.BlobOff + cut})
		}
	}
	return out
}

// cut drops the buffered bytes in [off, end), splitting a run that
// straddles the range.
func (m *pieceMap) cut(off, end uint64) {
	lo := sort.Search(len(m.pieces), func(i int) bool { return m.pieces[i].end() > off })
	if lo == len(m.pieces) || m.pieces[lo].off >= end {
		return
	}
	out := append([]piece(nil), m.pieces[:lo]...)
	for _, q := range m.pieces[lo:] {
		if q.off >= end {
			out = append(out, q)
			continue
		}
		m.bytes -= len(q.data)
		if q.off < off {
			head := piece{off: q.off, data: q.data[: off-q.off : off-q.off]}
			out = append(out, head)
			m.bytes += len(head.data)
		}
		if q.end() > end {
			tail := piece{off: end, data: append([]byte(nil), q.data[end-q.off:]...)}
			out = append(out, tail)
			m.bytes += len(tail.data)
		}
	}
	m.pieces = out
}
