package s3srv

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// copySource is the parsed x-amz-copy-source header.
type copySource struct {
	bucket, key string
}

// parseCopySource parses "[/]bucket/key[?versionId=v]", key URL-encoded.
func parseCopySource(v string) (copySource, error) {
	v = strings.TrimPrefix(v, "/")
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return copySource{}, errInvalidArgument.with("Invalid copy source: cannot parse the query.")
		}
		if err := errNoSuchVersionIfSet(q.Get("versionId")); err != nil {
			return copySource{}, err
		}
	}
	dec, err := url.PathUnescape(path)
	if err != nil {
		return copySource{}, errInvalidArgument.with("Invalid copy source: the key is not URL-encoded correctly.")
	}
	bucket, key, ok := strings.Cut(dec, "/")
	if !ok || bucket == "" || key == "" {
		return copySource{}, errInvalidArgument.with("Invalid copy source: expecting \"bucket/key\".")
	}
	return copySource{bucket: bucket, key: key}, nil
}

// checkCopySourceConditions evaluates x-amz-copy-source-if-* against the
// source; every failed condition is PreconditionFailed for a copy.
func checkCopySourceConditions(h http.Header, info objstore.ObjectInfo) error {
	cond := http.Header{}
	for _, n := range []string{"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
		if v := h.Get("X-Amz-Copy-Source-" + n); v != "" {
			cond.Set(n, v)
		}
	}
	if len(cond) == 0 {
		return nil
	}
	if checkConditions(cond, info.ETag, info.LastModified) != 0 {
		return errPreconditionFailed
	}
	return nil
}

func hasCopySourceConditions(h http.Header) bool {
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-copy-source-if-") {
			return true
		}
	}
	return false
}

// copyObject is CopyObject: the store copies without the data passing
// through this door.
func (s *Server) copyObject(req *request) (*response, error) {
	h := req.r.Header
	src, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	opts := objstore.CopyOptions{Owner: req.owner()}
	switch d := strings.ToUpper(h.Get("X-Amz-Metadata-Directive")); d {
	case "", "COPY":
	case "REPLACE":
		opts.ReplaceMeta = true
		opts.ContentType = h.Get("Content-Type")
		if opts.Meta, err = userMetadata(h); err != nil {
			return nil, err
		}
	default:
		return nil, errInvalidArgument.with("Unknown metadata directive %q.", d)
	}
	if err := checkUnsupportedPutHeaders(h); err != nil {
		return nil, err
	}
	if err := checkCannedACL(req); err != nil {
		return nil, err
	}
	if src.bucket == req.bucket && src.key == req.key && !opts.ReplaceMeta {
		return nil, errInvalidRequest.with("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if hasCopySourceConditions(h) {
		info, err := s.store.HeadObject(req.ctx, src.bucket, src.key)
		if err != nil {
			return nil, readErr(err)
		}
		if err := checkCopySourceConditions(h, info); err != nil {
			return nil, err
		}
	}
	info, err := s.store.CopyObject(req.ctx, src.bucket, src.key, req.bucket, req.key, opts)
	if err != nil {
		return nil, err
	}
	return &response{xml: xmlCopyObjectResult{LastModified: xmlTime(info.LastModified), ETag: quoteETag(info.ETag)}}, nil
}
