// Package fuse is shallot's FUSE door: it mounts an objstore.Store as a
// POSIX file system and translates each kernel request into one or a few
// store calls. It owns no data and no metadata; the store is the only
// source of truth, and the door holds nothing that could go stale except
// what the kernel itself caches.
//
// # Surface
//
// Mount(store, dir, Options) mounts with mount(2) directly (the caller is
// root; no fusermount), as file system type fuse.shallot with source
// "shallot", and serves until Unmount or an outside umount; Wait blocks
// until then. Every request runs on its own go-fuse goroutine; Server's
// methods are safe for concurrent use.
//
// # What the door guarantees
//
//   - Lookup, getattr, create, open, read and write at any offset (files
//     above 4 GiB and sparse files included), truncate, chmod, chown,
//     utimensat, mkdir, rmdir, unlink, rename (over an existing file,
//     across directories, RENAME_NOREPLACE and RENAME_EXCHANGE), readdir,
//     symlink, readlink, hard links, mknod (FIFOs, sockets, devices),
//     statfs, extended attributes, fsync, on every path of the namespace.
//   - Writes through the mount become visible to S3 and NFS at close(2) of
//     a descriptor they were made through (FLUSH calls Handle.Flush;
//     read-only opens ask for no FLUSH, see openFlags), at fsync, and at
//     the last close (RELEASE calls Handle.Release). Descriptors of one
//     file share its buffer, so such a close publishes what every writer
//     buffered; the close of one that wrote nothing since the last commit
//     publishes nothing, so a reader's close (or the kernel's late RELEASE
//     of an earlier open) never exposes a write(2) cut at a request
//     boundary. A commit at close is not
//     abandoned when the closing process gets a signal. Only fsync waits
//     for the disk; what a close committed is synced by the store within
//     its SyncInterval (objstore/syncfree.go).
//   - A change made through another door (S3 PUT, COPY, DELETE, multipart
//     complete, NFS, store jobs) is visible through the mount when that
//     door's call returns, although the kernel caches entries, attributes,
//     symlink targets and pages (see Invalidation).
//   - Files created through the mount belong to the calling process's
//     fsuid:fsgid; in a setgid directory they take the directory's group,
//     and new directories inherit the setgid bit.
//   - st_ino is the store's inode number, stable across renames and
//     restarts and shared by every door; the FUSE generation is the
//     store's generation.
//   - Permissions: the kernel checks mode bits and ownership against the
//     store's attributes (mount option default_permissions), so they mean
//     the same as on a local file system; the store may still refuse
//     (EACCES for access, EPERM for operations no mode allows).
//   - Errors: store errors become errnos in one table (errno.go). An error
//     outside the store's vocabulary becomes EIO and is logged once per
//     operation and error type.
//   - Directory listings page through store.ReadDir by name, so memory per
//     open directory is one page whatever the directory's size, and entries
//     that exist for the whole listing are returned exactly once even while
//     others come and go. "." and ".." are not listed.
//   - Extended attributes are passed through; a missing one is ENODATA, a
//     buffer too small is ERANGE with the size needed.
//   - fallocate(2): allocation (which extends the size unless
//     FALLOC_FL_KEEP_SIZE; nothing is reserved, but an allocation larger
//     than the free space fails with ENOSPC), punch hole and zero range,
//     both of which free what the range stored. Collapse and insert are
//     EOPNOTSUPP. copy_file_range(2) between files of the mount copies
//     inside the daemon.
//   - Times follow POSIX per call (fuse/posix_times_test.go lists them),
//     with nanoseconds, and times before 1970. Access times follow the
//     relatime rule: the first read of an open file, or the first page of
//     a listing, records the access if the access time is not after the
//     last change or is a day old. Accesses are written in batches within
//     a second (atime.go); the mount shows them at once.
//   - A file whose last name the mount removes or replaces stays readable
//     through any node the kernel still holds, not only through open
//     descriptors: a reader racing a rename over the file it opens gets
//     the old file, never ENOENT (keep.go).
//   - Locks: flock(2), fcntl(2) record locks and OFD locks are kept by
//     the kernel (the mount does not ask for FUSE lock requests), so they
//     hold between all processes using the mount on this machine, exactly
//     as on a local file system. They are not seen by S3 or NFS clients,
//     nor by another machine's mount.
//   - The kernel's interrupts (any signal to the caller, including Go's
//     preemption signal) do not cancel store calls: an operation either
//     completes or fails on its merits, never with a spurious EINTR.
//
// # Kernel caches and timeouts
//
// Caching stays on: the kernel keeps names (positive and negative) for
// EntryTimeout, attributes for AttrTimeout (both 1 s by default),
// symlink targets, and file pages across opens (FOPEN_KEEP_CACHE).
// Correctness does not depend on the timeouts; they only bound the damage
// should an invalidation ever be lost. Reads and writes travel in requests
// of up to 1 MiB; st_blksize is 1 MiB.
//
// The writeback cache is off. With it the kernel would hold dirty pages
// and treat its own size and mtime as authoritative: an S3 overwrite could
// then be overwritten again by pages the mount wrote earlier but flushed
// later (invalidating a dirty page writes it back first), and stat would
// disagree with S3 about the size. Writes therefore go to the store as
// they are made (the store buffers them) and close(2) commits them.
//
// # Invalidation
//
// The store calls Server.invalidate for every committed change
// (objstore.Event), synchronously on the goroutine of the door that made
// it, after releasing its locks and before that door's call returns. The
// door skips events with Origin OriginMount (the kernel learned of those
// from the replies) and, for the others, tells the kernel:
//
//   - EventEntry (Parent/Name now points elsewhere or nowhere): an entry
//     invalidation of (Parent, Name), which drops a cached positive or
//     negative dentry and the directory's attributes; and, when the event
//     names an inode, an attribute invalidation of it (nlink changed).
//   - EventContent (Ino's data or attributes changed): an inode
//     invalidation from offset 0 to the end, dropping its pages and
//     attributes.
//
// The mount uses go-fuse's ExternalNodeID mode, so the kernel's node id
// of a file is the store's inode number (the root is objstore.RootIno, 1).
// An event can therefore be addressed to the kernel directly, with no
// table from store inodes to go-fuse nodes to maintain and prune, and no
// race between such a table and the kernel forgetting a node. The kernel
// answers ENOENT for a node or directory it does not hold, which is the
// common case and ignored.
//
// Deadlock rules. A notification must never be sent from inside the FUSE
// request it concerns: the kernel may hold the directory lock an entry
// invalidation needs. This holds because (1) every store call from the
// door carries objstore.WithOrigin(ctx, OriginMount), so events caused by
// the mount are skipped, and the store must tag side effects of a mount
// call the same way; and (2) the subscriber holds no lock of the door's
// while it writes to the kernel, and the store holds none of its own.
//
// # Who may call
//
// Mount, Unmount, Wait and Dir may be called from any goroutine. The
// package keeps no global state; each Server has its own logger (a
// *logrus.Entry from Options.Log) and store.
package fuse
