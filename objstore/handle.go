package objstore

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Open returns a handle on a regular file. Writes through any handle of an
// inode are visible to every handle of it at once, and to the other doors
// at Flush, Fsync or Release. truncate empties the file first (O_TRUNC).
func (s *Store) Open(ctx context.Context, ino Ino, truncate bool) (*Handle, error) {
	f, err := s.acquire(ino)
	if err != nil {
		return nil, err
	}
	h := &Handle{f: f}
	if truncate {
		f.mu.Lock()
		var err error
		if f.size != 0 || f.changed {
			err = f.truncateCommitLocked(ctx, 0)
		}
		f.mu.Unlock()
		if err != nil {
			s.release(f)
			return nil, err
		}
		s.emit(ctx, Event{Kind: EventContent, Ino: ino})
	}
	return h, nil
}

// CreateFile creates an empty regular file and opens it, as open(2) with
// O_CREAT|O_EXCL does: one transaction, nothing read back.
func (s *Store) CreateFile(ctx context.Context, parent Ino, name string, in NodeIn) (Attr, *Handle, error) {
	in.Mode = ModeRegular | in.Mode&ModePerm
	capGen := s.capChanges.Load()
	a, err := s.Mknod(ctx, parent, name, in)
	if err != nil {
		return Attr{}, nil, err
	}
	f, err := s.acquireNew(a.Ino)
	if err != nil {
		return Attr{}, nil, err
	}
	// A new inode has no security.capability, and the kernel asks before
	// the first write: answer from memory (see getCapability) unless one
	// was set anywhere since the create began.
	f.noCapAt.Store(capGen + 1)
	return a, &Handle{f: f}, nil
}

// Handle is an open regular file. Its methods may be called concurrently.
type Handle struct {
	f        *openFile
	released atomic.Bool
	// wroteAt is f.settled+1 as of this handle's last write that left
	// something uncommitted; guarded by f.mu.
	wroteAt uint64
}

// wroteLocked records that h changed the file: if the change is not
// committed yet, h's close commits it.
func (h *Handle) wroteLocked() {
	if h.f.changed {
		h.wroteAt = h.f.settled + 1
	}
}

// unpublishedLocked says whether changes made through h are still only
// buffered.
func (h *Handle) unpublishedLocked() bool {
	return h.f.changed && h.wroteAt == h.f.settled+1
}

// Ino is the inode the handle is open on.
func (h *Handle) Ino() Ino { return h.f.ino }

// ReadAt reads like io.ReaderAt, seeing buffered writes of every handle.
func (h *Handle) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at %d: %w", off, ErrInvalid)
	}
	h.f.mu.RLock()
	defer h.f.mu.RUnlock()
	return h.f.readLocked(ctx, p, uint64(off), true)
}

// WriteAt buffers p at off; it reaches the other doors at the next commit.
func (h *Handle) WriteAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("write at %d: %w", off, ErrInvalid)
	}
	h.f.mu.Lock()
	err := h.f.writeLocked(ctx, p, uint64(off))
	h.wroteLocked()
	h.f.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Size is the current size including buffered writes (for O_APPEND).
func (h *Handle) Size() uint64 {
	h.f.mu.RLock()
	defer h.f.mu.RUnlock()
	return h.f.size
}

// Flush commits buffered writes if some were made through h (close(2) of
// one descriptor): every door sees them at once; they are durable after
// the next metadata sync, at most Options.SyncInterval later, as close(2)
// promises no more on a local file system either. The commit takes the
// writes of every handle of the file, as they share one buffer; but a
// handle that wrote nothing since the last commit commits nothing, so the
// close of a reader (or the kernel's late release of an earlier open)
// cannot publish another writer's write(2) half done.
func (h *Handle) Flush(ctx context.Context) error { return h.commit(ctx, false) }

// Fsync commits the buffered writes of every handle and makes them, and
// every change committed before, durable.
func (h *Handle) Fsync(ctx context.Context) error { return h.commit(ctx, true) }

func (h *Handle) commit(ctx context.Context, durable bool) error {
	f := h.f
	f.mu.Lock()
	publish := f.changed && (durable || h.unpublishedLocked() || f.ownerless)
	var err error
	if publish || durable {
		err = f.commitLocked(ctx, durable)
	}
	f.mu.Unlock()
	if err == nil && publish {
		f.s.emit(ctx, Event{Kind: EventContent, Ino: f.ino})
	}
	return err
}

// Release commits (as Flush: only if h wrote since the last commit) and
// closes the handle; later calls do nothing.
func (h *Handle) Release(ctx context.Context) error {
	if h.released.Swap(true) {
		return nil
	}
	err := h.commit(ctx, false)
	h.f.mu.Lock()
	if err != nil && h.unpublishedLocked() {
		// Its writes outlive it: the next close of any handle tries
		// again (the last one discards them).
		h.f.ownerless = true
	}
	stale := !h.f.changed && !(h.f.md5OK && h.f.md5Next == h.f.size) && h.f.wroteStale
	h.f.mu.Unlock()
	if err == nil && stale {
		h.f.s.queueETag(h.f.ino)
	}
	h.f.s.release(h.f)
	return err
}

// truncate sets the size of ino, committing buffered writes with it.
func (s *Store) truncate(ctx context.Context, ino Ino, size uint64) error {
	if size > maxFileSize {
		return fmt.Errorf("truncate to %d: %w", size, ErrTooLarge)
	}
	f, err := s.acquire(ino)
	if err != nil {
		return err
	}
	defer s.release(f)
	f.mu.Lock()
	err = f.truncateCommitLocked(ctx, size)
	f.mu.Unlock()
	if err == nil {
		s.emit(ctx, Event{Kind: EventContent, Ino: ino})
	}
	return err
}
