package objstore

import (
	"context"
	"encoding/hex"
	"io"
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
		Headers: info.Headers, Tags: info.Tags}
	if opts.ReplaceMeta {
		put.ContentType, put.Meta, put.Headers = opts.ContentType, opts.Meta, opts.Headers
	}
	if opts.ReplaceTags {
		put.Tags = opts.Tags
	}
	attrs, err := objectXattrs(put.Meta, put.Headers, put.Tags, nil)
	if err != nil {
		return ObjectInfo{}, err
	}
	segs, isDir, err := splitKey(dstKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	body := io.NewSectionReader(src, 0, info.Size)
	if isDir {
		return s.putDirMarker(ctx, dstBucket, dstKey, segs, body, put)
	}
	if err := s.checkBucket(dstBucket); err != nil {
		return ObjectInfo{}, err
	}
	in, err := s.ingest(ctx, body, info.Size, true)
	if err != nil {
		return ObjectInfo{}, err
	}
	return s.commitObject(ctx, dstBucket, dstKey, segs, in, hex.EncodeToString(in.md5), put, attrs)
}
