package fuse

import (
	"context"

	"github.com/shallot-storage/shallot/objstore"
)

// accessed records a read of a file or a listing of a directory in its
// access time, by the relatime rule (objstore.Store.TouchAtime): the
// kernel leaves access times to FUSE servers, and after each read or
// readdir it drops its cached atime to ask again. It runs once per open
// file or directory listing, at the first read; reads the kernel answers
// from its page cache do not reach the door and do not count, which the
// relatime rule makes rare to matter. A failure is logged, never returned:
// the read itself succeeded.
func (s *Server) accessed(ctx context.Context, ino objstore.Ino) {
	if _, err := s.store.TouchAtime(s.ctx(ctx), ino); err != nil {
		s.log.WithError(err).WithField("ino", ino).Warn("recording access time")
	}
}
