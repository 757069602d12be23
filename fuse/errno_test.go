package fuse

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

func TestToErrno(t *testing.T) {
	errOdd := errors.New("something the store never promised")
	tests := []struct {
		name      string
		err       error
		kind      permKind
		want      syscall.Errno
		wantKnown bool
	}{
		{"nil", nil, permDenied, 0, true},
		{"not exist", objstore.ErrNotExist, permDenied, syscall.ENOENT, true},
		{"no such bucket", objstore.ErrNoSuchBucket, permDenied, syscall.ENOENT, true},
		{"exist", objstore.ErrExist, permDenied, syscall.EEXIST, true},
		{"not empty", objstore.ErrNotEmpty, permDenied, syscall.ENOTEMPTY, true},
		{"not dir", objstore.ErrNotDir, permDenied, syscall.ENOTDIR, true},
		{"is dir", objstore.ErrIsDir, permDenied, syscall.EISDIR, true},
		{"name too long", objstore.ErrNameTooLong, permDenied, syscall.ENAMETOOLONG, true},
		{"invalid name", objstore.ErrInvalidName, permDenied, syscall.EINVAL, true},
		{"invalid bucket", objstore.ErrInvalidBucket, permDenied, syscall.EINVAL, true},
		{"invalid", objstore.ErrInvalid, permDenied, syscall.EINVAL, true},
		{"no space", objstore.ErrNoSpace, permDenied, syscall.ENOSPC, true},
		{"too large", objstore.ErrTooLarge, permDenied, syscall.EFBIG, true},
		{"not supported", objstore.ErrNotSupported, permDenied, syscall.ENOTSUP, true},
		{"io", objstore.ErrIO, permDenied, syscall.EIO, true},
		{"no attr", objstore.ErrNoAttr, permDenied, syscall.ENODATA, true},
		{"permission denied", objstore.ErrPermission, permDenied, syscall.EACCES, true},
		{"permission forbidden", objstore.ErrPermission, permForbidden, syscall.EPERM, true},
		{"canceled", context.Canceled, permDenied, syscall.EINTR, true},
		{"deadline", context.DeadlineExceeded, permDenied, syscall.ETIMEDOUT, true},
		{"wrapped", fmt.Errorf("lookup a/b: %w", objstore.ErrNotDir), permDenied, syscall.ENOTDIR, true},
		{"double wrapped", fmt.Errorf("x: %w", fmt.Errorf("y: %w", objstore.ErrNoSpace)), permDenied, syscall.ENOSPC, true},
		{"unknown", errOdd, permDenied, syscall.EIO, false},
		// A raw errno from below the store is not in the vocabulary
		// (ENOENT would be, since ErrNotExist is fs.ErrNotExist).
		{"raw errno", fmt.Errorf("shard: %w", syscall.EROFS), permDenied, syscall.EIO, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, known := toErrno(tc.err, tc.kind)
			if got != tc.want || known != tc.wantKnown {
				t.Errorf("toErrno(%v) = %v, %v; want %v, %v", tc.err, got, known, tc.want, tc.wantKnown)
			}
		})
	}
}
