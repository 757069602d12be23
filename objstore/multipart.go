package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
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
	alg, typ := opts.ChecksumAlgorithm, opts.ChecksumType
	if alg != "" {
		a := ChecksumAlgorithmNamed(alg)
		if a == nil {
			return "", fmt.Errorf("checksum algorithm %q: %w", alg, ErrInvalid)
		}
		if typ == "" {
			typ = a.DefaultType()
		}
		if !a.Supports(typ) {
			return "", fmt.Errorf("%s checksum with %s: %w", typ, alg, ErrNotSupported)
		}
	} else if typ != "" {
		return "", fmt.Errorf("checksum type %s without an algorithm: %w", typ, ErrInvalid)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("upload id: %w", err)
	}
	u := meta.Upload{Bucket: bucket, Key: key, UploadID: hex.EncodeToString(raw[:]), Initiated: s.now(),
		Uid: opts.Owner.Uid, Gid: opts.Owner.Gid, ContentType: opts.ContentType, Xattrs: attrs,
		ChecksumAlgorithm: alg, ChecksumType: typ}
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
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, number int, r io.Reader, size int64, opts PartOptions) (PartInfo, error) {
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
	if opts.ContentMD5 != nil && !bytes.Equal(opts.ContentMD5, in.md5) {
		s.drop(in)
		return PartInfo{}, fmt.Errorf("part %d: %w", number, ErrBadDigest)
	}
	p := meta.Part{Number: number, Size: in.size, ETag: hex.EncodeToString(in.md5), Mtime: s.now(), Extents: in.extents}
	for alg, v := range opts.Checksums {
		setKey(&p.Checksums, alg, v)
	}
	var garbage []uint64
	err = s.db.Update(func(x *meta.Txn) error {
		garbage = nil
		u, err := upload(x, bucket, key, uploadID)
		if err != nil {
			return err
		}
		if alg := u.ChecksumAlgorithm; alg != "" && p.Checksums[alg] == "" {
			return fmt.Errorf("part %d without a %s checksum: %w", number, alg, ErrChecksumRequired)
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
	return partInfo(&p), nil
}

func partInfo(p *meta.Part) PartInfo {
	return PartInfo{Number: p.Number, Size: int64(p.Size), ETag: p.ETag, LastModified: ns(p.Mtime), Checksums: p.Checksums}
}

// errPartsChanged: a part was uploaded again while a completion that
// uses it was being prepared; the completion starts over.
var errPartsChanged = errors.New("parts changed during completion")

// maxCompleteAttempts bounds how often a completion starts over.
const maxCompleteAttempts = 4

// CompleteMultipartUpload joins the named parts into the object without
// copying data: the object's extents are the parts' extents, shifted. The
// object's checksum, when the upload was created with an algorithm, is
// derived from the parts' checksums.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, opts CompleteOptions) (ObjectInfo, error) {
	segs, _, err := splitKey(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return ObjectInfo{}, fmt.Errorf("complete with no parts: %w", ErrInvalidPart)
	}
	for attempt := 1; ; attempt++ {
		info, err := s.completeOnce(ctx, bucket, key, segs, uploadID, parts, opts)
		if !errors.Is(err, errPartsChanged) || attempt == maxCompleteAttempts {
			return info, err
		}
	}
}

func (s *Store) completeOnce(ctx context.Context, bucket, key string, segs []string, uploadID string, parts []CompletePart, opts CompleteOptions) (ObjectInfo, error) {
	var u meta.Upload
	var stored []meta.Part
	err := s.db.View(func(x *meta.Txn) (err error) {
		if u, err = upload(x, bucket, key, uploadID); err != nil {
			return err
		}
		stored, err = x.Parts(uploadID, 0, 0)
		return err
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	if opts.ChecksumType != "" && opts.ChecksumType != u.ChecksumType {
		return ObjectInfo{}, fmt.Errorf("checksum type %s, upload created with %q: %w", opts.ChecksumType, u.ChecksumType, ErrChecksumType)
	}
	byNum := make(map[int]meta.Part, len(stored))
	for _, p := range stored {
		byNum[p.Number] = p
	}
	in := &ingested{upload: &u}
	sums := md5.New()
	var objectSum []partSum
	for i, cp := range parts {
		if i > 0 && cp.Number <= parts[i-1].Number {
			return ObjectInfo{}, fmt.Errorf("part %d after %d: %w", cp.Number, parts[i-1].Number, ErrPartOrder)
		}
		p, ok := byNum[cp.Number]
		if !ok || !strings.EqualFold(strings.Trim(cp.ETag, `"`), p.ETag) {
			return ObjectInfo{}, fmt.Errorf("part %d: %w", cp.Number, ErrInvalidPart)
		}
		for alg, v := range cp.Checksums {
			if p.Checksums[alg] != v {
				return ObjectInfo{}, fmt.Errorf("part %d: %s checksum differs: %w", cp.Number, alg, ErrInvalidPart)
			}
		}
		if i < len(parts)-1 && int64(p.Size) < s.opts.MinPartSize {
			return ObjectInfo{}, fmt.Errorf("part %d of %d bytes: %w", cp.Number, p.Size, ErrEntityTooSmall)
		}
		if alg := u.ChecksumAlgorithm; alg != "" {
			if u.ChecksumType == ChecksumComposite && cp.Checksums[alg] == "" {
				return ObjectInfo{}, fmt.Errorf("part %d listed without its %s checksum: %w", cp.Number, alg, ErrChecksumRequired)
			}
			raw, err := base64.StdEncoding.DecodeString(p.Checksums[alg])
			if err != nil || len(raw) != ChecksumAlgorithmNamed(alg).Size {
				return ObjectInfo{}, fmt.Errorf("part %d: stored %s checksum %q: %w", cp.Number, alg, p.Checksums[alg], ErrChecksumRequired)
			}
			objectSum = append(objectSum, partSum{sum: raw, size: p.Size})
		}
		raw, _ := hex.DecodeString(p.ETag)
		sums.Write(raw)
		in.extents = append(in.extents, shiftExtents(p.Extents, in.size)...)
		in.size += p.Size
		in.parts = append(in.parts, p)
	}
	if opts.ObjectSize != nil && *opts.ObjectSize != int64(in.size) {
		return ObjectInfo{}, fmt.Errorf("parts make %d bytes, %d expected: %w", in.size, *opts.ObjectSize, ErrObjectSize)
	}
	attrs := u.Xattrs
	var checksums map[string]string
	if alg := u.ChecksumAlgorithm; alg != "" {
		v, err := ChecksumAlgorithmNamed(alg).multipartChecksum(u.ChecksumType, objectSum)
		if err != nil {
			return ObjectInfo{}, err
		}
		checksums = map[string]string{alg: v}
		attrs = make(map[string]string, len(u.Xattrs)+1)
		for k, val := range u.Xattrs {
			attrs[k] = val
		}
		attrs[xattrChecksumPrefix+alg] = v
	}
	for alg, want := range opts.Checksums {
		got := checksums[alg]
		if got == "" || want != got && want != strings.SplitN(got, "-", 2)[0] {
			return ObjectInfo{}, fmt.Errorf("object %s checksum %q, parts make %q: %w", alg, want, got, ErrBadDigest)
		}
	}
	etag := fmt.Sprintf("%s-%d", hex.EncodeToString(sums.Sum(nil)), len(parts))
	put := PutOptions{Owner: Owner{Uid: u.Uid, Gid: u.Gid}, ContentType: u.ContentType,
		IfMatch: opts.IfMatch, IfNoneMatchStar: opts.IfNoneMatchStar}
	info, err := s.commitObject(ctx, bucket, key, segs, in, etag, put, attrs)
	if err != nil {
		return ObjectInfo{}, err
	}
	s.deleteBlobs(in.garbage)
	info.Checksums = checksums
	return info, nil
}

// joinUpload, inside the transaction that commits a completed upload,
// checks that the upload and the parts in.parts are still current, frees
// the other parts' data (in.garbage) and drops the upload's records.
func joinUpload(x *meta.Txn, in *ingested) error {
	u := in.upload
	if _, err := upload(x, u.Bucket, u.Key, u.UploadID); err != nil {
		return err
	}
	current, err := x.Parts(u.UploadID, 0, 0)
	if err != nil {
		return err
	}
	used := make(map[int]*meta.Part, len(in.parts))
	for i := range in.parts {
		used[in.parts[i].Number] = &in.parts[i]
	}
	in.garbage = nil
	for _, p := range current {
		want := used[p.Number]
		if want == nil {
			in.garbage = append(in.garbage, unreferenced(p.Extents, nil)...)
			continue
		}
		if p.ETag != want.ETag || !reflect.DeepEqual(p.Extents, want.Extents) {
			return fmt.Errorf("part %d: %w", p.Number, errPartsChanged)
		}
		delete(used, p.Number)
	}
	if len(used) > 0 {
		return fmt.Errorf("%d parts gone: %w", len(used), errPartsChanged)
	}
	return x.DeleteUpload(u)
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
		Owner: Owner{Uid: u.Uid, Gid: u.Gid}, StorageClass: u.Xattrs[xattrStorageClass],
		ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType}
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
			res.Parts = append(res.Parts, partInfo(&p))
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

// partLayout is what a completed upload's object keeps of its parts: their
// numbers, sizes and checksums of the upload's algorithm.
func partLayout(in *ingested) []meta.ObjectPart {
	alg := in.upload.ChecksumAlgorithm
	out := make([]meta.ObjectPart, len(in.parts))
	for i, p := range in.parts {
		out[i] = meta.ObjectPart{Number: p.Number, Size: p.Size}
		if v := p.Checksums[alg]; alg != "" && v != "" {
			out[i].Checksums = map[string]string{alg: v}
		}
	}
	return out
}

func objectParts(parts []meta.ObjectPart) []ObjectPart {
	if parts == nil {
		return nil
	}
	out := make([]ObjectPart, len(parts))
	for i, p := range parts {
		out[i] = ObjectPart{Number: p.Number, Size: int64(p.Size), Checksums: p.Checksums}
	}
	return out
}

// isMultipartETag: a completed upload's ETag is "<md5 of part MD5s>-N".
func isMultipartETag(etag string) bool { return strings.Contains(etag, "-") }
