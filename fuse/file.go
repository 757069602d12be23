package fuse

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/shallot-storage/shallot/objstore"
)

var _ fusefs.NodeOpener = (*node)(nil)

// Open opens a regular file (see openFlags for how the kernel caches it).
func (n *node) Open(ctx context.Context, flags uint32) (fusefs.FileHandle, uint32, syscall.Errno) {
	sctx := n.srv.ctx(ctx)
	var mode uint32
	if flags&syscall.O_DIRECT != 0 {
		a, err := n.srv.store.GetAttr(sctx, n.ino())
		if err != nil {
			return nil, 0, n.srv.errno("open", err, permDenied)
		}
		mode = a.Mode
	}
	h, err := n.srv.store.Open(sctx, n.ino(), flags&syscall.O_TRUNC != 0)
	if err != nil {
		return nil, 0, n.srv.errno("open", err, permDenied)
	}
	return &fileHandle{srv: n.srv, h: h}, openFlags(flags, mode), 0
}

// fileHandle is one open(2) of a regular file. go-fuse serialises nothing
// on it: reads and writes arrive concurrently, which objstore.Handle allows.
type fileHandle struct {
	srv *Server
	h   *objstore.Handle
	// read is set at the first read through this open, which records
	// the access (see Server.accessed).
	read atomic.Bool
}

var (
	_ fusefs.FileReader   = (*fileHandle)(nil)
	_ fusefs.FileWriter   = (*fileHandle)(nil)
	_ fusefs.FileFlusher  = (*fileHandle)(nil)
	_ fusefs.FileReleaser = (*fileHandle)(nil)
)

// Read reads at off; a short result tells the kernel where the file ends.
func (f *fileHandle) Read(ctx context.Context, dest []byte, off int64) (gofuse.ReadResult, syscall.Errno) {
	nr, err := f.h.ReadAt(f.srv.ctx(ctx), dest, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, f.srv.errno("read", err, permDenied)
	}
	if !f.read.Swap(true) {
		f.srv.accessed(f.h.Ino())
	}
	return gofuse.ReadResultData(dest[:nr]), 0
}

// Write writes at off, which may lie anywhere, beyond the end included
// (leaving a hole). The store copies data before returning.
func (f *fileHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	nw, err := f.h.WriteAt(f.srv.ctx(ctx), data, off)
	if err != nil {
		return uint32(nw), f.srv.errno("write", err, permDenied)
	}
	return uint32(nw), 0
}

// Flush runs at every close(2) of a descriptor (and of each dup of it): the
// file's writes become visible to the other doors here. The commit is not
// abandoned when the closing process receives a signal: close(2) has no
// good way to report a half-done commit.
func (f *fileHandle) Flush(ctx context.Context) syscall.Errno {
	if err := f.h.Flush(f.srv.ctx(context.WithoutCancel(ctx))); err != nil {
		return f.srv.errno("flush", err, permDenied)
	}
	return 0
}

// fsync commits durably (fsync(2) and fdatasync(2) alike).
func (f *fileHandle) fsync(ctx context.Context) syscall.Errno {
	if err := f.h.Fsync(f.srv.ctx(context.WithoutCancel(ctx))); err != nil {
		return f.srv.errno("fsync", err, permDenied)
	}
	return 0
}

// Release runs once, when the last descriptor sharing this open is gone.
// The kernel ignores its result, so a failed commit can only be logged.
func (f *fileHandle) Release(ctx context.Context) syscall.Errno {
	if err := f.h.Release(f.srv.ctx(context.WithoutCancel(ctx))); err != nil {
		f.srv.log.WithError(err).Error("release: commit of an open file failed")
		return f.srv.errno("release", err, permDenied)
	}
	return 0
}
