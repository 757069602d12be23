package meta

import (
	"encoding/binary"
	"strings"
)

// Dirent is a name in a directory.
type Dirent struct {
	Name string
	Ino  uint64
	Mode uint32 // type bits of the child, so a listing needs no inode reads
}

const modeDir = 0o040000

func (d Dirent) isDir() bool { return d.Mode&0o170000 == modeDir }

// SortName is the key the entry sorts by.
func (d Dirent) SortName() string { return SortName(d.Name, d.isDir()) }

func encodeDirent(d Dirent) []byte {
	e := enc{b: make([]byte, 0, 12)}
	e.uv(d.Ino)
	e.uv(uint64(d.Mode))
	return e.b
}

func decodeDirent(name string, v []byte) (Dirent, error) {
	d := dec{b: v}
	de := Dirent{Name: name, Ino: d.uv(), Mode: d.u32()}
	return de, d.done("dirent")
}

// Dirent looks up name in parent (a file "name" or a directory "name/").
func (x *Txn) Dirent(parent uint64, name string) (Dirent, error) {
	for _, dir := range []bool{false, true} {
		v, err := x.get(direntKey(parent, SortName(name, dir)))
		if err == ErrNotFound {
			continue
		}
		if err != nil {
			return Dirent{}, err
		}
		return decodeDirent(name, v)
	}
	return Dirent{}, ErrNotFound
}

// PutDirent adds or replaces the entry d.Name in parent. The caller has
// removed an entry of the same name with the other type bit, if any.
func (x *Txn) PutDirent(parent uint64, d Dirent) error {
	return x.set(direntKey(parent, d.SortName()), encodeDirent(d))
}

// DeleteDirent removes the entry d from parent.
func (x *Txn) DeleteDirent(parent uint64, d Dirent) error {
	return x.del(direntKey(parent, d.SortName()))
}

// ScanDir calls fn for the entries of parent whose sort name is at least
// from, in sort-name order (S3 key order), until fn returns false.
func (x *Txn) ScanDir(parent uint64, from string, fn func(Dirent) (bool, error)) error {
	prefix := key(pfxDirent, parent)
	return x.scan(prefix, direntKey(parent, from), false, func(k, v []byte) (bool, error) {
		name := strings.TrimSuffix(string(k[len(prefix):]), "/")
		d, err := decodeDirent(name, v)
		if err != nil {
			return false, err
		}
		return fn(d)
	})
}

// DirEmpty reports whether parent has no entries.
func (x *Txn) DirEmpty(parent uint64) (bool, error) {
	empty := true
	err := x.scan(key(pfxDirent, parent), nil, true, func(_, _ []byte) (bool, error) {
		empty = false
		return false, nil
	})
	return empty, err
}

func beUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
