package objstore

import (
	"context"
	"encoding/hex"
	"io"
	"strings"
)

// CopyObject copies the bytes of one object to another key, taking the
// metadata from the source or from opts (ReplaceMeta). Each blob belongs to
// one inode, so the bytes are copied rather than shared.
func (s *Store) CopyObject(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts CopyOptions) (ObjectInfo, error) {
	src, err := s.OpenObject(ctx, srcBucket, srcKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer src.Close()
	info := src.Info()
	put := PutOptions{Owner: opts.Owner, ContentType: info.ContentType, Meta: info.Meta,
		Headers: info.Headers, Tags: info.Tags, IfMatch: opts.IfMatch, IfNoneMatchStar: opts.IfNoneMatchStar}
	if opts.ReplaceMeta {
		put.ContentType, put.Meta, put.Headers = opts.ContentType, opts.Meta, opts.Headers
	}
	if opts.ReplaceTags {
		put.Tags = opts.Tags
	}
	if _, err := objectXattrs(put.Meta, put.Headers, put.Tags, nil); err != nil {
		return ObjectInfo{}, err
	}
	segs, isDir, err := splitKey(dstKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	var body io.Reader = io.NewSectionReader(src, 0, info.Size)
	if isDir {
		return s.putDirMarker(ctx, dstBucket, dstKey, segs, body, put)
	}
	put.Checksums, err = copyChecksums(info.Checksums, opts.ChecksumAlgorithm, &body)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := s.checkBucket(dstBucket); err != nil {
		return ObjectInfo{}, err
	}
	in, err := s.ingest(ctx, body, info.Size, true)
	if err != nil {
		return ObjectInfo{}, err
	}
	// The hashes of copyChecksums have seen the whole body now.
	attrs, err := objectXattrs(put.Meta, put.Headers, put.Tags, put.Checksums)
	if err != nil {
		s.drop(in)
		return ObjectInfo{}, err
	}
	return s.commitObject(ctx, dstBucket, dstKey, segs, in, hex.EncodeToString(in.md5), put, attrs)
}

// copyChecksums returns the checksums of a copy: those of the source that
// hold for the copied bytes as they are, and those computed over the bytes
// as *body streams (the map's values for them are filled at its EOF). alg,
// when set, is the only algorithm the copy carries.
func copyChecksums(source map[string]string, alg string, body *io.Reader) (map[string]string, error) {
	out := map[string]string{}
	var compute []string
	if alg != "" {
		compute = []string{alg}
	} else {
		for a, v := range source {
			// A composite checksum describes parts the copy does not
			// have; a full-object one stays true.
			if strings.Contains(v, "-") {
				compute = append(compute, a)
			} else {
				out[a] = v
			}
		}
	}
	if len(compute) == 0 {
		return out, nil
	}
	r, err := ChecksumReader(*body, compute, out)
	if err != nil {
		return nil, err
	}
	*body = r
	return out, nil
}
