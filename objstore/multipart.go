package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/shallot-storage/shallot/meta"
)

const maxPartNumber = 10000

// CreateMultipartUpload starts an upload and returns its id.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	if _, isDir, err := splitKey(key); err != nil {
		return "", err
	} else if isDir {
		return "", fmt.Errorf("multipart upload to directory key %q: %w", key, ErrInvalidName)
	}
	attrs, err := objectXattrs(opts.Meta, opts.Headers, opts.Tags, opts.Checksums)
	if err != nil {
		return "", err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("upload id: %w", err)
	}
	u := meta.Upload{Bucket: bucket, Key: key, UploadID: hex.EncodeToString(raw[:]), Initiated: s.now(),
		Uid: opts.Owner.Uid, Gid: opts.Owner.Gid, ContentType: opts.ContentType, Xattrs: attrs}
	err = s.db.Update(func(x *meta.Txn) error {
		if _, err := resolveBucket(x, bucket); err != nil {
			return err
		}
		return x.PutUpload(&u)
	})
	return u.UploadID, err
}

// upload reads an upload record, mapping absence to ErrNoSuchUpload.
func upload(x *meta.Txn, bucket, key, id string) (meta.Upload, error) {
	if _, err := resolveBucket(x, bucket); err != nil {
		return meta.Upload{}, err
	}
	u, err := x.Upload(bucket, key, id)
	if err == meta.ErrNotFound {
		return u, fmt.Errorf("upload %q of %s/%s: %w", id, bucket, key, ErrNoSuchUpload)
	}
	return u, err
}

// UploadPart stores one part; uploading a number again replaces the part.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, number int, r io.Reader, size int64, contentMD5 []byte) (PartInfo, error) {
	if number < 1 || number > maxPartNumber {
		return PartInfo{}, fmt.Errorf("part number %d: %w", number, ErrInvalid)
	}
	if err := s.db.View(func(x *meta.Txn) error { _, err := upload(x, bucket, key, uploadID); return err }); err != nil {
		return PartInfo{}, err
	}
	in, err := s.ingest(ctx, r, size, false)
	if err != nil {
		return PartInfo{}, err
	}
	if contentMD5 != nil && !bytes.Equal(contentMD5, in.md5) {
		s.drop(in)
		return PartInfo{}, fmt.Errorf("part %d: %w", number, ErrBadDigest)
	}
	p := meta.Part{Number: number, Size: in.size, ETag: hex.EncodeToString(in.md5), Mtime: s.now(), Extents: in.extents}
	var garbage []uint64
	err = s.db.Update(func(x *meta.Txn) error {
		garbage = nil
		if _, err := upload(x, bucket, key, uploadID); err != nil {
			return err
		}
		if old, err := x.Part(uploadID, number); err == nil {
			garbage = unreferenced(old.Extents, nil)
		} else if err != meta.ErrNotFound {
			return err
		}
		return x.PutPart(uploadID, &p)
	})
	if err != nil {
		s.drop(in)
		return PartInfo{}, err
	}
	s.deleteBlobs(garbage)
	return PartInfo{Number: number, Size: int64(p.Size), ETag: p.ETag, LastModified: ns(p.Mtime)}, nil
}

