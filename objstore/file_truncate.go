package objstore

import (
	"context"
	"slices"
)

// truncateCommitLocked sets the size and commits it. When the
// commit fails (no space for the buffered bytes it must write, a metadata
// error) the open file is put back as it was: a failed truncate must not
// leave a size, or buffered bytes cut off, that no record holds.
func (f *openFile) truncateCommitLocked(ctx context.Context, size uint64) error {
	// pieceMap.truncate reuses its slice and reslices the runs: keep a
	// copy of the run headers (the bytes themselves are not touched).
	pieces, bytes := slices.Clone(f.dirty.pieces), f.dirty.bytes
	oldSize, merged, changed, mtime := f.size, f.inlineMerged, f.changed, f.mtime
	md5OK, md5Next := f.md5OK, f.md5Next
	f.truncateLocked(size)
	err := f.commitLocked(ctx, false)
	if err == nil {
		return nil
	}
	f.dirty = pieceMap{pieces: pieces, bytes: bytes, grain: f.dirty.grain, full: true}
	f.size, f.inlineMerged, f.changed, f.mtime = oldSize, merged, changed, mtime
	if md5OK != f.md5OK || md5Next != f.md5Next {
		// The running MD5 was restarted or stopped for the new size;
		// the ETag is computed later instead.
		f.stopMD5()
	}
	return err
}
