package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/shallot-storage/shallot/objstore"
)

// invalidate is the store's change subscriber. It runs on the goroutine of
// the door that made the change (an S3 handler, the NFS server, a store
// job), after the store released its locks and before that door's call
// returns, so when an S3 PUT answers, the kernel has already dropped what
// it cached about the name and the file.
//
// It must never run inside a FUSE request: the kernel may hold the very
// directory lock an entry notification needs, and would deadlock. The
// mount's own changes are tagged OriginMount and skipped, which is also
// correct because the kernel updated its caches from the replies.
//
// It holds no lock of ours while it writes to the kernel, and an answer of
// ENOENT (the kernel has never seen that inode or directory) is the normal
// case for files nobody looked at through the mount.
func (s *Server) invalidate(ev objstore.Event) {
	if ev.Origin == objstore.OriginMount || s.unmounted.Load() {
		return
	}
	raw := s.raw.Load()
	if raw == nil {
		return
	}
	switch ev.Kind {
	case objstore.EventEntry:
		// The name now points elsewhere or nowhere: drop the dentry
		// (positive or negative) and the directory's attributes.
		s.notified("entry", ev, raw.EntryNotify(uint64(ev.Parent), ev.Name))
		if ev.Ino != 0 {
			// The file the name concerned changed nlink or ctime;
			// offset -1 keeps its page cache, whose data did not change.
			s.notified("inode attrs", ev, raw.InodeNotify(uint64(ev.Ino), -1, 0))
		}
	case objstore.EventContent:
		// Offset 0, length 0: drop the whole page cache and the
		// attributes, so the next stat and read come to us.
		s.notified("inode", ev, raw.InodeNotify(uint64(ev.Ino), 0, 0))
	}
}

// notified logs a notification the kernel refused for a reason other than
// not knowing the node.
func (s *Server) notified(what string, ev objstore.Event, st gofuse.Status) {
	if st == gofuse.OK || st == gofuse.ENOENT || s.unmounted.Load() {
		return
	}
	s.log.WithFields(map[string]any{
		"notify": what, "parent": ev.Parent, "name": ev.Name, "ino": ev.Ino,
	}).WithError(syscall.Errno(st)).Warn("kernel cache invalidation failed")
}
