package s3srv

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

var errInvalidPartNumber = newAPIError("InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable.")

// responseOverrides are the GetObject query parameters that replace a
// response header (used by presigned download links).
var responseOverrides = [...]struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

// getObject is GetObject: the object streams from a reader opened on the
// version current at the call, so an overwrite during the transfer does
// not mix two versions.
func (s *Server) getObject(req *request) (*response, error) {
	rd, err := s.store.OpenObject(req.ctx, req.bucket, req.key)
	if err != nil {
		return nil, readErr(err)
	}
	resp, start, length, err := s.objectResponse(req, rd.Info())
	if err != nil || resp.status == http.StatusNotModified {
		rd.Close()
		return resp, err
	}
	resp.body = io.NewSectionReader(rd, start, length)
	resp.bodyLen = length
	resp.done = func() { rd.Close() }
	return resp, nil
}

// headObject is HeadObject: GetObject's headers without a body.
func (s *Server) headObject(req *request) (*response, error) {
	info, err := s.store.HeadObject(req.ctx, req.bucket, req.key)
	if err != nil {
		return nil, readErr(err)
	}
	resp, _, length, err := s.objectResponse(req, info)
	if err != nil || resp.status == http.StatusNotModified {
		return resp, err
	}
	resp.set("Content-Length", strconv.FormatInt(length, 10))
	return resp, nil
}

// objectResponse evaluates the conditional and range headers of a GET or
// HEAD and returns the response headers and the byte range to send.
func (s *Server) objectResponse(req *request, info objstore.ObjectInfo) (resp *response, start, length int64, err error) {
	h := req.r.Header
	var part *objectPartRange
	if req.query.Has("partNumber") {
		n, err := partNumber(req.query)
		if err != nil {
			return nil, 0, 0, err
		}
		if h.Get("Range") != "" {
			return nil, 0, 0, errInvalidRequest.with("Cannot specify both Range header and partNumber query parameter.")
		}
		if part, err = partRange(info, n); err != nil {
			return nil, 0, 0, err
		}
	}
	resp = &response{}
	setObjectHeaders(resp, info)
	if status := checkConditions(h, info.ETag, info.LastModified); status != 0 {
		if status == http.StatusNotModified {
			r := &response{status: http.StatusNotModified}
			r.set("ETag", quoteETag(info.ETag))
			r.set("Last-Modified", httpTime(info.LastModified))
			return r, 0, 0, nil
		}
		return nil, 0, 0, errPreconditionFailed
	}
	for _, o := range responseOverrides {
		if v := req.query.Get(o.param); v != "" {
			resp.set(o.header, v)
		}
	}
	start, length = 0, info.Size
	if part != nil {
		start, length = part.start, part.length
		resp.set("x-amz-mp-parts-count", strconv.Itoa(len(info.Parts)))
		if length > 0 {
			resp.status = http.StatusPartialContent
			resp.set("Content-Range", "bytes "+strconv.FormatInt(start, 10)+"-"+strconv.FormatInt(start+length-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
		}
		if strings.EqualFold(h.Get("X-Amz-Checksum-Mode"), "ENABLED") {
			setChecksums(resp, part.checksums)
		}
		return resp, start, length, nil
	}
	if rh := h.Get("Range"); rh != "" {
		a, n, ok, rerr := parseRange(rh, info.Size)
		if rerr != nil {
			return nil, 0, 0, rerr.withField("RangeRequested", rh).withField("ActualObjectSize", strconv.FormatInt(info.Size, 10))
		}
		if ok {
			start, length = a, n
			resp.status = http.StatusPartialContent
			resp.set("Content-Range", "bytes "+strconv.FormatInt(a, 10)+"-"+strconv.FormatInt(a+n-1, 10)+"/"+strconv.FormatInt(info.Size, 10))
		}
	}
	// A checksum describes the whole object: a client would check a
	// range against it and fail, so ranges go without, as in AWS.
	if strings.EqualFold(h.Get("X-Amz-Checksum-Mode"), "ENABLED") && resp.status != http.StatusPartialContent {
		setChecksums(resp, info.Checksums)
	}
	return resp, start, length, nil
}

// setChecksums writes stored checksums as x-amz-checksum-* headers with
// their x-amz-checksum-type.
func setChecksums(resp *response, sums map[string]string) {
	typ := ""
	for i := range checksumAlgs {
		a := &checksumAlgs[i]
		v := sums[a.key()]
		if v == "" {
			continue
		}
		setRaw(resp, a.header, v)
		typ = checksumType(v)
	}
	if typ != "" {
		setRaw(resp, "x-amz-checksum-type", typ)
	}
}

// checksumType: a checksum of checksums carries the part count ("...-3").
func checksumType(v string) string {
	if strings.Contains(v, "-") {
		return "COMPOSITE"
	}
	return "FULL_OBJECT"
}

// parseRange parses a single "bytes=" range against an object of size
// bytes. ok is false when the header is to be ignored (not a single byte
// range, or syntactically invalid), as HTTP says; an unsatisfiable range
// is InvalidRange.
func parseRange(v string, size int64) (start, length int64, ok bool, err *apiError) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		// Suffix range: the last n bytes.
		n, perr := strconv.ParseInt(last, 10, 64)
		if perr != nil || n < 0 {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, errInvalidRange
		}
		if n > size {
			n = size
		}
		return size - n, n, true, nil
	}
	a, perr := strconv.ParseInt(first, 10, 64)
	if perr != nil || a < 0 {
		return 0, 0, false, nil
	}
	b := size - 1
	if last != "" {
		if b, perr = strconv.ParseInt(last, 10, 64); perr != nil || b < a {
			return 0, 0, false, nil
		}
		if b >= size {
			b = size - 1
		}
	}
	if a >= size {
		return 0, 0, false, errInvalidRange
	}
	return a, b - a + 1, true, nil
}
