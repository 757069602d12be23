package meta

// Xattr reads one extended attribute.
func (x *Txn) Xattr(ino uint64, name string) ([]byte, error) { return x.get(xattrKey(ino, name)) }

// HasXattr reports whether the attribute exists.
func (x *Txn) HasXattr(ino uint64, name string) (bool, error) { return x.exists(xattrKey(ino, name)) }

// PutXattr writes one extended attribute.
func (x *Txn) PutXattr(ino uint64, name string, v []byte) error {
	return x.set(xattrKey(ino, name), v)
}

// DeleteXattr removes one extended attribute.
func (x *Txn) DeleteXattr(ino uint64, name string) error { return x.del(xattrKey(ino, name)) }

// Xattrs calls fn for every attribute of ino whose name starts with prefix.
func (x *Txn) Xattrs(ino uint64, prefix string, fn func(name string, v []byte) error) error {
	base := key(pfxXattr, ino)
	return x.scan(xattrKey(ino, prefix), nil, false, func(k, v []byte) (bool, error) {
		return true, fn(string(k[len(base):]), v)
	})
}
