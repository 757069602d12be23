package s3srv

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// maxUserMetadata is AWS's limit on the x-amz-meta-* headers of an object
// (names and values, in bytes).
const maxUserMetadata = 2 << 10

var errMetadataTooLarge = newAPIError("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size.")

// putObject is PutObject: the body streams into the store, which commits
// it atomically only if the whole body arrived and verified.
func (s *Server) putObject(req *request) (*response, error) {
	opts, err := putOptions(req)
	if err != nil {
		return nil, err
	}
	if req.body.size < 0 && !strings.Contains(req.r.Header.Get("Content-Encoding"), "aws-chunked") &&
		len(req.r.TransferEncoding) == 0 {
		return nil, errMissingContentLength
	}
	info, err := s.store.PutObject(req.ctx, req.bucket, req.key, req.body, req.body.size, opts)
	if err != nil {
		return nil, req.bodyErr(err)
	}
	resp := &response{}
	resp.set("ETag", quoteETag(info.ETag))
	req.body.setChecksumHeaders(resp)
	return resp, nil
}

// putOptions collects what a PutObject or CreateMultipartUpload says about
// the new object.
func putOptions(req *request) (objstore.PutOptions, error) {
	h := req.r.Header
	opts := objstore.PutOptions{
		Owner:       req.owner(),
		ContentType: h.Get("Content-Type"),
	}
	if err := checkUnsupportedPutHeaders(h); err != nil {
		return opts, err
	}
	if err := checkCannedACL(req); err != nil {
		return opts, err
	}
	meta, err := userMetadata(h)
	if err != nil {
		return opts, err
	}
	opts.Meta = meta
	if opts.Headers, err = storedHeaders(h); err != nil {
		return opts, err
	}
	if opts.Tags, err = parseTaggingHeader(h.Get("X-Amz-Tagging")); err != nil {
		return opts, err
	}
	if opts.ContentMD5, err = contentMD5(h); err != nil {
		return opts, err
	}
	if req.body != nil {
		opts.Checksums = req.body.stored
	}
	if opts.IfMatch, opts.IfNoneMatchStar, err = writeConditions(h); err != nil {
		return opts, err
	}
	return opts, nil
}

// checkUnsupportedPutHeaders refuses requests whose meaning this server
// cannot honour (storing them silently would mislead the client).
func checkUnsupportedPutHeaders(h http.Header) error {
	for _, name := range []string{
		"X-Amz-Server-Side-Encryption",
		"X-Amz-Server-Side-Encryption-Customer-Algorithm",
		"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id",
		"X-Amz-Object-Lock-Mode",
		"X-Amz-Object-Lock-Retain-Until-Date",
		"X-Amz-Object-Lock-Legal-Hold",
	} {
		if h.Get(name) != "" {
			return errNotImplemented.with("The header %s is not supported.", strings.ToLower(name))
		}
	}
	return nil
}

// userMetadata returns the x-amz-meta-* headers: names lower case without
// the prefix, repeated headers joined by ",".
func userMetadata(h http.Header) (map[string]string, error) {
	var meta map[string]string
	total := 0
	for k, vs := range h {
		lk := strings.ToLower(k)
		name, ok := strings.CutPrefix(lk, "x-amz-meta-")
		if !ok || name == "" {
			continue
		}
		if meta == nil {
			meta = make(map[string]string)
		}
		v := strings.Join(vs, ",")
		meta[name] = v
		total += len(name) + len(v)
	}
	if total > maxUserMetadata {
		return nil, errMetadataTooLarge
	}
	return meta, nil
}

// contentMD5 decodes the Content-Md5 header, if any.
func contentMD5(h http.Header) ([]byte, error) {
	v := h.Get("Content-Md5")
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(b) != md5.Size {
		return nil, errInvalidDigest
	}
	return b, nil
}

// checkBodyMD5 verifies a Content-MD5 (want, may be nil) against a body
// read whole.
func checkBodyMD5(body, want []byte) error {
	if want == nil {
		return nil
	}
	if got := md5.Sum(body); !bytes.Equal(got[:], want) {
		return errBadDigest
	}
	return nil
}

// setObjectHeaders writes the headers that describe an object.
func setObjectHeaders(resp *response, info objstore.ObjectInfo) {
	if info.ETag != "" {
		resp.set("ETag", quoteETag(info.ETag))
	}
	resp.set("Last-Modified", httpTime(info.LastModified))
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	resp.set("Content-Type", ct)
	resp.set("Accept-Ranges", "bytes")
	if len(info.Meta) > 0 && resp.header == nil {
		resp.header = make(http.Header)
	}
	for k, v := range info.Meta {
		// Lower case as AWS sends it, not Go's canonical form: SDKs
		// take the metadata name from the header as it is written.
		resp.header["x-amz-meta-"+k] = []string{v}
	}
	setStoredHeaders(resp, info)
	setTagCount(resp, info)
}
