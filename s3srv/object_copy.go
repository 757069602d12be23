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

// copyOptions reads the metadata and tagging directives of a copy. With
// COPY (the default) metadata and tags come from the source; with REPLACE
// from this request.
func copyOptions(req *request) (objstore.CopyOptions, error) {
	h := req.r.Header
	opts := objstore.CopyOptions{Owner: req.owner()}
	var err error
	switch d := strings.ToUpper(h.Get("X-Amz-Metadata-Directive")); d {
	case "", "COPY":
	case "REPLACE":
		opts.ReplaceMeta = true
		opts.ContentType = h.Get("Content-Type")
		if opts.Meta, err = userMetadata(h); err != nil {
			return opts, err
		}
		if opts.Headers, err = storedHeaders(h); err != nil {
			return opts, err
		}
	default:
		return opts, errInvalidArgument.with("Unknown metadata directive %q.", d)
	}
	switch d := strings.ToUpper(h.Get("X-Amz-Tagging-Directive")); d {
	case "", "COPY":
	case "REPLACE":
		opts.ReplaceTags = true
		if opts.Tags, err = parseTaggingHeader(h.Get("X-Amz-Tagging")); err != nil {
			return opts, err
		}
	default:
		return opts, errInvalidArgument.with("Unknown tagging directive %q.", d)
	}
	// Whatever the directives, the copy may name the checksum algorithm
	// it gets (else it carries the source's) and, below, its storage
	// class and website redirect.
	if v := h.Get("X-Amz-Checksum-Algorithm"); v != "" {
		a := checksumByName(v)
		if a == nil {
			return opts, errInvalidRequest.with("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
		}
		opts.ChecksumAlgorithm = a.key()
	}
	if opts.IfMatch, opts.IfNoneMatchStar, err = writeConditions(h); err != nil {
		return opts, err
	}
	return opts, nil
}

// perCopyHeaders are never taken from a copy's source: the storage class
// and the website redirect of the new object are what the copy request
// says (STANDARD and none by default), as in AWS.
var perCopyHeaders = []string{"x-amz-storage-class", "x-amz-website-redirect-location"}

// copiedHeaders returns the headers a COPY-directive copy gives the new
// object: the source's, with perCopyHeaders from the request.
func copiedHeaders(source map[string]string, h http.Header) (map[string]string, error) {
	req, err := storedHeaders(h)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range source {
		out[k] = v
	}
	for _, k := range perCopyHeaders {
		delete(out, k)
		if v := req[k]; v != "" {
			out[k] = v
		}
	}
	return out, nil
}

func sameHeaders(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// copyObject is CopyObject: the store copies without the data passing
// through this door.
func (s *Server) copyObject(req *request) (*response, error) {
	h := req.r.Header
	src, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	opts, err := copyOptions(req)
	if err != nil {
		return nil, err
	}
	if err := checkUnsupportedPutHeaders(h); err != nil {
		return nil, err
	}
	if err := checkCannedACL(req); err != nil {
		return nil, err
	}
	changesClass := h.Get("X-Amz-Storage-Class") != "" || h.Get("X-Amz-Website-Redirect-Location") != ""
	if src.bucket == req.bucket && src.key == req.key && !opts.ReplaceMeta && !changesClass && opts.ChecksumAlgorithm == "" {
		return nil, errInvalidRequest.with("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if hasCopySourceConditions(h) || !opts.ReplaceMeta {
		info, err := s.store.HeadObject(req.ctx, src.bucket, src.key)
		if err != nil {
			return nil, readErr(err)
		}
		if err := checkCopySourceConditions(h, info); err != nil {
			return nil, err
		}
		if !opts.ReplaceMeta {
			headers, err := copiedHeaders(info.Headers, h)
			if err != nil {
				return nil, err
			}
			if !sameHeaders(headers, info.Headers) {
				opts.ReplaceMeta = true
				opts.ContentType, opts.Meta, opts.Headers = info.ContentType, info.Meta, headers
			}
		}
	}
	info, err := s.store.CopyObject(req.ctx, src.bucket, src.key, req.bucket, req.key, opts)
	if err != nil {
		return nil, err
	}
	doc := xmlCopyObjectResult{LastModified: xmlTime(info.LastModified), ETag: quoteETag(info.ETag),
		xmlChecksums: checksumsXML(info.Checksums)}
	for _, v := range info.Checksums {
		doc.ChecksumType = checksumType(v)
	}
	return &response{xml: doc}, nil
}
