package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
)

const modeSetuid = 0o4000

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
func openFlags(flags uint32, mode uint32) uint32 {
	if flags&syscall.O_DIRECT != 0 && mode&(modeSetuid|modeSetgid) == 0 {
		return gofuse.FOPEN_DIRECT_IO | gofuse.FOPEN_PARALLEL_DIRECT_WRITES
	}
	return gofuse.FOPEN_KEEP_CACHE
}
