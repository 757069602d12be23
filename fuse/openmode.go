package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
)

const (
	modeSetuid = 0o4000
	modeSetgid = 0o2000
)

// openFlags chooses how the kernel treats a new open of a regular file.
//
// By default it keeps the file's page cache across opens
// (FOPEN_KEEP_CACHE): a change made through another door drops it by
// invalidation, so re-reading on every open would buy nothing.
//
// An O_DIRECT open asks the kernel to stay out of the way, and it then
// does (FOPEN_DIRECT_IO): each read and write is one request straight to
// the store, without the page cache and without the security.capability
// lookup the cached path makes before every write, and the writes of
// several O_DIRECT openers of a file run in parallel
// (FOPEN_PARALLEL_DIRECT_WRITES). On that path the kernel leaves it to the
// file system to drop setuid/setgid bits when a file is written, so a
// file carrying one keeps the cached path, where the kernel does it.
//
// A read-only open has nothing to commit at close(2), so the kernel is
// told not to send a FLUSH for it (FOPEN_NOFLUSH): one request less for
// every file read; RELEASE, which does not hold up close(2), still comes.
func openFlags(flags uint32, mode uint32) uint32 {
	var out uint32 = gofuse.FOPEN_KEEP_CACHE
	if flags&syscall.O_DIRECT != 0 && mode&(modeSetuid|modeSetgid) == 0 {
		out = gofuse.FOPEN_DIRECT_IO | gofuse.FOPEN_PARALLEL_DIRECT_WRITES
	}
	if flags&syscall.O_ACCMODE == syscall.O_RDONLY {
		out |= gofuse.FOPEN_NOFLUSH
	}
	return out
}
