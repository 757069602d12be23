package objstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
)

// maxFileSize bounds offsets so that extent arithmetic cannot overflow.
const maxFileSize = 1 << 50

// openFile is the in-memory state of an inode that has open handles or
// readers; every handle of the inode shares it, so a write through one
// descriptor is seen by a read through another at once.
type openFile struct {
	s   *Store
	ino Ino
	// refs counts handles and readers; guarded by Store.openMu.
	refs int
	// unlinked: the last name went while the file was open, so the last
	// release frees the inode; guarded by Store.openMu.
	unlinked bool
	// etagCancel stops the background ETag hashing of this file when
	// someone opens it (etag.go); guarded by Store.openMu.
	etagCancel context.CancelFunc

	mu        sync.RWMutex
	loaded    bool
	size      uint64
	committed []meta.Extent // layout as the metadata has it
	inline    []byte        // committed inline content (when committed is empty)
	// view is committed overlaid with staged runs: blobs written in the
	// background and durable, to be named at the next commit.
	view   []meta.Extent
	staged []uint64
	runs   []*sealedRun // in flight, oldest first
	dirty  pieceMap
	// inlineMerged: the inline bytes were copied under the buffered
	// writes (the file outgrew inline storage) and must not be again.
	inlineMerged bool
	ra           readahead
	changed      bool  // something not yet committed (data, size or mtime)
	mtime        int64 // mtime of the last uncommitted write, 0 if none
	// settled counts the times changed went back to false (a commit, or
	// a discard at the last close); a handle's writes are uncommitted
	// while its wroteAt is settled+1 (Handle.unpublishedLocked).
	settled uint64
	// ownerless: a handle was released with its writes uncommitted (its
	// commit failed); any handle's close commits them.
	ownerless bool
	// Sequential writes from offset 0 keep a running MD5, which becomes
	// the ETag at commit without reading the data back.
	md5     *seqHasher // nil when md5OK is false
	md5Next uint64
	md5OK   bool
	// draining: hashers given up whose goroutine may still read slices
	// of the buffer handed to it before; until they are done, buffered
	// bytes are not overwritten in place.
	draining []*seqHasher
	// readers counts snapshot readers (S3 GETs); blobs a commit frees while
	// they run are deleted when the last one closes.
	readers  int
	deferred []uint64
	// wroteStale: a commit of this open file left the ETag unknown.
	wroteStale bool
	// compactDue: the layout is fragmented; the last close queues the
	// file for compaction (compact.go).
	compactDue bool
	// noCapAt is Store.capChanges+1 as of a lookup that found no
	// security.capability (see getCapability); 0 when unknown.
	noCapAt atomic.Uint64
}

// acquire returns the open state of ino with a reference taken, loaded.
func (s *Store) acquire(ino Ino) (*openFile, error) {
	s.openMu.Lock()
	f, ok := s.open[ino]
	if !ok {
		f = s.newOpenFile(ino)
		s.open[ino] = f
	}
	f.refs++
	if f.etagCancel != nil {
		f.etagCancel()
		f.etagCancel = nil
	}
	s.openMu.Unlock()

	if err := f.load(); err != nil {
		s.release(f)
		return nil, err
	}
	return f, nil
}

// newOpenFile is the open-file state of ino before anything is loaded.
func (s *Store) newOpenFile(ino Ino) *openFile {
	return &openFile{s: s, ino: ino, dirty: pieceMap{grain: s.opts.BlobSize}}
}

// acquireNew is acquire for an inode the caller has just created empty:
// there is nothing committed to read back.
func (s *Store) acquireNew(ino Ino) (*openFile, error) {
	s.openMu.Lock()
	if _, ok := s.open[ino]; ok {
		// Someone reached the new name first (an S3 reader): share its
		// open file as acquire does.
		s.openMu.Unlock()
		return s.acquire(ino)
	}
	f := s.newOpenFile(ino)
	f.loaded, f.refs = true, 1
	f.restartMD5()
	s.open[ino] = f
	s.openMu.Unlock()
	return f, nil
}

