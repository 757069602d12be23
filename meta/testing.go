package meta

// DamageInodeForTesting overwrites the record of ino with bytes that do
// not decode, as a damaged metadata directory would hold. Tests of the
// consistency checker use it; nothing else may.
func (x *Txn) DamageInodeForTesting(ino uint64) error {
	return x.putInode(ino, []byte{0xff, 0x01})
}
