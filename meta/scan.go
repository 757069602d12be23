package meta

import (
	"bytes"
	"errors"
	"strings"
)

// Whole-table scans, for the consistency checker (objstore's fsck) and the
// background scrub and heal. They visit every record of a kind in key
// order within one transaction. A record that does not decode does not
// stop a scan: fn gets it with a non-nil err matching IsCorrupt, and the
// key fields that could be recovered, so that a checker can report it.

// IsCorrupt reports whether err says a stored record does not decode,
// which means the metadata directory is damaged.
func IsCorrupt(err error) bool { return errors.Is(err, errCorrupt) }

// ScanInodes calls fn for every inode record, in inode order.
func (x *Txn) ScanInodes(fn func(ino uint64, n Inode, err error) error) error {
	return x.scan([]byte{pfxInode}, nil, false, func(k, v []byte) (bool, error) {
		if len(k) != 9 {
			return true, fn(0, Inode{}, errCorrupt)
		}
		n, err := decodeInode(v)
		return true, fn(beUint64(k[1:]), n, err)
	})
}

// ScanAllDirents calls fn for every directory entry, by parent then sort
// name. sortName is the entry's key within its parent (see SortName):
// DeleteDirentKey takes it to remove an entry that does not decode.
func (x *Txn) ScanAllDirents(fn func(parent uint64, sortName string, d Dirent, err error) error) error {
	return x.scan([]byte{pfxDirent}, nil, false, func(k, v []byte) (bool, error) {
		if len(k) < 9 {
			return true, fn(0, "", Dirent{}, errCorrupt)
		}
		parent, sortName := beUint64(k[1:9]), string(k[9:])
		d, err := decodeDirent(strings.TrimSuffix(sortName, "/"), v)
		return true, fn(parent, sortName, d, err)
	})
}

// DeleteDirentKey removes the entry stored under sortName in parent.
func (x *Txn) DeleteDirentKey(parent uint64, sortName string) error {
	return x.del(direntKey(parent, sortName))
}

// ScanAllExtents calls fn for every extent of every file, by inode then
// file offset.
func (x *Txn) ScanAllExtents(fn func(ino uint64, e Extent, err error) error) error {
	return x.scan([]byte{pfxExtent}, nil, false, func(k, v []byte) (bool, error) {
		if len(k) != 17 {
			return true, fn(0, Extent{}, errCorrupt)
		}
		e, err := decodeExtentKV(k, v)
		return true, fn(beUint64(k[1:9]), e, err)
	})
}

func decodeExtentKV(k, v []byte) (Extent, error) {
	d := dec{b: v}
	e := Extent{Off: beUint64(k[9:17]), Len: d.uv(), Blob: d.uv(), BlobOff: d.uv()}
	return e, d.done("extent")
}

// ScanContents calls fn with the length of every file's inline content.
func (x *Txn) ScanContents(fn func(ino uint64, n int) error) error {
	return x.scan([]byte{pfxContent}, nil, false, func(k, v []byte) (bool, error) {
		if len(k) != 9 {
			return true, nil
		}
		return true, fn(beUint64(k[1:]), len(v))
	})
}

// ScanXattrNames calls fn for every extended attribute of every inode.
func (x *Txn) ScanXattrNames(fn func(ino uint64, name string) error) error {
	return x.scan([]byte{pfxXattr}, nil, true, func(k, _ []byte) (bool, error) {
		if len(k) < 9 {
			return true, nil
		}
		return true, fn(beUint64(k[1:9]), string(k[9:]))
	})
}

// ScanAllUploads calls fn for every multipart upload of every bucket.
func (x *Txn) ScanAllUploads(fn func(u Upload, err error) error) error {
	return x.scan([]byte{pfxUpload}, nil, false, func(k, v []byte) (bool, error) {
		u, err := decodeUpload(k, v)
		return true, fn(u, err)
	})
}

// DeleteUploadRecord removes only the upload record itself; its parts are
// the caller's (see DeletePart).
func (x *Txn) DeleteUploadRecord(bucket, objKey, uploadID string) error {
	return x.del(uploadKey(bucket, objKey, uploadID))
}