// load reads the committed state of the inode once.
func (f *openFile) load() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loaded {
		return nil
	}
	s, ino := f.s, f.ino
	var n meta.Inode
	var ext []meta.Extent
	var inline []byte
	err := s.db.View(func(x *meta.Txn) (err error) {
		if n, err = inode(x, ino); err != nil {
			return err
		}
		if n.Mode&ModeType != ModeRegular {
			return fmt.Errorf("inode %d: %w", ino, ErrIsDir)
		}
		if ext, err = x.Extents(n.Ino); err != nil {
			return err
		}
		inline, err = x.Content(n.Ino)
		return err
	})
	if err != nil {
		return err
	}
	f.size, f.committed, f.view, f.inline, f.loaded = n.Size, ext, ext, inline, true
	// A running MD5 of the empty prefix is valid for any content: a writer
	// that rewrites the file in order from offset 0 (fio reopens the file
	// it laid out with fallocate) ends with the ETag, and any other write
	// gives it up.
	f.restartMD5()
	return nil
}

// release drops a reference; the last one drops what a failed commit left
// and frees an unlinked inode.
func (s *Store) release(f *openFile) {
	s.openMu.Lock()
	f.refs--
	last := f.refs == 0
	if last {
		delete(s.open, f.ino)
	}
	unlinked := f.unlinked
	s.openMu.Unlock()
	if last {
		f.mu.Lock()
		f.stopMD5()
		f.discardLocked()
		compact := f.compactDue
		f.mu.Unlock()
		if unlinked {
			if err := s.freeIfUnlinked(context.Background(), f.ino); err != nil {
				s.log.WithError(err).WithField("ino", f.ino).Error("free unlinked inode")
			}
		}
		if compact {
			s.queueCompact(f.ino)
		}
	}
}

func (s *Store) openFileIfAny(ino Ino) *openFile {
	s.openMu.Lock()
	defer s.openMu.Unlock()
	return s.open[ino]
}

func (f *openFile) restartMD5() {
	f.stopMD5()
	f.md5 = newSeqHasher()
	f.md5Next, f.md5OK = 0, true
}

// stopMD5 gives up the running MD5 (the writes are no longer sequential).
func (f *openFile) stopMD5() {
	if f.md5 != nil {
		f.md5.stop()
		if f.md5.backlog() > 0 {
			f.draining = append(f.draining, f.md5)
		}
		f.md5 = nil
	}
	f.md5OK = false
}

// bufferLocked lays p at off in the write buffer: over buffered bytes in
// place unless a hasher may still read them.
func (f *openFile) bufferLocked(off uint64, p []byte) {
	f.draining = slices.DeleteFunc(f.draining, func(h *seqHasher) bool { return h.backlog() == 0 })
	f.dirty.write(off, p, f.md5 == nil && len(f.draining) == 0)
}

// overlayAttrLocked reports buffered size, mtime and blocks in a.
func (f *openFile) overlayAttrLocked(a *Attr) {
	if !f.loaded || !f.changed {
		return
	}
	a.Size = f.size
	if f.mtime != 0 {
		a.Mtime, a.Ctime = ns(f.mtime), ns(f.mtime)
	}
	a.Blocks = (f.storedLocked() + 511) / 512
	a.ETag = ""
}

func (f *openFile) setMtime(t int64) {
	f.mu.Lock()
	if f.changed {
		f.mtime = t
	}
	f.mu.Unlock()
}

