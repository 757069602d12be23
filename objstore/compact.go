package objstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
	"github.com/sirupsen/logrus"
)

// Compaction of fragmented files. Random writes through the mount commit as
// small extents packed into shared blobs (writePieces), so a file
// overwritten at random ends with about one extent per write: sequential
// reads of it are slow and every commit's overlay is long. When a commit
// leaves a file fragmented, its last close queues it, and one background
// worker rewrites its content into blob-sized blobs, at CompactRate.
//
// The bytes never change, so the rewrite goes window by window: each
// window's new extents replace the old ones in one transaction (which keeps
// the transaction small however many extents the file has), and every
// state in between is a layout of the same bytes. A window is swapped only
// if the layout is still the one the rewrite read: f.committed is the
// slice the rewrite last saw (checked under f.mu, which every commit
// holds), nothing is buffered, and the records of the window are the ones
// read. Otherwise the rewrite stops and deletes its unnamed blobs; the
// writer's own last close queues the file again. Size, times, ETag,
// digests and xattrs are not touched, and no change event is sent: the
// bytes are the same, so kernel caches stay valid.
//
// Readers: the rewrite holds a snapshot reader for its whole run, so the
// blobs its swaps stop naming are deferred like a commit's garbage until
// the last snapshot reader closes, then freed after the next metadata sync
// (the swaps do not wait for the disk). Open handles read under f.mu and
// see the new layout at once.
//
// Crash safety: blobs written for a window not yet swapped are named by
// nothing, and the orphan collection at the next start deletes them. A
// swap lost with the unsynced metadata log leaves the old layout, whose
// blobs still exist: they are freed only after a sync.

const (
	// compactQueueLen bounds the files waiting; when full, a file is
	// queued again at its next last close.
	compactQueueLen = 1024
	// A layout is fragmented when it has more than compactMinExtents
	// extents, averaging under compactMaxAvgExtent bytes.
	compactMinExtents   = 64
	compactMaxAvgExtent = 256 << 10
	// A window swapped in one transaction holds up to compactWindowBlobs
	// blobs' worth of bytes and compactWindowExtents old extents.
	compactWindowBlobs   = 16
	compactWindowExtents = 1 << 15
)

var (
	errCompactBusy    = errors.New("file open or written: not compacted now")
	errCompactChanged = errors.New("file changed during compaction")
)

// fragmented reports whether rewriting the layout is worth it: many small
// extents, and a rewrite would at least halve their number (a sparse file
// of scattered small writes stays as it is).
func (s *Store) fragmented(ext []meta.Extent) bool {
	if len(ext) <= compactMinExtents {
		return false
	}
	stored := storedBytes(ext)
	if stored/uint64(len(ext)) >= compactMaxAvgExtent {
		return false
	}
	return uint64(len(ext)) >= 2*(contiguousRuns(ext)+stored/uint64(s.opts.BlobSize))
}

// contiguousRuns counts the stretches of the file that extents cover
// without a hole.
func contiguousRuns(ext []meta.Extent) uint64 {
	var n uint64
	for i, x := range ext {
		if i == 0 || ext[i-1].End() != x.Off {
			n++
		}
	}
	return n
}

// queueCompact asks the worker to compact ino; a file already waiting is
// not queued twice.
func (s *Store) queueCompact(ino Ino) {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	if _, ok := s.compactPending[ino]; ok || len(s.compactPending) >= compactQueueLen {
		return
	}
	s.compactPending[ino] = struct{}{}
	// Never blocks: every queued ino is pending, and pending is bounded
	// by the channel's capacity.
	s.compacts <- ino
}

// startCompaction runs the worker until the store closes; Close cancels a
// compaction in progress.
func (s *Store) startCompaction() {
	ctx, cancel := context.WithCancel(context.Background())
	s.background.Add(2)
	go func() { defer s.background.Done(); <-s.stop; cancel() }()
	go s.compactWorker(ctx)
}

// compactWorker compacts queued files one at a time.
func (s *Store) compactWorker(ctx context.Context) {
	defer s.background.Done()
	lim := &rateLimiter{rate: s.opts.CompactRate}
	for {
		select {
		case <-ctx.Done():
			return
		case ino := <-s.compacts:
			s.compactMu.Lock()
			delete(s.compactPending, ino)
			s.compactMu.Unlock()
			_, err := s.compact(ctx, ino, lim)
			switch {
			case err == nil, ctx.Err() != nil, errors.Is(err, ErrNotExist), errors.Is(err, ErrIsDir):
			case errors.Is(err, errCompactBusy), errors.Is(err, errCompactChanged):
				s.log.WithError(err).WithField("ino", ino).Debug("compaction put off")
			default:
				s.log.WithError(err).WithField("ino", ino).Warn("compaction")
			}
		}
	}
}

