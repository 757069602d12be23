package fuse

import (
	"context"
	"sync"
	"time"

	"github.com/shallot-storage/shallot/objstore"
)

// Access times. The kernel leaves them to FUSE servers: after each read or
// readdir it drops its cached atime and asks again. The door records the
// first read through each open file, and the first page of each listing,
// by the relatime rule (objstore.AtimeDue). Reads the kernel answers from
// its page cache do not reach the door and do not count, which the
// relatime rule makes rare to matter.
//
// Writing every access to the metadata at once would cost a transaction
// per file read, and make the next close pay a sync; instead reads are
// noted in memory and written together at most every atimeDelay
// (objstore.Store.TouchAtimes), as Linux's lazytime does. Until then the
// door shows the pending time in the attributes it answers, so stat sees
// the access at once; the other doors see it within atimeDelay, and a
// crash may lose the last atimeDelay of accesses.

// atimeDelay is how long read accesses wait to be written.
const atimeDelay = time.Second

// atimeMax bounds the pending accesses; more write them at once.
const atimeMax = 4096

// atimes holds the accesses not yet written.
type atimes struct {
	mu      sync.Mutex
	pending map[objstore.Ino]time.Time
	timer   *time.Timer
	// flushMu is held while a batch is written, so that an explicit
	// utimensat waits for it rather than being overwritten by it.
	flushMu sync.Mutex
}

// accessed notes a read of ino now.
func (s *Server) accessed(ino objstore.Ino) {
	a := &s.atimes
	a.mu.Lock()
	if a.pending == nil {
		a.pending = map[objstore.Ino]time.Time{}
	}
	if _, ok := a.pending[ino]; !ok {
		a.pending[ino] = time.Now()
	}
	n := len(a.pending)
	if n == 1 && a.timer == nil {
		a.timer = time.AfterFunc(atimeDelay, s.flushAtimes)
	}
	a.mu.Unlock()
	if n >= atimeMax {
		go s.flushAtimes()
	}
}

// pendingAtime shows a noted access of ino in attributes read from the
// store, where the relatime rule records it.
func (s *Server) pendingAtime(ino objstore.Ino, a *objstore.Attr) {
	s.atimes.mu.Lock()
	t, ok := s.atimes.pending[ino]
	s.atimes.mu.Unlock()
	if ok && objstore.AtimeDue(*a, t) && t.After(a.Atime) {
		a.Atime = t
	}
}

// forgetAtime drops a noted access of ino before an explicit change of
// its access time, waiting for a batch being written; the caller calls
// the returned function after its change.
func (s *Server) forgetAtime(ino objstore.Ino) (done func()) {
	s.atimes.flushMu.Lock()
	s.atimes.mu.Lock()
	delete(s.atimes.pending, ino)
	s.atimes.mu.Unlock()
	return s.atimes.flushMu.Unlock
}

// flushAtimes writes the noted accesses. A failure is logged: the reads
// themselves succeeded.
func (s *Server) flushAtimes() {
	a := &s.atimes
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	batch := a.pending
	a.pending = nil
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	a.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	if err := s.store.TouchAtimes(s.ctx(context.Background()), batch); err != nil {
		s.log.WithError(err).WithField("inodes", len(batch)).Warn("recording access times")
	}
}
