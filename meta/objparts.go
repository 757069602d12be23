package meta

// ObjectPart is one part of a completed multipart object, kept with the
// object so S3 can answer GetObjectAttributes' part list and GET
// ?partNumber=. The parts' data is the object's extents, in order.
type ObjectPart struct {
	Number int // as uploaded; the parts of an object need not be consecutive
	Size   uint64
	// Checksums of the part's bytes by lower-case algorithm name (base64),
	// those of the object's checksum algorithm.
	Checksums map[string]string
}

const objectPartsVersion = 1

// maxObjectParts bounds what a corrupt record can make a reader allocate:
// S3 allows 10,000 parts.
const maxObjectParts = 10000

func encodeObjectParts(parts []ObjectPart) []byte {
	e := enc{b: make([]byte, 0, 1+len(parts)*8)}
	e.u8(objectPartsVersion)
	e.uv(uint64(len(parts)))
	for _, p := range parts {
		e.uv(uint64(p.Number))
		e.uv(p.Size)
		e.checksums(p.Checksums)
	}
	return e.b
}

func decodeObjectParts(b []byte) ([]ObjectPart, error) {
	d := dec{b: b}
	if d.u8() != objectPartsVersion {
		d.fail()
	}
	n := d.uv()
	if n > maxObjectParts {
		d.fail()
	}
	var parts []ObjectPart
	if d.err == nil {
		parts = make([]ObjectPart, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		p := ObjectPart{Number: int(d.uv()), Size: d.uv()}
		p.Checksums = d.checksums()
		parts = append(parts, p)
	}
	return parts, d.done("object parts")
}

// ObjectParts returns the part layout of inode ino, nil if it has none
// (not a completed multipart object, or rewritten since).
func (x *Txn) ObjectParts(ino uint64) ([]ObjectPart, error) {
	v, err := x.get(key(pfxObjectParts, ino))
	if err == ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeObjectParts(v)
}

// PutObjectParts records the part layout of inode ino.
func (x *Txn) PutObjectParts(ino uint64, parts []ObjectPart) error {
	return x.set(key(pfxObjectParts, ino), encodeObjectParts(parts))
}

// DeleteObjectParts forgets the part layout of inode ino (its content
// changed); having none is no error. It looks first, so that the commits
// of files that never had one write nothing more.
func (x *Txn) DeleteObjectParts(ino uint64) error {
	k := key(pfxObjectParts, ino)
	switch _, err := x.get(k); err {
	case ErrNotFound:
		return nil
	case nil:
		return x.del(k)
	default:
		return err
	}
}