// CompleteMultipartUpload joins the named parts into the object without
// copying data: the object's extents are the parts' extents, shifted.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, error) {
	segs, _, err := splitKey(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return ObjectInfo{}, fmt.Errorf("complete with no parts: %w", ErrInvalidPart)
	}
	var u meta.Upload
	var stored []meta.Part
	err = s.db.View(func(x *meta.Txn) (err error) {
		if u, err = upload(x, bucket, key, uploadID); err != nil {
			return err
		}
		stored, err = x.Parts(uploadID, 0, 0)
		return err
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	byNum := make(map[int]meta.Part, len(stored))
	for _, p := range stored {
		byNum[p.Number] = p
	}
	in := &ingested{}
	sums := md5.New()
	used := map[int]bool{}
	for i, cp := range parts {
		if i > 0 && cp.Number <= parts[i-1].Number {
			return ObjectInfo{}, fmt.Errorf("part %d after %d: %w", cp.Number, parts[i-1].Number, ErrPartOrder)
		}
		p, ok := byNum[cp.Number]
		if !ok || !strings.EqualFold(strings.Trim(cp.ETag, `"`), p.ETag) {
			return ObjectInfo{}, fmt.Errorf("part %d: %w", cp.Number, ErrInvalidPart)
		}
		if i < len(parts)-1 && int64(p.Size) < s.opts.MinPartSize {
			return ObjectInfo{}, fmt.Errorf("part %d of %d bytes: %w", cp.Number, p.Size, ErrEntityTooSmall)
		}
		raw, _ := hex.DecodeString(p.ETag)
		sums.Write(raw)
		in.extents = append(in.extents, shiftExtents(p.Extents, in.size)...)
		in.size += p.Size
		used[cp.Number] = true
	}
	var garbage []uint64
	for _, p := range stored {
		if !used[p.Number] {
			garbage = append(garbage, unreferenced(p.Extents, nil)...)
		}
	}
	in.upload = &u
	etag := fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(parts))
	opts := PutOptions{Owner: Owner{Uid: u.Uid, Gid: u.Gid}, ContentType: u.ContentType}
	info, err := s.commitObject(ctx, bucket, key, segs, in, etag, opts, u.Xattrs)
	if err != nil {
		return ObjectInfo{}, err
	}
	s.deleteBlobs(garbage)
	return info, nil
}

// AbortMultipartUpload drops an upload and frees its parts' data.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	var garbage []uint64
	err := s.db.Update(func(x *meta.Txn) error {
		garbage = nil
		u, err := upload(x, bucket, key, uploadID)
		if err != nil {
			return err
		}
		parts, err := x.Parts(uploadID, 0, 0)
		if err != nil {
			return err
		}
		for _, p := range parts {
			garbage = append(garbage, unreferenced(p.Extents, nil)...)
		}
		return x.DeleteUpload(&u)
	})
	if err != nil {
		return err
	}
	s.deleteBlobs(garbage)
	return nil
}

func uploadOf(u *meta.Upload) Upload {
	return Upload{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Initiated: ns(u.Initiated),
		Owner: Owner{Uid: u.Uid, Gid: u.Gid}}
}

// ListParts returns up to limit parts numbered above after.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, after, limit int) (ListPartsResult, error) {
	var res ListPartsResult
	err := s.db.View(func(x *meta.Txn) error {
		u, err := upload(x, bucket, key, uploadID)
		if err != nil {
			return err
		}
		res = ListPartsResult{Upload: uploadOf(&u)}
		if limit <= 0 {
			return nil
		}
		parts, err := x.Parts(uploadID, after, limit+1)
		if err != nil {
			return err
		}
		if len(parts) > limit {
			res.Truncated, parts = true, parts[:limit]
		}
		for _, p := range parts {
			res.Parts = append(res.Parts, PartInfo{Number: p.Number, Size: int64(p.Size), ETag: p.ETag, LastModified: ns(p.Mtime)})
			res.NextMarker = p.Number
		}
		return nil
	})
	return res, err
}

// ListMultipartUploads lists uploads in (key, upload id) order after the
// markers.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket string, q UploadQuery) (ListUploadsResult, error) {
	var res ListUploadsResult
	err := s.db.View(func(x *meta.Txn) error {
		res = ListUploadsResult{}
		if _, err := resolveBucket(x, bucket); err != nil {
			return err
		}
		if q.Limit <= 0 {
			return nil
		}
		return x.Uploads(bucket, q.Prefix, q.KeyMarker, q.UploadIDMarker, func(u meta.Upload) (bool, error) {
			if u.Key < q.KeyMarker || u.Key == q.KeyMarker && (q.UploadIDMarker == "" || u.UploadID <= q.UploadIDMarker) {
				return true, nil
			}
			if len(res.Uploads) == q.Limit {
				res.Truncated = true
				return false, nil
			}
			res.Uploads = append(res.Uploads, uploadOf(&u))
			res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.UploadID
			return true, nil
		})
	})
	return res, err
}
