// Package blob owns shallot's immutable, erasure-coded blobs: byte strings
// of up to Options.MaxBlobSize, each split into k data shards plus m
// parity shards (Reed-Solomon, klauspost/reedsolomon), shard i of every
// blob stored as one file on disk i.
//
// Invariants:
//   - A blob is immutable once Put returns; its ID is chosen by the caller
//     and never reused, so anything derived from an ID (the geometry
//     cache) never goes stale.
//   - Data shards hold contiguous ranges of the blob (shard i holds bytes
//     [i*L, (i+1)*L), L = ceil(size/k), the last one zero-padded), so a
//     small read touches one data shard on one disk.
//   - Every shard file carries a header (see header.go) with a CRC32C per
//     checksum block; no byte is returned, and no shard block is fed to
//     the decoder, before its block checksum has been verified. When
//     fewer than k verified shards exist for a block, ReadAt fails with
//     ErrUnreadable rather than guess.
//
// Durability rule of Put: every shard is written in parallel and fsynced
// before Put returns. Put fails (and removes the shards it wrote) when any
// disk reports ErrNoSpace or the context ends; a disk failing with any
// other error is treated as dead and skipped, provided at least k shards
// were written: writes go on with up to m disks lost, as the durability
// contract asks, but a blob written with fewer than k+m shards survives
// only that many more losses until heal (Repair) rewrites its missing
// shards; each such write is logged.
//
// Errors: ErrUnreadable (data lost beyond what parity covers; the store
// maps it to EIO), errors matching fs.ErrNotExist when no shard of the
// blob exists at all, disk.ErrNoSpace from Put, ErrTooLarge.
//
// Concurrency: every method of Store may be called from any goroutine.
// Each call waits for the goroutines it starts; none outlive it.
package blob
