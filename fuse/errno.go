package fuse

import (
	"context"
	"errors"
	"syscall"

	"github.com/shallot-storage/shallot/objstore"
)

// errnoTable is the one translation from the store's error vocabulary to
// what the kernel understands. Order matters only where one error wraps
// another; the store's sentinels are distinct, so the first match wins.
var errnoTable = []struct {
	err   error
	errno syscall.Errno
}{
	{objstore.ErrNotExist, syscall.ENOENT},
	{objstore.ErrNoSuchBucket, syscall.ENOENT},
	{objstore.ErrExist, syscall.EEXIST},
	{objstore.ErrNotEmpty, syscall.ENOTEMPTY},
	{objstore.ErrNotDir, syscall.ENOTDIR},
	{objstore.ErrIsDir, syscall.EISDIR},
	{objstore.ErrNameTooLong, syscall.ENAMETOOLONG},
	{objstore.ErrInvalidName, syscall.EINVAL},
	{objstore.ErrInvalidBucket, syscall.EINVAL},
	{objstore.ErrInvalid, syscall.EINVAL},
	{objstore.ErrNoSpace, syscall.ENOSPC},
	{objstore.ErrTooLarge, syscall.EFBIG},
	{objstore.ErrNotSupported, syscall.ENOTSUP},
	{objstore.ErrIO, syscall.EIO},
	{objstore.ErrNoAttr, syscall.ENODATA},
	// The door does not pass the kernel's interrupts on to the store
	// (see Server.ctx), but should a cancelled context reach an answer,
	// EINTR is what go-fuse requires for it (fs/api.go, "Interrupts").
	{context.Canceled, syscall.EINTR},
	{context.DeadlineExceeded, syscall.ETIMEDOUT},
}

// permKind says which errno a refusal means for an operation: POSIX answers
// EACCES when a search or write permission is missing (open, create in a
// directory, lookup) and EPERM when the caller may never do the operation
// whatever the mode bits (chown, link to a directory, sticky-bit unlink).
type permKind uint8

const (
	permDenied    permKind = iota // EACCES
	permForbidden                 // EPERM
)

// toErrno maps a store error to an errno. known is false for an error
// outside the vocabulary, which is answered as EIO and must be logged by the
// caller, because the kernel will only ever see "I/O error".
func toErrno(err error, kind permKind) (errno syscall.Errno, known bool) {
	if err == nil {
		return 0, true
	}
	if errors.Is(err, objstore.ErrPermission) {
		if kind == permForbidden {
			return syscall.EPERM, true
		}
		return syscall.EACCES, true
	}
	for _, e := range errnoTable {
		if errors.Is(err, e.err) {
			return e.errno, true
		}
	}
	return syscall.EIO, false
}
