// Package objstore is shallot's one implementation of the namespace and the
// data path: lookup, create, write, commit, rename, unlink, list, objects
// and multipart uploads. Every door (fuse/, s3srv/, nfsexport/) calls it and
// nothing below it.
//
// Model. A file is an inode (meta.Inode) whose content is either inline
// bytes in the metadata (up to Options.InlineMax) or an ordered list of
// extents over immutable erasure-coded blobs (objstore/blob). A blob belongs
// to exactly one inode or multipart upload, so it is garbage exactly when
// a commit leaves its owner no longer naming it; it is deleted only after
// that commit is durable.
//
// Writes. An open file (openFile, shared by every handle of an inode)
// buffers writes in memory; Flush, Fsync and Release write the buffered
// bytes into one new blob and swap the extents in one metadata transaction.
// Only Fsync waits for that transaction to reach the disk; the others are
// made durable by the next sync (syncfree.go), as close(2) on a local file
// system is. Blob shards are always fsynced before the commit naming them.
// An S3 PUT streams into blobs and swaps in a new inode under the name in
// one transaction, so readers see the old object or the whole new one.
//
// Events. After a change is committed and every lock is released, Store calls
// its subscribers on the calling goroutine (see Event), which is how a door
// invalidates its caches before another door's call returns.
//
// Errors are the sentinels of errors.go, wrapped with context.
//
// All methods are safe for concurrent use.
package objstore
