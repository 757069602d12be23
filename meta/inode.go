package meta

// Inode flags.
const (
	// FlagImplicitDir marks a directory created only because an S3 key
	// needed it; it is removed again when an S3 delete leaves it empty and
	// it is not listed as a "dir/" key of its own.
	FlagImplicitDir uint32 = 1 << 0
	// FlagETagStale: the content changed in a way that did not yield an MD5
	// (random writes through the mount); the ETag is computed on demand.
	FlagETagStale uint32 = 1 << 1
	// FlagStorageClass: the inode carries a storage-class xattr. S3
	// listings report every object's class and read that xattr only where
	// this is set, so a page of STANDARD objects costs no read per key.
	// Version 1 records predate the flag and decode with it set.
	FlagStorageClass uint32 = 1 << 2
)

// Inode is the record of one file, directory, link or special node. Object
// attributes (ETag, content type) live here so that every door reads one
// record; user metadata lives in xattrs.
type Inode struct {
	Ino   uint64
	Gen   uint64
	Mode  uint32
	Nlink uint32
	Uid   uint32
	Gid   uint32
	Rdev  uint32
	Flags uint32
	// Parent is the containing directory of a directory (for ".." and the
	// rename-into-own-subtree check); files may have many names and keep 0.
	Parent uint64
	Size   uint64
	Stored uint64 // bytes held in extents or inline (for st_blocks)
	// Times in nanoseconds since the Unix epoch.
	Atime, Mtime, Ctime, Crtime int64
	ETag                        string
	ContentType                 string
	Target                      string // symlink target
}

// inodeVersion 2 has the layout of 1; it says FlagStorageClass is kept.
const inodeVersion = 2

func (n *Inode) encode() []byte {
	e := enc{b: make([]byte, 0, 96+len(n.ETag)+len(n.ContentType)+len(n.Target))}
	e.u8(inodeVersion)
	e.uv(n.Ino)
	e.uv(n.Gen)
	e.uv(uint64(n.Mode))
	e.uv(uint64(n.Nlink))
	e.uv(uint64(n.Uid))
	e.uv(uint64(n.Gid))
	e.uv(uint64(n.Rdev))
	e.uv(uint64(n.Flags))
	e.uv(n.Parent)
	e.uv(n.Size)
	e.uv(n.Stored)
	e.sv(n.Atime)
	e.sv(n.Mtime)
	e.sv(n.Ctime)
	e.sv(n.Crtime)
	e.str(n.ETag)
	e.str(n.ContentType)
	e.str(n.Target)
	return e.b
}

func decodeInode(b []byte) (Inode, error) {
	d := dec{b: b}
	var n Inode
	version := d.u8()
	if version != 1 && version != inodeVersion {
		d.fail()
	}
	n.Ino = d.uv()
	n.Gen = d.uv()
	n.Mode = d.u32()
	n.Nlink = d.u32()
	n.Uid = d.u32()
	n.Gid = d.u32()
	n.Rdev = d.u32()
	n.Flags = d.u32()
	n.Parent = d.uv()
	n.Size = d.uv()
	n.Stored = d.uv()
	n.Atime = d.sv()
	n.Mtime = d.sv()
	n.Ctime = d.sv()
	n.Crtime = d.sv()
	n.ETag = d.str()
	n.ContentType = d.str()
	n.Target = d.str()
	if version == 1 {
		n.Flags |= FlagStorageClass
	}
	return n, d.done("inode")
}

// Inode reads inode ino.
func (x *Txn) Inode(ino uint64) (Inode, error) {
	v, err := x.get(key(pfxInode, ino))
	if err != nil {
		return Inode{}, err
	}
	if !x.known(ino) {
		x.present = append(x.present, ino)
	}
	return decodeInode(v)
}

// PutInode writes n.
func (x *Txn) PutInode(n *Inode) error { return x.putInode(n.Ino, n.encode()) }

// DeleteInode removes the inode record with its content, extents,
// xattrs and part layout. The caller frees the blobs the extents named
// (after commit).
func (x *Txn) DeleteInode(ino uint64) error {
	for _, p := range [][]byte{key(pfxExtent, ino), key(pfxXattr, ino)} {
		if err := x.delPrefix(p); err != nil {
			return err
		}
	}
	if err := x.del(key(pfxContent, ino)); err != nil {
		return err
	}
	if err := x.DeleteObjectParts(ino); err != nil {
		return err
	}
	if err := x.del(key(pfxOrphan, ino)); err != nil {
		return err
	}
	return x.delInode(ino)
}

// Content returns the inline bytes of a small file (nil if none).
func (x *Txn) Content(ino uint64) ([]byte, error) {
	v, err := x.get(key(pfxContent, ino))
	if err == ErrNotFound {
		return nil, nil
	}
	return v, err
}

// PutContent stores inline bytes; an empty p deletes them.
func (x *Txn) PutContent(ino uint64, p []byte) error {
	if len(p) == 0 {
		return x.del(key(pfxContent, ino))
	}
	return x.set(key(pfxContent, ino), p)
}

// MarkOrphan records that ino has no names left but is still open; it is
// freed by the last close, or at the next start if the daemon died first.
func (x *Txn) MarkOrphan(ino uint64) error { return x.set(key(pfxOrphan, ino), nil) }

// Orphans lists inodes marked by MarkOrphan.
func (x *Txn) Orphans() ([]uint64, error) {
	var out []uint64
	err := x.scan([]byte{pfxOrphan}, nil, true, func(k, _ []byte) (bool, error) {
		if len(k) != 9 {
			return false, errCorrupt
		}
		out = append(out, beUint64(k[1:]))
		return true, nil
	})
	return out, err
}

// Config reads a named configuration value (nil, ErrNotFound if unset).
func (x *Txn) Config(name string) ([]byte, error) { return x.get(append([]byte{pfxConfig}, name...)) }

// PutConfig writes a named configuration value.
func (x *Txn) PutConfig(name string, v []byte) error {
	return x.set(append([]byte{pfxConfig}, name...), v)
}
