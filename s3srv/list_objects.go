package s3srv

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// maxListKeys is both the default and the cap of max-keys, as in AWS.
const maxListKeys = 1000

// emptyETag is the MD5 of nothing: the ETag of a directory key.
const emptyETag = "d41d8cd98f00b204e9800998ecf8427e"

// listParams are the arguments shared by the listing calls.
type listParams struct {
	prefix    string
	delimiter string
	urlEncode bool
	maxKeys   int
}

func parseListParams(q url.Values, maxName string) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: maxListKeys}
	switch q.Get("encoding-type") {
	case "":
	case "url":
		p.urlEncode = true
	default:
		return p, errInvalidArgument.with("Invalid Encoding Method specified in Request")
	}
	if v := q.Get(maxName); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, errInvalidArgument.with("Provided %s not an integer or within integer range", maxName)
		}
		p.maxKeys = min(n, maxListKeys)
	}
	return p, nil
}

// enc applies encoding-type=url to a key or prefix of the response.
func (p listParams) enc(s string) string {
	if p.urlEncode {
		return uriEncode(s, true)
	}
	return s
}

func (p listParams) prefixes(cps []string) []xmlPrefix {
	out := make([]xmlPrefix, len(cps))
	for i, cp := range cps {
		out[i] = xmlPrefix{Prefix: p.enc(cp)}
	}
	return out
}

// objectKey returns the S3 key of a listed object: a directory is the key
// with a trailing "/".
func objectKey(o objstore.ObjectInfo) string {
	if o.IsDir && !strings.HasSuffix(o.Key, "/") {
		return o.Key + "/"
	}
	return o.Key
}

func objectETag(o objstore.ObjectInfo) string {
	if o.ETag == "" && o.IsDir {
		return quoteETag(emptyETag)
	}
	return quoteETag(o.ETag)
}

func (p listParams) contents(objs []objstore.ObjectInfo, withOwner bool) []xmlObject {
	out := make([]xmlObject, len(objs))
	for i, o := range objs {
		out[i] = xmlObject{
			Key:          p.enc(objectKey(o)),
			LastModified: xmlTime(o.LastModified),
			ETag:         objectETag(o),
			Size:         o.Size,
			StorageClass: storageClass(o),
		}
		if withOwner {
			out[i].Owner = ownerXML(o.Owner)
		}
	}
	return out
}

// listObjectsV1 is ListObjects (marker paging).
func (s *Server) listObjectsV1(req *request) (*response, error) {
	p, err := parseListParams(req.query, "max-keys")
	if err != nil {
		return nil, err
	}
	marker := req.query.Get("marker")
	res, err := s.store.ListObjects(req.ctx, req.bucket, objstore.ListQuery{
		Prefix: p.prefix, Delimiter: p.delimiter, After: marker, Limit: p.maxKeys,
	})
	if err != nil {
		return nil, err
	}
	doc := xmlListBucketResult{
		Name:           req.bucket,
		Prefix:         p.enc(p.prefix),
		Marker:         p.enc(marker),
		MaxKeys:        p.maxKeys,
		Delimiter:      p.enc(p.delimiter),
		IsTruncated:    res.Truncated,
		Contents:       p.contents(res.Objects, true),
		CommonPrefixes: p.prefixes(res.CommonPrefixes),
	}
	if p.urlEncode {
		doc.EncodingType = "url"
	}
	// AWS sends NextMarker only with a delimiter; clients without one
	// use the last key, which is the same value.
	if res.Truncated {
		doc.NextMarker = p.enc(res.NextAfter)
	}
	return &response{xml: doc}, nil
}

// Continuation tokens are opaque to clients: base64 of the last key or
// common prefix returned.
func encodeContinuationToken(after string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(after))
}

func decodeContinuationToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", errInvalidArgument.with("The continuation token provided is incorrect")
	}
	return string(b), nil
}

// listObjectsV2 is ListObjectsV2 (continuation-token paging).
func (s *Server) listObjectsV2(req *request) (*response, error) {
	q := req.query
	p, err := parseListParams(q, "max-keys")
	if err != nil {
		return nil, err
	}
	token, startAfter := q.Get("continuation-token"), q.Get("start-after")
	after := startAfter
	if q.Has("continuation-token") {
		if after, err = decodeContinuationToken(token); err != nil {
			return nil, err
		}
	}
	res, err := s.store.ListObjects(req.ctx, req.bucket, objstore.ListQuery{
		Prefix: p.prefix, Delimiter: p.delimiter, After: after, Limit: p.maxKeys,
	})
	if err != nil {
		return nil, err
	}
	doc := xmlListBucketResultV2{
		Name:              req.bucket,
		Prefix:            p.enc(p.prefix),
		ContinuationToken: token,
		StartAfter:        p.enc(startAfter),
		KeyCount:          len(res.Objects) + len(res.CommonPrefixes),
		MaxKeys:           p.maxKeys,
		Delimiter:         p.enc(p.delimiter),
		IsTruncated:       res.Truncated,
		Contents:          p.contents(res.Objects, q.Get("fetch-owner") == "true"),
		CommonPrefixes:    p.prefixes(res.CommonPrefixes),
	}
	if p.urlEncode {
		doc.EncodingType = "url"
	}
	if res.Truncated {
		doc.NextContinuationToken = encodeContinuationToken(res.NextAfter)
	}
	return &response{xml: doc}, nil
}

// listObjectVersions is ListObjectVersions for a bucket without
// versioning: every object is its own latest and only version, "null".
func (s *Server) listObjectVersions(req *request) (*response, error) {
	q := req.query
	p, err := parseListParams(q, "max-keys")
	if err != nil {
		return nil, err
	}
	keyMarker := q.Get("key-marker")
	res, err := s.store.ListObjects(req.ctx, req.bucket, objstore.ListQuery{
		Prefix: p.prefix, Delimiter: p.delimiter, After: keyMarker, Limit: p.maxKeys,
	})
	if err != nil {
		return nil, err
	}
	doc := xmlListVersionsResult{
		Name:            req.bucket,
		Prefix:          p.enc(p.prefix),
		KeyMarker:       p.enc(keyMarker),
		VersionIDMarker: q.Get("version-id-marker"),
		MaxKeys:         p.maxKeys,
		Delimiter:       p.enc(p.delimiter),
		IsTruncated:     res.Truncated,
		CommonPrefixes:  p.prefixes(res.CommonPrefixes),
	}
	if p.urlEncode {
		doc.EncodingType = "url"
	}
	for _, o := range res.Objects {
		doc.Versions = append(doc.Versions, xmlVersion{
			Key:          p.enc(objectKey(o)),
			VersionID:    "null",
			IsLatest:     true,
			LastModified: xmlTime(o.LastModified),
			ETag:         objectETag(o),
			Size:         o.Size,
			Owner:        ownerXML(o.Owner),
			StorageClass: storageClass(o),
		})
	}
	if res.Truncated {
		doc.NextKeyMarker = p.enc(res.NextAfter)
		doc.NextVersionIDMarker = "null"
	}
	return &response{xml: doc}, nil
}