// ScanAllParts calls fn for every part of every upload, by upload id then
// part number, whether or not the upload record exists.
func (x *Txn) ScanAllParts(fn func(uploadID string, p Part, err error) error) error {
	return x.scan([]byte{pfxPart}, nil, false, func(k, v []byte) (bool, error) {
		i := bytes.IndexByte(k[1:], 0)
		if i < 0 || len(k) != 1+i+1+4 {
			return true, fn("", Part{}, errCorrupt)
		}
		p, err := decodePart(k, v)
		return true, fn(string(k[1:1+i]), p, err)
	})
}

// DeletePart removes one part record.
func (x *Txn) DeletePart(uploadID string, number int) error {
	return x.del(partKey(uploadID, number))
}

// UnmarkOrphan drops the mark MarkOrphan set.
func (x *Txn) UnmarkOrphan(ino uint64) error { return x.del(key(pfxOrphan, ino)) }

// BlobRef is one record naming a blob: an extent of file Ino, or an
// extent of part Part of multipart upload UploadID.
type BlobRef struct {
	Blob     uint64
	Ino      uint64
	UploadID string
	Part     int
	// Cursor is the key of the record: passed to BlobRefsAfter, it
	// resumes a walk just after this record.
	Cursor []byte
}

// BlobRefsAfter visits up to limit records naming blobs (parts first, then
// file extents, in key order) whose key sorts after cursor (nil: from the
// start), calling fn once per blob named. It returns the cursor to pass
// next time, or nil when the walk reached the end. A background job that
// stores the cursor between calls walks every blob the metadata names
// across restarts; records added behind the cursor are found by the next
// walk. Records that do not decode are skipped (fsck reports them).
func (x *Txn) BlobRefsAfter(cursor []byte, limit int, fn func(BlobRef) error) ([]byte, error) {
	visited := 0
	var last []byte
	for _, pfx := range []byte{pfxPart, pfxExtent} {
		var from []byte
		if len(cursor) > 0 {
			switch {
			case cursor[0] > pfx:
				continue
			case cursor[0] == pfx:
				// The smallest key greater than the cursor.
				from = append(bytes.Clone(cursor), 0)
			}
		}
		err := x.scan([]byte{pfx}, from, false, func(k, v []byte) (bool, error) {
			if visited >= limit {
				return false, nil
			}
			visited++
			last = k
			if pfx == pfxExtent {
				if len(k) != 17 {
					return true, nil
				}
				e, err := decodeExtentKV(k, v)
				if err != nil {
					return true, nil
				}
				return true, fn(BlobRef{Blob: e.Blob, Ino: beUint64(k[1:9]), Cursor: k})
			}
			i := bytes.IndexByte(k[1:], 0)
			p, err := decodePart(k, v)
			if i < 0 || err != nil {
				return true, nil
			}
			for _, e := range p.Extents {
				if err := fn(BlobRef{Blob: e.Blob, UploadID: string(k[1 : 1+i]), Part: p.Number, Cursor: k}); err != nil {
					return false, err
				}
			}
			return true, nil
		})
		if err != nil {
			return nil, err
		}
		if visited >= limit {
			return last, nil
		}
	}
	return nil, nil
}

// StillNamed reports whether the record r came from still names its blob:
// a background job that found a blob damaged or missing checks this
// before reporting it, since the blob may just have been freed.
func (x *Txn) StillNamed(r BlobRef) (bool, error) {
	var ext []Extent
	if r.UploadID != "" {
		p, err := x.Part(r.UploadID, r.Part)
		if err == ErrNotFound {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		ext = p.Extents
	} else {
		var err error
		if ext, err = x.Extents(r.Ino); err != nil {
			return false, err
		}
	}
	for _, e := range ext {
		if e.Blob == r.Blob {
			return true, nil
		}
	}
	return false, nil
}

// DeletePartsOf removes every part record of an upload without decoding
// them (some may not decode).
func (x *Txn) DeletePartsOf(uploadID string) error {
	return x.delPrefix(append(append([]byte{pfxPart}, uploadID...), 0))
}

// DirentAt reads the entry stored under sortName in parent.
func (x *Txn) DirentAt(parent uint64, sortName string) (Dirent, error) {
	v, err := x.get(direntKey(parent, sortName))
	if err != nil {
		return Dirent{}, err
	}
	return decodeDirent(strings.TrimSuffix(sortName, "/"), v)
}
