package s3srv

import (
	"net/http"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// The HTTP headers S3 keeps with an object (objstore.SystemHeaders) and
// returns on GET and HEAD. The store keys them by lower-case name; the
// response uses the spelling AWS sends.
var storedHeaderNames = [...]struct{ stored, response string }{
	{"cache-control", "Cache-Control"},
	{"content-disposition", "Content-Disposition"},
	{"content-encoding", "Content-Encoding"},
	{"content-language", "Content-Language"},
	{"expires", "Expires"},
	{"x-amz-storage-class", "x-amz-storage-class"},
	{"x-amz-website-redirect-location", "x-amz-website-redirect-location"},
}

// storageClasses are the classes AWS accepts in x-amz-storage-class. This
// server keeps every object the same way (erasure-coded on its disks): a
// class is recorded and reported so that tools which set one keep working,
// and STANDARD, the default, is not recorded at all.
var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "OUTPOSTS": true,
	"GLACIER_IR": true, "SNOW": true, "EXPRESS_ONEZONE": true, "FSX_OPENZFS": true,
}

const defaultStorageClass = "STANDARD"

var (
	errInvalidStorageClass = newAPIError("InvalidStorageClass", http.StatusBadRequest, "The storage class you specified is not valid.")
	errInvalidRedirect     = errInvalidArgument.with("The website redirect location must have a prefix of 'http://' or 'https://' or '/'.")
)

// maxRedirectLocation is AWS's limit on x-amz-website-redirect-location.
const maxRedirectLocation = 2 << 10

// storedHeaders returns the headers of a PUT, copy or multipart create
// that the object keeps. The aws-chunked coding describes this request's
// framing, not the object, and is left out of Content-Encoding.
func storedHeaders(h http.Header) (map[string]string, error) {
	var out map[string]string
	for _, n := range storedHeaderNames {
		v := strings.TrimSpace(strings.Join(h.Values(n.stored), ","))
		switch n.stored {
		case "content-encoding":
			v = withoutAWSChunked(v)
		case "x-amz-storage-class":
			if v == "" {
				continue
			}
			if !storageClasses[v] {
				return nil, errInvalidStorageClass
			}
			if v == defaultStorageClass {
				continue
			}
		case "x-amz-website-redirect-location":
			if v != "" && (len(v) > maxRedirectLocation || !(strings.HasPrefix(v, "/") ||
				strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"))) {
				return nil, errInvalidRedirect
			}
		}
		if v == "" {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		out[n.stored] = v
	}
	return out, nil
}

// withoutAWSChunked drops the aws-chunked token from a Content-Encoding
// list ("aws-chunked,gzip" -> "gzip").
func withoutAWSChunked(v string) string {
	if !strings.Contains(strings.ToLower(v), "aws-chunked") {
		return v
	}
	var keep []string
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		if c != "" && !strings.EqualFold(c, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ",")
}

// storageClass is the class reported for an object.
func storageClass(info objstore.ObjectInfo) string {
	if c := info.Headers["x-amz-storage-class"]; c != "" {
		return c
	}
	return defaultStorageClass
}

// uploadStorageClass is the class an upload's object will have.
func uploadStorageClass(u objstore.Upload) string {
	if u.StorageClass != "" {
		return u.StorageClass
	}
	return defaultStorageClass
}

// setStoredHeaders writes the stored headers of info. AWS leaves
// x-amz-storage-class out for STANDARD objects, and so does this server.
func setStoredHeaders(resp *response, info objstore.ObjectInfo) {
	for _, n := range storedHeaderNames {
		if v := info.Headers[n.stored]; v != "" {
			setRaw(resp, n.response, v)
		}
	}
}

// setRaw sets a header under exactly the given name: SDKs match x-amz-*
// names as AWS writes them, in lower case.
func setRaw(resp *response, name, value string) {
	if resp.header == nil {
		resp.header = make(http.Header)
	}
	if strings.HasPrefix(name, "x-amz-") {
		resp.header[name] = []string{value}
		return
	}
	resp.header.Set(name, value)
}
