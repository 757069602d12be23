package objstore

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/shallot-storage/shallot/meta"
)

// An object's S3 attributes besides its bytes live in extended attributes
// of its inode, so the mount shows (and can set) them:
//
//	x-amz-meta-NAME        user.NAME
//	Content-Type           user.s3.content-type (kept in the inode record)
//	SystemHeaders          user.s3.HEADER (e.g. user.s3.cache-control)
//	tags                   user.s3.tagging (URL-encoded, as x-amz-tagging)
//	x-amz-checksum-ALG     user.s3.checksum-ALG (read-only in the mount;
//	                       dropped when the mount changes the content)
const (
	xattrTagging        = "user.s3.tagging"
	xattrChecksumPrefix = "user.s3.checksum-"
	xattrStorageClass   = xattrReserved + "x-amz-storage-class"
)

// SystemHeaders are the HTTP headers S3 stores with an object and returns
// on GET and HEAD.
var SystemHeaders = []string{"cache-control", "content-disposition", "content-encoding",
	"content-language", "expires", "x-amz-storage-class", "x-amz-website-redirect-location"}

func isSystemHeader(h string) bool {
	for _, s := range SystemHeaders {
		if s == h {
			return true
		}
	}
	return false
}

// objectXattrs lists the attributes an object written with these options
// carries, by full attribute name.
func objectXattrs(userMeta, headers, tags, checksums map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range userMeta {
		k = strings.ToLower(k)
		if strings.HasPrefix(xattrUserPrefix+k, xattrReserved) {
			return nil, fmt.Errorf("user metadata name %q is reserved: %w", k, ErrInvalid)
		}
		out[xattrUserPrefix+k] = v
	}
	for k, v := range headers {
		k = strings.ToLower(k)
		if !isSystemHeader(k) {
			return nil, fmt.Errorf("header %q is not stored: %w", k, ErrInvalid)
		}
		out[xattrReserved+k] = v
	}
	if len(tags) > 0 {
		out[xattrTagging] = encodeTags(tags)
	}
	for alg, v := range checksums {
		out[xattrChecksumPrefix+strings.ToLower(alg)] = v
	}
	return out, nil
}

func putXattrs(x *meta.Txn, ino uint64, attrs map[string]string) error {
	for k, v := range attrs {
		if err := x.PutXattr(ino, k, []byte(v)); err != nil {
			return err
		}
	}
	return nil
}

// readObjectAttrs fills the S3 attributes of info from the inode's xattrs.
func readObjectAttrs(x *meta.Txn, ino uint64, info *ObjectInfo) error {
	return x.Xattrs(ino, xattrUserPrefix, func(name string, v []byte) error {
		val := string(v)
		switch {
		case name == xattrTagging:
			tags, err := DecodeTags(val)
			if err == nil {
				info.Tags = tags
			}
		case strings.HasPrefix(name, xattrChecksumPrefix):
			setKey(&info.Checksums, strings.TrimPrefix(name, xattrChecksumPrefix), val)
		case strings.HasPrefix(name, xattrReserved):
			if h := strings.TrimPrefix(name, xattrReserved); isSystemHeader(h) {
				setKey(&info.Headers, h, val)
			}
		default:
			setKey(&info.Meta, strings.TrimPrefix(name, xattrUserPrefix), val)
		}
		return nil
	})
}

func setKey(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
}

// dropDigestsAndParts removes stored checksums and the part layout: the content
// they described changed through the mount.
func dropDigestsAndParts(x *meta.Txn, ino uint64) error {
	if err := x.DeleteObjectParts(ino); err != nil {
		return err
	}
	var names []string
	err := x.Xattrs(ino, xattrChecksumPrefix, func(name string, _ []byte) error {
		names = append(names, name)
		return nil
	})
	for _, n := range names {
		if err == nil {
			err = x.DeleteXattr(ino, n)
		}
	}
	return err
}

func encodeTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(tags[k]))
	}
	return b.String()
}

// DecodeTags parses the x-amz-tagging form ("k1=v1&k2=v2").
func DecodeTags(s string) (map[string]string, error) {
	q, err := url.ParseQuery(s)
	if err != nil {
		return nil, fmt.Errorf("tags %q: %w", s, ErrInvalid)
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		if len(v) != 1 {
			return nil, fmt.Errorf("tag %q given %d times: %w", k, len(v), ErrInvalid)
		}
		out[k] = v[0]
	}
	return out, nil
}
