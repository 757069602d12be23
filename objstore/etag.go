package objstore

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/shallot-storage/shallot/meta"
)

// etagQueueLen bounds the files waiting for a background ETag; when full,
// the ETag is computed on demand by the next S3 read instead.
const etagQueueLen = 4096

// queueETag asks for the ETag of a file closed after writes that left no
// running MD5 (random offsets), so S3 readers rarely wait for it.
func (s *Store) queueETag(ino Ino) {
	select {
	case s.etags <- ino:
	default:
	}
}

// etagWorker computes queued ETags one file at a time, off every caller's
// path, until the store closes.
func (s *Store) etagWorker() {
	defer s.background.Done()
	for {
		select {
		case <-s.stop:
			return
		case ino := <-s.etags:
			if err := s.computeStaleETag(context.Background(), ino); err != nil {
				s.log.WithError(err).WithField("ino", ino).Debug("background etag")
			}
		}
	}
}

func (s *Store) computeStaleETag(ctx context.Context, ino Ino) error {
	f, err := s.acquire(ino)
	if err != nil {
		return err
	}
	// Whoever opens the file next stops the hashing (acquire cancels
	// it): a writer is about to change what is hashed (fio lays a file
	// out, closes it and opens it again to write it), and its last close
	// queues the file again if the ETag is still unknown then; an S3
	// reader computes the ETag itself.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.openMu.Lock()
	if f.refs > 1 {
		s.openMu.Unlock()
		s.release(f)
		return nil
	}
	f.etagCancel = cancel
	s.openMu.Unlock()
	defer func() {
		s.openMu.Lock()
		f.etagCancel = nil
		s.openMu.Unlock()
	}()
	f.mu.Lock()
	var n meta.Inode
	err = s.db.View(func(x *meta.Txn) (err error) { n, err = inode(x, ino); return })
	if err != nil || n.Flags&meta.FlagETagStale == 0 || f.changed {
		f.mu.Unlock()
		s.release(f)
		return err
	}
	r := f.snapshotLocked(n.Size, ObjectInfo{})
	f.mu.Unlock()
	defer r.Close()
	_, err = r.computeETag(ctx, &n)
	return err
}

// lateETagBacklog is the hasher backlog (bytes) below which a commit waits
// for the digest: about a millisecond of MD5. (A variable for tests.)
var lateETagBacklog uint64 = 1 << 20

// lateETag records the digest of a sequentially written file once its
// hasher catches up, unless the file changed after that commit.
func (s *Store) lateETag(ino Ino, size uint64, mtime int64, digest <-chan []byte) {
	defer s.background.Done()
	s.recordETag(ino, size, mtime, hex.EncodeToString(<-digest))
}

// recordETag stores a computed ETag as the inode's unless the inode
// changed since the content hashed (size, mtime) or has one already.
func (s *Store) recordETag(ino Ino, size uint64, mtime int64, etag string) {
	err := s.db.UpdateNoSync(func(x *meta.Txn) error {
		cur, err := x.Inode(uint64(ino))
		if err != nil || cur.Mtime != mtime || cur.Size != size || cur.Flags&meta.FlagETagStale == 0 {
			return err
		}
		cur.ETag = etag
		cur.Flags &^= meta.FlagETagStale
		return x.PutInode(&cur)
	})
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		s.log.WithError(err).WithField("ino", ino).Warn("record computed etag")
	}
}

// Close stops the store's background work and waits for it. The metadata
// database is the caller's to close, after this.
func (s *Store) Close() error {
	close(s.stop)
	s.background.Wait()
	return nil
}
