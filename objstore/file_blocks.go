package objstore

// storedLocked is what an open file with uncommitted changes stores, for
// st_blocks: the bytes its committed and staged layout, its runs in
// flight and its buffered writes cover, each byte counted once and none
// past the size. Holes count nothing, so a sparse file being written
// reports what it holds, not its size.
func (f *openFile) storedLocked() uint64 {
	var n uint64
	for _, s := range f.dataSpansLocked() {
		n += s.end - s.off
	}
	return n
}
