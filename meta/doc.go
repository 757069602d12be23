// Package meta owns shallot's metadata: the badger schema (key encoding and
// typed records) and the transactions the object store runs on it.
//
// Everything the daemon needs to find data lives here: inodes, directory
// entries, file extents, inline contents, extended attributes, multipart
// uploads, access keys and id sequences. Shard files hold only bytes.
//
// Transactions are closures (View, Update). A closure may run more than once
// when badger reports a conflict, so it must not do I/O or have effects
// outside the transaction; values returned by the typed getters are copies
// and outlive the transaction. Update returns only after the commit is
// durable: commits are grouped so that many share one fsync of badger's log
// (see groupSync) instead of badger's SyncWrites on every transaction.
//
// Only the files kv_badger.go and db.go import badger: the typed layer above
// them uses get/set/delete/scan, the surface a distributed transactional KV
// store (TiKV) would have to offer to replace badger.
//
// All methods are safe for concurrent use.
package meta
