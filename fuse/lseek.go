package fuse

import (
	"context"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
)

var _ fusefs.FileLseeker = (*fileHandle)(nil)

// lseek(2) whences the kernel passes to the file system; it serves the
// others itself.
const (
	seekData = 3
	seekHole = 4
)

// Lseek answers SEEK_DATA and SEEK_HOLE from the file's layout, so that
// cp, tar and rsync skip the holes of sparse files instead of reading
// zeros.
func (f *fileHandle) Lseek(_ context.Context, off uint64, whence uint32) (uint64, syscall.Errno) {
	if whence != seekData && whence != seekHole {
		return 0, syscall.EINVAL
	}
	pos, found := f.h.Seek(off, whence == seekHole)
	if !found {
		return 0, syscall.ENXIO
	}
	return pos, 0
}
