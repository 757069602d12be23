package meta

import (
	"bytes"
	"encoding/binary"
)

// Upload is an in-progress multipart upload and what the object will carry.
type Upload struct {
	Bucket, Key, UploadID string
	Initiated             int64
	Uid, Gid              uint32
	ContentType           string
	// Xattrs are the extended attributes the object gets at completion
	// (user metadata, stored headers, tags), by full attribute name.
	Xattrs map[string]string
	// ChecksumAlgorithm, when set, is the algorithm every part carries a
	// checksum of (lower case: "crc32", "sha256"...), and ChecksumType how
	// the object's checksum is made of them ("COMPOSITE" or "FULL_OBJECT").
	ChecksumAlgorithm, ChecksumType string
}

// Part is one uploaded part; its data lives in blobs the upload owns.
type Part struct {
	Number  int
	Size    uint64
	ETag    string // hex MD5
	Mtime   int64
	Extents []Extent // offsets relative to the part
	// Checksums are the verified checksums of the part's bytes, by
	// lower-case algorithm name (base64 values).
	Checksums map[string]string
}

// Version 2 of both records adds the checksum fields; version 1 records
// (written before) decode with none.
const uploadVersion, partVersion = 2, 2

func (u *Upload) encode() []byte {
	var e enc
	e.u8(uploadVersion)
	e.sv(u.Initiated)
	e.uv(uint64(u.Uid))
	e.uv(uint64(u.Gid))
	e.str(u.ContentType)
	e.uv(uint64(len(u.Xattrs)))
	for k, v := range u.Xattrs {
		e.str(k)
		e.str(v)
	}
	e.str(u.ChecksumAlgorithm)
	e.str(u.ChecksumType)
	return e.b
}

func decodeUpload(k, v []byte) (Upload, error) {
	parts := bytes.SplitN(k[1:], []byte{0}, 3)
	if len(parts) != 3 {
		return Upload{}, errCorrupt
	}
	u := Upload{Bucket: string(parts[0]), Key: string(parts[1]), UploadID: string(parts[2])}
	d := dec{b: v}
	version := d.u8()
	if version != 1 && version != uploadVersion {
		d.fail()
	}
	u.Initiated = d.sv()
	u.Uid, u.Gid = d.u32(), d.u32()
	u.ContentType = d.str()
	n := d.uv()
	if n > 1<<16 {
		d.fail()
	}
	if n > 0 && d.err == nil {
		u.Xattrs = make(map[string]string, n)
		for i := uint64(0); i < n; i++ {
			k := d.str()
			u.Xattrs[k] = d.str()
		}
	}
	if version >= 2 {
		u.ChecksumAlgorithm, u.ChecksumType = d.str(), d.str()
	}
	return u, d.done("upload")
}

// Upload reads an upload record.
func (x *Txn) Upload(bucket, objKey, uploadID string) (Upload, error) {
	k := uploadKey(bucket, objKey, uploadID)
	v, err := x.get(k)
	if err != nil {
		return Upload{}, err
	}
	return decodeUpload(k, v)
}

// PutUpload writes an upload record.
func (x *Txn) PutUpload(u *Upload) error {
	return x.set(uploadKey(u.Bucket, u.Key, u.UploadID), u.encode())
}

// DeleteUpload removes the upload record and all its part records.
func (x *Txn) DeleteUpload(u *Upload) error {
	parts, err := x.Parts(u.UploadID, 0, 0)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := x.del(partKey(u.UploadID, p.Number)); err != nil {
			return err
		}
	}
	return x.del(uploadKey(u.Bucket, u.Key, u.UploadID))
}

// Uploads calls fn for the uploads of bucket whose key starts with prefix,
// from (key, uploadID) on, in that order, until fn returns false.
func (x *Txn) Uploads(bucket, prefix, fromKey, fromID string, fn func(Upload) (bool, error)) error {
	p := append(append(append([]byte{pfxUpload}, bucket...), 0), prefix...)
	from := uploadKey(bucket, fromKey, fromID)
	return x.scan(p, from, false, func(k, v []byte) (bool, error) {
		u, err := decodeUpload(k, v)
		if err != nil {
			return false, err
		}
		return fn(u)
	})
}

func (p *Part) encode() []byte {
	var e enc
	e.u8(partVersion)
	e.uv(p.Size)
	e.str(p.ETag)
	e.sv(p.Mtime)
	e.uv(uint64(len(p.Extents)))
	for _, x := range p.Extents {
		e.uv(x.Off)
		e.uv(x.Len)
		e.uv(x.Blob)
		e.uv(x.BlobOff)
	}
	e.checksums(p.Checksums)
	return e.b
}

func decodePart(k, v []byte) (Part, error) {
	if len(k) < 4 {
		return Part{}, errCorrupt
	}
	p := Part{Number: int(binary.BigEndian.Uint32(k[len(k)-4:]))}
	d := dec{b: v}
	version := d.u8()
	if version != 1 && version != partVersion {
		d.fail()
	}
	p.Size = d.uv()
	p.ETag = d.str()
	p.Mtime = d.sv()
	n := d.uv()
	if n > uint64(len(v)) {
		d.fail()
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		p.Extents = append(p.Extents, Extent{Off: d.uv(), Len: d.uv(), Blob: d.uv(), BlobOff: d.uv()})
	}
	if version >= 2 {
		p.Checksums = d.checksums()
	}
	return p, d.done("part")
}

// Part reads one part.
func (x *Txn) Part(uploadID string, number int) (Part, error) {
	k := partKey(uploadID, number)
	v, err := x.get(k)
	if err != nil {
		return Part{}, err
	}
	return decodePart(k, v)
}

// PutPart writes one part, replacing an earlier upload of the same number.
func (x *Txn) PutPart(uploadID string, p *Part) error {
	return x.set(partKey(uploadID, p.Number), p.encode())
}

// Parts lists parts numbered above after, up to limit (0: all).
func (x *Txn) Parts(uploadID string, after, limit int) ([]Part, error) {
	var out []Part
	prefix := append(append([]byte{pfxPart}, uploadID...), 0)
	err := x.scan(prefix, partKey(uploadID, after+1), false, func(k, v []byte) (bool, error) {
		p, err := decodePart(k, v)
		if err != nil {
			return false, err
		}
		out = append(out, p)
		return limit == 0 || len(out) < limit, nil
	})
	return out, err
}
