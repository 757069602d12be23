// Package disk owns one failure domain of shallot's data: a flat namespace
// of immutable files (shard files, in practice) kept on one device.
//
// A Disk stores whole files only. WriteFile makes a file durable and visible
// atomically: after it returns nil the file survives a crash, and a failed or
// interrupted WriteFile never leaves a partial file under the final name.
// Files are then read by byte range, listed and removed; they are never
// modified in place (a rewrite replaces the whole file atomically).
//
// Implementations: Dir (a directory on a real file system), Mem (in memory,
// for tests) and Faulty (wraps any Disk and injects failures on command).
// All methods of every implementation are safe for concurrent use; callers
// must not write to a slice passed to WriteFile until it returns.
//
// Error model: a missing file is reported with an error matching
// fs.ErrNotExist; a full device with one matching ErrNoSpace (which is also
// syscall.ENOSPC, so errors.Is works with either); an invalid name with one
// matching fs.ErrInvalid. Every other error means the device misbehaved; the
// caller (objstore/blob) treats it as a lost shard and reconstructs.
package disk

import (
	"context"
	"fmt"
	"io/fs"
	"syscall"
)

// ErrNoSpace reports a full device (or an exhausted quota). It is
// syscall.ENOSPC itself so that errors from the operating system match it
// without translation.
var ErrNoSpace error = syscall.ENOSPC

// Disk is one failure domain. See the package comment for the contract.
type Disk interface {
	// ID names the disk in logs and errors (e.g. its directory).
	ID() string

	// WriteFile stores the concatenation of data as file name, durably
	// (fsynced, directory entry included) and atomically, replacing any
	// file of that name.
	WriteFile(ctx context.Context, name string, data ...[]byte) error

	// ReadAt reads len(p) bytes of file name at offset off with the
	// semantics of io.ReaderAt: fewer bytes only with a non-nil error,
	// io.EOF at the end of the file.
	ReadAt(ctx context.Context, name string, p []byte, off int64) (int, error)

	// Remove deletes file name; an absent file is an error matching
	// fs.ErrNotExist.
	Remove(ctx context.Context, name string) error

	// List calls fn once for every file stored, in no particular order,
	// never with a file whose WriteFile has not returned. An error from fn
	// stops the walk and is returned. Files written or removed during the
	// walk may or may not be seen.
	List(ctx context.Context, fn func(name string) error) error

	// Stat reports the size of the device and the bytes still free for
	// this process.
	Stat(ctx context.Context) (Usage, error)
}

// Usage is what Stat reports, in bytes.
type Usage struct {
	Total uint64
	Free  uint64
	// Device identifies the file system the disk lives on (0: its own),
	// so that disks sharing one are not counted as separate space.
	Device uint64
}

// CheckName validates a file name: 1 to 200 bytes of [A-Za-z0-9._-], not
// starting with '.' (names starting with '.' are reserved for temporary
// files of an implementation).
func CheckName(name string) error {
	if len(name) == 0 || len(name) > 200 || name[0] == '.' {
		return fmt.Errorf("disk: file name %q: %w", name, fs.ErrInvalid)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("disk: file name %q: %w", name, fs.ErrInvalid)
		}
	}
	return nil
}
