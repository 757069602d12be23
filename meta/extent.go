package meta

// Extent maps Len bytes of a file at Off to the same number of bytes of an
// immutable blob at BlobOff.
type Extent struct {
	Off     uint64
	Len     uint64
	Blob    uint64
	BlobOff uint64
}

// End is the file offset just past the extent.
func (e Extent) End() uint64 { return e.Off + e.Len }

func encodeExtent(e Extent) []byte {
	w := enc{b: make([]byte, 0, 24)}
	w.uv(e.Len)
	w.uv(e.Blob)
	w.uv(e.BlobOff)
	return w.b
}

// Extents returns every extent of ino in file-offset order.
func (x *Txn) Extents(ino uint64) ([]Extent, error) {
	var out []Extent
	prefix := key(pfxExtent, ino)
	err := x.scan(prefix, nil, false, func(k, v []byte) (bool, error) {
		if len(k) != len(prefix)+8 {
			return false, errCorrupt
		}
		d := dec{b: v}
		e := Extent{Off: beUint64(k[len(prefix):]), Len: d.uv(), Blob: d.uv(), BlobOff: d.uv()}
		if err := d.done("extent"); err != nil {
			return false, err
		}
		out = append(out, e)
		return true, nil
	})
	return out, err
}

// Extent returns the extent of ino starting at off, or ErrNotFound.
func (x *Txn) Extent(ino, off uint64) (Extent, error) {
	v, err := x.get(extentKey(ino, off))
	if err != nil {
		return Extent{}, err
	}
	d := dec{b: v}
	e := Extent{Off: off, Len: d.uv(), Blob: d.uv(), BlobOff: d.uv()}
	return e, d.done("extent")
}

// PutExtent adds or replaces the extent starting at e.Off.
func (x *Txn) PutExtent(ino uint64, e Extent) error {
	return x.set(extentKey(ino, e.Off), encodeExtent(e))
}

// DeleteExtent removes the extent starting at off.
func (x *Txn) DeleteExtent(ino, off uint64) error { return x.del(extentKey(ino, off)) }

// BlobRefs calls fn with the blob of every extent of every file and every
// part of every multipart upload: the blobs the metadata names.
func (x *Txn) BlobRefs(fn func(blob uint64) error) error {
	err := x.scan([]byte{pfxExtent}, nil, false, func(_, v []byte) (bool, error) {
		d := dec{b: v}
		d.uv()
		b := d.uv()
		if d.err != nil {
			return false, errCorrupt
		}
		return true, fn(b)
	})
	if err != nil {
		return err
	}
	return x.scan([]byte{pfxPart}, nil, false, func(k, v []byte) (bool, error) {
		p, err := decodePart(k, v)
		if err != nil {
			return false, err
		}
		for _, e := range p.Extents {
			if err := fn(e.Blob); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}
