package fuse

import (
	"context"
	"errors"
	"io"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/shallot-storage/shallot/objstore"
)

var (
	_ fusefs.FileAllocater      = (*fileHandle)(nil)
	_ fusefs.NodeCopyFileRanger = (*node)(nil)
)

// fallocate(2) modes, as the kernel passes them through.
const (
	fallocKeepSize  = 0x01
	fallocPunchHole = 0x02
	fallocZeroRange = 0x10
)

// Allocate serves fallocate(2): plain allocation (which extends the size
// unless FALLOC_FL_KEEP_SIZE), punch hole and zero range. Collapse, insert
// and unshare are EOPNOTSUPP, which callers treat as "not here".
func (f *fileHandle) Allocate(ctx context.Context, off, size uint64, mode uint32) syscall.Errno {
	if mode&^(fallocKeepSize|fallocPunchHole|fallocZeroRange) != 0 {
		return syscall.EOPNOTSUPP
	}
	var m objstore.FallocMode
	if mode&fallocKeepSize != 0 {
		m |= objstore.FallocKeepSize
	}
	if mode&fallocPunchHole != 0 {
		m |= objstore.FallocPunchHole
	}
	if mode&fallocZeroRange != 0 {
		m |= objstore.FallocZeroRange
	}
	if err := f.h.Fallocate(f.srv.ctx(ctx), off, size, m); err != nil {
		return f.srv.errno("fallocate", err, permDenied)
	}
	return 0
}

// copyChunk is how much CopyFileRange moves per store read and write.
const copyChunk = 1 << 20

// maxCopy bounds one COPY_FILE_RANGE request (the reply's count is 32
// bits); copy_file_range(2) callers loop on short counts.
const maxCopy = 1 << 30

// CopyFileRange copies between two open files of the mount inside the
// daemon, sparing the caller the round trips through its own buffers. The
// kernel has flushed cached pages of both ranges before, refuses
// overlapping ranges of one file, and drops the destination's pages after.
func (n *node) CopyFileRange(ctx context.Context, fhIn fusefs.FileHandle, offIn uint64,
	_ *fusefs.Inode, fhOut fusefs.FileHandle, offOut uint64, length uint64, flags uint64) (uint32, syscall.Errno) {
	src, ok := fhIn.(*fileHandle)
	dst, ok2 := fhOut.(*fileHandle)
	if !ok || !ok2 {
		return 0, syscall.EBADF
	}
	if flags != 0 {
		return 0, syscall.EINVAL
	}
	sctx := n.srv.ctx(ctx)
	length = min(length, maxCopy)
	buf := make([]byte, min(length, copyChunk))
	var done uint64
	for done < length {
		chunk := buf[:min(uint64(len(buf)), length-done)]
		nr, err := src.h.ReadAt(sctx, chunk, int64(offIn+done))
		if err != nil && !errors.Is(err, io.EOF) {
			return n.copied(done, "copy_file_range read", err)
		}
		if nr > 0 {
			if _, err := dst.h.WriteAt(sctx, chunk[:nr], int64(offOut+done)); err != nil {
				return n.copied(done, "copy_file_range write", err)
			}
			done += uint64(nr)
		}
		if nr < len(chunk) {
			break
		}
	}
	return uint32(done), 0
}

// copied answers a copy that failed part way: the bytes already copied
// count (a short copy), unless there are none.
func (n *node) copied(done uint64, op string, err error) (uint32, syscall.Errno) {
	if done > 0 {
		return uint32(done), 0
	}
	return 0, n.srv.errno(op, err, permDenied)
}