// compact rewrites the content of ino into fresh blob-sized blobs when its
// layout is fragmented, and reports whether it swapped any window in. It
// leaves a file alone (errCompactBusy) while a handle has it open or
// writes are buffered, and stops (errCompactChanged) when a write commits
// meanwhile; windows already swapped stay, being the same bytes.
func (s *Store) compact(ctx context.Context, ino Ino, lim *rateLimiter) (bool, error) {
	f, err := s.acquire(ino)
	if err != nil {
		return false, err
	}
	f.mu.Lock()
	if f.busyLocked() {
		// Its last close queues it again.
		f.compactDue = true
		f.mu.Unlock()
		s.release(f)
		return false, errCompactBusy
	}
	cur := f.committed
	if !s.fragmented(cur) {
		f.compactDue = false
		f.mu.Unlock()
		s.release(f)
		return false, nil
	}
	// The snapshot keeps f.readers above zero, so that nothing the
	// rewrite still reads is freed under it; our reference passes to it.
	snap := f.snapshotLocked(f.size, ObjectInfo{})
	f.mu.Unlock()
	defer snap.Close()

	old := cur
	refs := make(map[uint64]int)
	for _, x := range old {
		refs[x.Blob]++
	}
	pos := 0 // index in cur of old[i]
	for i := 0; i < len(old); {
		j := compactWindow(old, i, s.opts.BlobSize)
		repl, ids, err := s.rewriteWindow(ctx, old[i:j], lim)
		if err != nil {
			return i > 0, err
		}
		next, err := f.swapWindow(cur, pos, old[i:j], repl, refs)
		if err != nil {
			// Unless the transaction landed after all.
			s.deleteUnnamed(ino, ids)
			return i > 0, err
		}
		cur, pos, i = next, pos+len(repl), j
	}
	f.mu.Lock()
	f.compactDue = false
	f.mu.Unlock()
	s.log.WithFields(logrus.Fields{"ino": ino, "extents": len(old), "now": len(cur)}).Debug("compacted")
	return true, nil
}

// busyLocked reports whether f has buffered writes or is held by anything
// but snapshot readers and the caller: an open handle, or an operation in
// progress.
func (f *openFile) busyLocked() bool {
	if f.changed || len(f.runs) > 0 || len(f.staged) > 0 {
		return true
	}
	f.s.openMu.Lock()
	others := f.refs - f.readers - 1
	f.s.openMu.Unlock()
	return others > 0
}

// compactWindow returns the end of the window of old that starts at i.
func compactWindow(old []meta.Extent, i, blobSize int) int {
	var bytes uint64
	j := i
	for j < len(old) && j-i < compactWindowExtents && bytes < uint64(compactWindowBlobs*blobSize) {
		bytes += old[j].Len
		j++
	}
	return j
}

// rewriteWindow copies the bytes that window maps into new blobs of at
// most BlobSize, and returns extents mapping them over the same ranges and
// the blobs written (deleted again on error).
func (s *Store) rewriteWindow(ctx context.Context, window []meta.Extent, lim *rateLimiter) ([]meta.Extent, []uint64, error) {
	var out []meta.Extent
	var ids []uint64
	buf := make([]byte, s.opts.BlobSize)
	var batch []piece
	filled := 0
	flush := func() error {
		if filled == 0 {
			return nil
		}
		if err := lim.wait(ctx, int64(filled)); err != nil {
			return err
		}
		// The batch fits one blob: writePieces packs it into exactly one.
		ext, got, err := s.writePieces(ctx, batch)
		if err != nil {
			return err
		}
		out, ids = append(out, ext...), append(ids, got...)
		batch, filled = batch[:0], 0
		return nil
	}
	err := func() error {
		for k := 0; k < len(window); {
			// A run of extents without holes between them becomes one
			// piece (one extent per blob it spans).
			off, end := window[k].Off, window[k].End()
			for k++; k < len(window) && window[k].Off == end; k++ {
				end = window[k].End()
			}
			for off < end {
				take := min(end-off, uint64(len(buf)-filled))
				p := buf[filled : filled+int(take)]
				clear(p)
				if err := s.readCommitted(ctx, window, nil, p, off); err != nil {
					return err
				}
				batch = append(batch, piece{off: off, data: p})
				filled += int(take)
				off += take
				if filled == len(buf) {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return flush()
	}()
	if err != nil {
		s.deleteBlobs(ids)
		return nil, nil, fmt.Errorf("rewrite extents: %w", err)
	}
	return out, ids, nil
}

// swapWindow replaces old, which starts at index pos of cur, with repl in
// the records and in f, if f's layout is still cur; it returns the new
// layout. Blobs whose last extent goes (refs counts the extents naming
// each) are freed once the snapshot readers are done.
func (f *openFile) swapWindow(cur []meta.Extent, pos int, old, repl []meta.Extent, refs map[uint64]int) ([]meta.Extent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.changed || len(f.runs) > 0 || len(f.staged) > 0 || !sameSlice(f.committed, cur) {
		return nil, errCompactChanged
	}
	size := f.size
	err := f.s.db.UpdateNoSync(func(x *meta.Txn) error {
		n, err := inode(x, f.ino)
		if err != nil {
			return err
		}
		if n.Size != size {
			return errCompactChanged
		}
		for _, e := range old {
			got, err := x.Extent(n.Ino, e.Off)
			if errors.Is(err, meta.ErrNotFound) || (err == nil && got != e) {
				return errCompactChanged
			}
			if err != nil {
				return err
			}
		}
		return writeExtentDiff(x, n.Ino, old, repl)
	})
	if err != nil {
		return nil, fmt.Errorf("compact inode %d: %w", f.ino, err)
	}
	next := make([]meta.Extent, 0, len(cur)-len(old)+len(repl))
	next = append(append(append(next, cur[:pos]...), repl...), cur[pos+len(old):]...)
	f.committed, f.view = next, next
	f.ra.drop()
	for _, e := range old {
		if refs[e.Blob]--; refs[e.Blob] == 0 {
			// The caller's snapshot reader is open: readers > 0.
			f.deferred = append(f.deferred, e.Blob)
		}
	}
	return next, nil
}

// sameSlice reports whether a and b are the same slice (not merely equal):
// every commit builds a new layout slice, so an unchanged one means no
// commit ran.
func sameSlice(a, b []meta.Extent) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
