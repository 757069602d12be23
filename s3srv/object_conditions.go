package s3srv

import (
	"net/http"
	"strings"
	"time"

	"github.com/shallot-storage/shallot/objstore"
)

// Conditional requests. Reads (GET, HEAD, a copy's source) take the four
// RFC 7232 conditions; writes (PUT, CopyObject, CompleteMultipartUpload)
// take If-Match and "If-None-Match: *" on the object they replace, which
// the store checks in the transaction that commits the write.

// checkConditions evaluates If-Match, If-Unmodified-Since, If-None-Match
// and If-Modified-Since in RFC 7232's order; it returns 0, 412 or 304.
func checkConditions(h http.Header, etag string, modified time.Time) int {
	modified = modified.Truncate(time.Second)
	if im := h.Get("If-Match"); im != "" {
		if !etagMatches(im, etag) {
			return http.StatusPreconditionFailed
		}
	} else if v := h.Get("If-Unmodified-Since"); v != "" {
		if t, err := parseHTTPDate(v); err == nil && modified.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	if inm := h.Get("If-None-Match"); inm != "" {
		if etagMatches(inm, etag) {
			return http.StatusNotModified
		}
	} else if v := h.Get("If-Modified-Since"); v != "" {
		if t, err := parseHTTPDate(v); err == nil && !modified.After(t) {
			return http.StatusNotModified
		}
	}
	return 0
}

// etagMatches reports whether a list of entity tags (or "*") names etag.
func etagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == "*" || strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
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

// writeConditions parses the conditions of a write: If-Match with one
// entity tag, and If-None-Match "*" (the only form AWS supports).
func writeConditions(h http.Header) (ifMatch string, ifNoneMatchStar bool, err error) {
	if inm := h.Get("If-None-Match"); inm != "" {
		if strings.TrimSpace(inm) != "*" {
			return "", false, errNotImplemented.with("If-None-Match on a write supports only \"*\".")
		}
		ifNoneMatchStar = true
	}
	if im := h.Get("If-Match"); im != "" {
		ifMatch = strings.Trim(strings.TrimSpace(im), `"`)
	}
	return ifMatch, ifNoneMatchStar, nil
}
