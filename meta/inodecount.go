package meta

// The number of inode records, for statfs, is kept in memory: counted once
// at Open (a key-only scan) and moved by every committed transaction by
// the records it created or deleted. PutInode and DeleteInode look up the
// record first to know which they do; callers nearly always read it in
// the same transaction anyway, so the lookup is served from memory.

// Inodes is the number of inode records the committed transactions left.
func (d *DB) Inodes() uint64 { return uint64(max(d.inodes.Load(), 0)) }

// countInodes counts the inode records (at Open).
func (x *Txn) countInodes() (int64, error) {
	var n int64
	err := x.scan([]byte{pfxInode}, nil, true, func([]byte, []byte) (bool, error) {
		n++
		return true, nil
	})
	return n, err
}

// putInodeKey writes an inode record, counting it if it is new.
func (x *Txn) putInodeKey(k, v []byte) error {
	ok, err := x.exists(k)
	if err != nil {
		return err
	}
	if !ok {
		x.inodes++
	}
	return x.set(k, v)
}

// delInodeKey deletes an inode record, uncounting it if it was there.
func (x *Txn) delInodeKey(k []byte) error {
	ok, err := x.exists(k)
	if err != nil {
		return err
	}
	if ok {
		x.inodes--
	}
	return x.del(k)
}
