package objstore

import (
	"context"

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

// Close stops the store's background work and waits for it. The metadata
// database is the caller's to close, after this.
func (s *Store) Close() error {
	close(s.stop)
	s.background.Wait()
	return nil
}
