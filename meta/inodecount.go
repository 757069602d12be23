package meta

// The number of inode records, for statfs, is kept in memory: counted once
// at Open (a key-only scan) and moved by every committed transaction by
// the records it created or deleted. PutInode and DeleteInode need to know
// whether the record exists: a record the transaction already read or wrote
// does (Txn.present); only others cost a lookup.

import "slices"

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

// putInode writes the inode record of ino, counting it if it is new.
func (x *Txn) putInode(ino uint64, v []byte) error {
	if !x.known(ino) {
		ok, err := x.exists(key(pfxInode, ino))
		if err != nil {
			return err
		}
		if !ok {
			x.inodes++
		}
		x.present = append(x.present, ino)
	}
	return x.set(key(pfxInode, ino), v)
}

// delInode deletes the inode record of ino, uncounting it if it was there.
func (x *Txn) delInode(ino uint64) error {
	if i := slices.Index(x.present, ino); i >= 0 {
		x.present = slices.Delete(x.present, i, i+1)
		x.inodes--
	} else if ok, err := x.exists(key(pfxInode, ino)); err != nil {
		return err
	} else if ok {
		x.inodes--
	}
	return x.del(key(pfxInode, ino))
}

// known reports whether this transaction has read or written the record of
// ino (so it exists in the transaction's view) and need not look it up.
func (x *Txn) known(ino uint64) bool { return slices.Contains(x.present, ino) }