// readLocked fills p from offset off of the current content (committed
// layout overlaid with buffered writes); holes read as zeros.
func (f *openFile) readLocked(ctx context.Context, p []byte, off uint64, withDirty bool) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	want, n := len(p), len(p)
	if uint64(n) > f.size-off {
		n = int(f.size - off)
	}
	p = p[:n]
	if !withDirty {
		clear(p)
		if err := f.s.readCommitted(ctx, f.committed, f.inline, p, off); err != nil {
			return 0, err
		}
	} else {
		if err := f.readLayoutLocked(ctx, p, off); err != nil {
			return 0, err
		}
		f.readRunsInto(p, off)
		f.dirty.readInto(p, off)
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// readCommitted copies the committed bytes of [off, off+len(p)) into p,
// which the caller zeroed.
func (s *Store) readCommitted(ctx context.Context, ext []meta.Extent, inline []byte, p []byte, off uint64) error {
	end := off + uint64(len(p))
	if inline != nil && off < uint64(len(inline)) {
		copy(p, inline[off:])
	}
	for _, x := range ext[firstOverlapping(ext, off):] {
		if x.Off >= end {
			break
		}
		lo, hi := max(x.Off, off), min(x.End(), end)
		if _, err := s.blobs.ReadAt(ctx, blob.ID(x.Blob), p[lo-off:hi-off], int64(x.BlobOff+lo-x.Off)); err != nil && err != io.EOF {
			return fmt.Errorf("read blob %d of inode: %w", x.Blob, mapBlobErr(err))
		}
	}
	return nil
}

// writeLocked buffers p at off.
func (f *openFile) writeLocked(ctx context.Context, p []byte, off uint64) error {
	if off+uint64(len(p)) > maxFileSize {
		return fmt.Errorf("write at %d: %w", off, ErrTooLarge)
	}
	if len(p) == 0 {
		return nil
	}
	sequential := f.md5OK && off == f.md5Next
	if !sequential {
		f.stopMD5()
	}
	f.bufferLocked(off, p)
	if end := off + uint64(len(p)); end > f.size {
		f.size = end
	}
	f.changed = true
	f.mtime = f.s.now()
	if sequential {
		f.md5.feed(f.dirty.slice(off, len(p)))
		f.md5Next += uint64(len(p))
	}
	if f.size > uint64(f.s.opts.InlineMax) {
		f.mergeInlineLocked()
		if err := f.sealFullLocked(ctx); err != nil {
			return err
		}
		if err := f.absorbLocked(ctx, 0); err != nil {
			return err
		}
	}
	if f.dirty.bytes >= f.s.opts.DirtyMax {
		return f.commitLocked(ctx, false)
	}
	return nil
}

// mergeInlineLocked puts the committed inline bytes under the buffered
// writes once the file has outgrown inline storage, so they reach a blob.
func (f *openFile) mergeInlineLocked() {
	if len(f.inline) == 0 || f.inlineMerged {
		return
	}
	m := pieceMap{grain: f.dirty.grain}
	m.write(0, f.inline[:min(uint64(len(f.inline)), f.size)], true)
	for _, q := range f.dirty.pieces {
		m.write(q.off, q.data, true) // m is new: no one else reads it
	}
	f.dirty = m
	f.inlineMerged = true
}

// truncateLocked sets the size; the caller commits.
func (f *openFile) truncateLocked(size uint64) {
	f.dirty.truncate(size)
	if size == 0 {
		f.restartMD5()
	} else if size < f.md5Next {
		f.stopMD5()
	}
	// Growing keeps the running MD5: it covers a prefix that did not
	// change, and a writer that goes on at md5Next (fio lays a file out
	// with fallocate, then writes it in order) still ends with the ETag.
	f.size = size
	f.changed = true
	f.mtime = f.s.now()
}

// commit makes buffered writes visible to every door.
func (f *openFile) commit(ctx context.Context, durable bool) error {
	f.mu.Lock()
	err := f.commitLocked(ctx, durable)
	f.mu.Unlock()
	return err
}

// commitLocked writes the buffered bytes into one new blob (or inline) and
// swaps the layout in one transaction; blobs no longer named are freed
// after the commit.
func (f *openFile) commitLocked(ctx context.Context, durable bool) error {
	s := f.s
	if !f.changed {
		if durable {
			return s.syncAndFree()
		}
		return nil
	}
	if err := f.absorbLocked(ctx, -1); err != nil {
		return err
	}
	var newExt []meta.Extent
	var newInline []byte
	var written []uint64
	if f.size <= uint64(s.opts.InlineMax) {
		newInline = make([]byte, f.size)
		if _, err := f.readLocked(ctx, newInline, 0, true); err != nil && err != io.EOF {
			return err
		}
	} else {
		f.mergeInlineLocked()
		added, ids, err := s.writePieces(ctx, f.dirty.pieces)
		if err != nil {
			return err
		}
		written = ids
		newExt = truncateExtents(overlay(f.view, added), f.size)
	}
	old := f.committed
	for _, id := range f.staged {
		old = append(old, meta.Extent{Blob: id})
	}
	garbage := unreferenced(old, newExt)
	// A sequential writer's MD5 is the ETag. When the hasher lags (a fast
	// stream on a busy machine), the commit does not wait for it: the
	// digest is recorded when it arrives (lateETag), and until then the
	// ETag counts as stale, so an S3 reader computes it if it asks first.
	etag, stale := "", true
	var late <-chan []byte
	if f.md5OK && f.md5Next == f.size {
		if f.md5.backlog() < lateETagBacklog {
			etag, stale = hex.EncodeToString(f.md5.sum()), false
		} else {
			late = f.md5.sumLater()
		}
	}
	mtime, now := f.mtime, s.now()
	if mtime == 0 {
		mtime = now
	}
	update := s.db.UpdateNoSync
	if durable {
		update = s.db.Update
	}
	err := update(func(x *meta.Txn) error {
		n, err := inode(x, f.ino)
		if err != nil {
			return err
		}
		if err := writeExtentDiff(x, n.Ino, f.committed, newExt); err != nil {
			return err
		}
		if err := x.PutContent(n.Ino, newInline); err != nil {
			return err
		}
		if err := dropDigestsAndParts(x, n.Ino); err != nil {
			return err
		}
		n.Size, n.Mtime, n.Ctime = f.size, mtime, now
		n.Stored = storedBytes(newExt) + uint64(len(newInline))
		n.ETag = etag
		n.Flags &^= meta.FlagETagStale
		if stale {
			n.Flags |= meta.FlagETagStale
		}
		return x.PutInode(&n)
	})
	if err != nil {
		s.deleteUnnamed(f.ino, written)
		return fmt.Errorf("commit inode %d: %w", f.ino, err)
	}
	f.committed, f.view, f.inline, f.staged = newExt, newExt, newInline, nil
	f.ra.drop()
	f.inlineMerged = false
	f.wroteStale = stale && late == nil
	if late != nil {
		s.background.Add(1)
		go s.lateETag(f.ino, f.size, mtime, late)
	}
	f.settleLocked()
	f.compactDue = s.fragmented(newExt)
	switch {
	case f.readers > 0:
		f.deferred = append(f.deferred, garbage...)
	case durable:
		s.deleteBlobs(garbage)
	default:
		s.freeAfterSync(garbage)
	}
	return nil
}

// settleLocked forgets the buffered writes: they were committed, or will
// never be.
func (f *openFile) settleLocked() {
	f.dirty.reset()
	f.changed, f.mtime = false, 0
	f.settled++
	f.ownerless = false
}

// writePieces packs buffered runs into blobs of at most BlobSize and
// returns the extents that map them. The blobs are written in parallel:
// scattered writes reach DirtyMax as four blobs, and every writer of the
// file waits for this commit, so four fsync round trips in a row were
// the larger part of a random-write stall.
func (s *Store) writePieces(ctx context.Context, pieces []piece) ([]meta.Extent, []uint64, error) {
	type packed struct {
		buf []byte
		ext []meta.Extent
		id  uint64
		err error
	}
	var out []*packed
	left := totalLen(pieces)
	var cur *packed
	for _, q := range pieces {
		data, off := q.data, q.off
		for len(data) > 0 {
			if cur == nil || len(cur.buf) == s.opts.BlobSize {
				cur = &packed{buf: make([]byte, 0, min(s.opts.BlobSize, left))}
				out = append(out, cur)
			}
			take := min(s.opts.BlobSize-len(cur.buf), len(data))
			cur.ext = append(cur.ext, meta.Extent{Off: off, Len: uint64(take), BlobOff: uint64(len(cur.buf))})
			cur.buf = append(cur.buf, data[:take]...)
			data, off, left = data[take:], off+uint64(take), left-take
		}
	}
	put := func(b *packed) {
		if b.id, b.err = s.newBlobID(); b.err == nil {
			b.err = s.blobs.Put(ctx, blob.ID(b.id), b.buf)
		}
	}
	if len(out) == 1 {
		put(out[0]) // most commits: no goroutine handoff for them
	} else {
		var wg sync.WaitGroup
		for _, b := range out {
			wg.Go(func() { put(b) })
		}
		wg.Wait()
	}
	var ext []meta.Extent
	var ids []uint64
	var err error
	for _, b := range out {
		switch {
		case b.err != nil && err == nil:
			err = fmt.Errorf("write blob: %w", mapBlobErr(b.err))
		case b.err == nil:
			ids = append(ids, b.id)
			for _, e := range b.ext {
				e.Blob = b.id
				ext = append(ext, e)
			}
		}
	}
	if err != nil {
		s.deleteBlobs(ids)
		return nil, nil, err
	}
	return ext, ids, nil
}

func totalLen(pieces []piece) int {
	n := 0
	for _, q := range pieces {
		n += len(q.data)
	}
	return n
}

// deleteBlobs frees blobs no committed record names any more. A failure
// leaves an orphan that scrub reclaims; it never endangers data.
func (s *Store) deleteBlobs(ids []uint64) {
	for _, id := range ids {
		if err := s.blobs.Delete(context.Background(), blob.ID(id)); err != nil {
			s.log.WithError(err).WithField("blob", id).Warn("delete unreferenced blob")
		}
	}
}
