package s3srv

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"
)

// step is one request of a scenario and what must come back.
type step struct {
	name       string
	call       call
	status     int
	code       string            // S3 error code, checked when set
	body       string            // exact body, checked when set
	contains   []string          // substrings of the body
	absent     []string          // substrings that must not be in the body
	headers    map[string]string // exact response headers
	emptyBody  bool
	checkAfter func(t *testing.T, e *testEnv, r result)
}

func runSteps(t *testing.T, e *testEnv, steps []step) {
	t.Helper()
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := e.do(s.call)
			if r.status != s.status {
				t.Fatalf("status %d, want %d; body:\n%s", r.status, s.status, r.body)
			}
			if s.code != "" && r.code() != s.code {
				t.Errorf("code %q, want %q; body:\n%s", r.code(), s.code, r.body)
			}
			if s.body != "" && string(r.body) != s.body {
				t.Errorf("body %q, want %q", r.body, s.body)
			}
			for _, c := range s.contains {
				if !strings.Contains(string(r.body), c) {
					t.Errorf("body lacks %q:\n%s", c, r.body)
				}
			}
			for _, c := range s.absent {
				if strings.Contains(string(r.body), c) {
					t.Errorf("body has %q:\n%s", c, r.body)
				}
			}
			for k, v := range s.headers {
				if got := r.header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if s.emptyBody && len(r.body) != 0 {
				t.Errorf("body not empty: %q", r.body)
			}
			if r.header.Get("X-Amz-Request-Id") == "" || r.header.Get("Server") == "" {
				t.Errorf("missing x-amz-request-id or Server: %v", r.header)
			}
			checkErrorShape(t, s.call.method, r)
			if s.checkAfter != nil {
				s.checkAfter(t, e, r)
			}
		})
	}
}

// checkErrorShape holds every error response to S3's form: an <Error>
// document with Code, Message, Resource and RequestId (the request id of
// the response), and no body at all for HEAD or 304.
func checkErrorShape(t *testing.T, method string, r result) {
	t.Helper()
	if method == http.MethodHead || r.status == http.StatusNotModified {
		if len(r.body) != 0 {
			t.Errorf("%s %d carries a body: %q", method, r.status, r.body)
		}
		return
	}
	if r.status < 400 {
		return
	}
	var doc struct {
		XMLName   xml.Name
		Code      string
		Message   string
		Resource  string
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(r.body, &doc); err != nil || doc.XMLName.Local != "Error" {
		t.Errorf("error %d is not an <Error> document (%v): %q", r.status, err, r.body)
		return
	}
	if doc.Code == "" || doc.Message == "" || doc.Resource == "" || doc.RequestID != r.header.Get("X-Amz-Request-Id") {
		t.Errorf("incomplete error document: %+v", doc)
	}
	if r.header.Get("Content-Type") != "application/xml" {
		t.Errorf("error Content-Type %q", r.header.Get("Content-Type"))
	}
}

func md5Hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

func md5Base64(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }

func TestBuckets(t *testing.T) {
	e := newTestEnv(t)
	runSteps(t, e, []step{
		{name: "list empty", call: call{path: "/"}, status: 200, contains: []string{"<ListAllMyBucketsResult", "<Buckets></Buckets>", "<ID>60101:10</ID>"}},
		{name: "create", call: call{method: "PUT", path: "/bkt"}, status: 200, headers: map[string]string{"Location": "/bkt"}},
		{name: "create again", call: call{method: "PUT", path: "/bkt"}, status: 409, code: "BucketAlreadyOwnedByYou"},
		{name: "create with configuration", call: call{method: "PUT", path: "/bkt2",
			body: []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`)}, status: 200},
		{name: "create with malformed configuration", call: call{method: "PUT", path: "/bkt3", body: []byte("<Create")}, status: 400, code: "MalformedXML"},
		{name: "create invalid name", call: call{method: "PUT", path: "/Bad_Name"}, status: 400, code: "InvalidBucketName"},
		{name: "list", call: call{path: "/"}, status: 200, contains: []string{"<Name>bkt</Name>", "<Name>bkt2</Name>"}},
		{name: "head", call: call{method: "HEAD", path: "/bkt"}, status: 200, emptyBody: true},
		{name: "head missing", call: call{method: "HEAD", path: "/nope"}, status: 404, emptyBody: true},
		{name: "location", call: call{path: "/bkt", query: "location"}, status: 200,
			body: `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`},
		{name: "location with trailing slash", call: call{path: "/bkt/", query: "location"}, status: 200, contains: []string{"<LocationConstraint"}},
		{name: "location missing bucket", call: call{path: "/nope", query: "location"}, status: 404, code: "NoSuchBucket"},
		{name: "acl", call: call{path: "/bkt", query: "acl"}, status: 200, contains: []string{"<Permission>FULL_CONTROL</Permission>", `xsi:type="CanonicalUser"`}},
		{name: "put acl private", call: call{method: "PUT", path: "/bkt", query: "acl", header: map[string]string{"x-amz-acl": "private"}}, status: 200},
		{name: "put acl public", call: call{method: "PUT", path: "/bkt", query: "acl", header: map[string]string{"x-amz-acl": "public-read"}}, status: 501, code: "NotImplemented"},
		{name: "versioning", call: call{path: "/bkt", query: "versioning"}, status: 200, contains: []string{"<VersioningConfiguration"}},
		{name: "policy", call: call{path: "/bkt", query: "policy"}, status: 404, code: "NoSuchBucketPolicy"},
		{name: "cors", call: call{path: "/bkt", query: "cors"}, status: 404, code: "NoSuchCORSConfiguration"},
		{name: "put lifecycle", call: call{method: "PUT", path: "/bkt", query: "lifecycle", body: []byte("<LifecycleConfiguration/>")}, status: 501, code: "NotImplemented"},
		{name: "delete policy", call: call{method: "DELETE", path: "/bkt", query: "policy"}, status: 501, code: "NotImplemented"},
		{name: "put object", call: call{method: "PUT", path: "/bkt/x", body: []byte("x")}, status: 200},
		{name: "delete non-empty", call: call{method: "DELETE", path: "/bkt"}, status: 409, code: "BucketNotEmpty"},
		{name: "delete object", call: call{method: "DELETE", path: "/bkt/x"}, status: 204},
		{name: "delete", call: call{method: "DELETE", path: "/bkt"}, status: 204},
		{name: "delete missing", call: call{method: "DELETE", path: "/bkt"}, status: 404, code: "NoSuchBucket"},
		{name: "list objects of missing bucket", call: call{path: "/bkt"}, status: 404, code: "NoSuchBucket"},
		{name: "post on service", call: call{method: "POST", path: "/"}, status: 405, code: "MethodNotAllowed"},
	})
}

func TestObjects(t *testing.T) {
	e := newTestEnv(t)
	data := []byte("hello, shallot")
	etag := `"` + md5Hex(data) + `"`
	e.do(call{method: "PUT", path: "/bkt"})
	runSteps(t, e, []step{
		{name: "put", call: call{method: "PUT", path: "/bkt/dir/obj.txt", body: data, header: map[string]string{
			"Content-Type": "text/plain", "x-amz-meta-Color": "blue", "Content-MD5": md5Base64(data)}},
			status: 200, headers: map[string]string{"ETag": etag}},
		{name: "get", call: call{path: "/bkt/dir/obj.txt"}, status: 200, body: string(data), headers: map[string]string{
			"ETag": etag, "Content-Type": "text/plain", "X-Amz-Meta-Color": "blue", "Content-Length": "14", "Accept-Ranges": "bytes"}},
		{name: "head", call: call{method: "HEAD", path: "/bkt/dir/obj.txt"}, status: 200, emptyBody: true, headers: map[string]string{
			"ETag": etag, "Content-Length": "14", "X-Amz-Meta-Color": "blue"}},
		{name: "range", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"Range": "bytes=0-4"}}, status: 206, body: "hello",
			headers: map[string]string{"Content-Range": "bytes 0-4/14", "Content-Length": "5"}},
		{name: "open range", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"Range": "bytes=7-"}}, status: 206, body: "shallot"},
		{name: "suffix range", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"Range": "bytes=-3"}}, status: 206, body: "lot"},
		{name: "range past end clipped", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"Range": "bytes=10-100"}}, status: 206, body: "llot"},
		{name: "unsatisfiable range", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"Range": "bytes=14-"}}, status: 416, code: "InvalidRange"},
		{name: "multiple ranges ignored", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"Range": "bytes=0-1,3-4"}}, status: 200, body: string(data)},
		{name: "head range", call: call{method: "HEAD", path: "/bkt/dir/obj.txt", header: map[string]string{"Range": "bytes=0-4"}}, status: 206,
			headers: map[string]string{"Content-Length": "5", "Content-Range": "bytes 0-4/14"}},
		{name: "if-none-match", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"If-None-Match": etag}}, status: 304, emptyBody: true},
		{name: "if-match fails", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"If-Match": `"abc"`}}, status: 412, code: "PreconditionFailed"},
		{name: "if-modified-since future", call: call{path: "/bkt/dir/obj.txt", header: map[string]string{"If-Modified-Since": e.now.Add(time.Hour).Format(http.TimeFormat)}}, status: 304},
		{name: "response overrides", call: call{path: "/bkt/dir/obj.txt", query: "response-content-type=application%2Fjson&response-content-disposition=attachment"},
			status: 200, headers: map[string]string{"Content-Type": "application/json", "Content-Disposition": "attachment"}},
		{name: "object acl", call: call{path: "/bkt/dir/obj.txt", query: "acl"}, status: 200, contains: []string{"FULL_CONTROL"}},
		{name: "object tagging", call: call{path: "/bkt/dir/obj.txt", query: "tagging"}, status: 200, contains: []string{"<TagSet></TagSet>"}},
		{name: "put empty tagging", call: call{method: "PUT", path: "/bkt/dir/obj.txt", query: "tagging", body: []byte("<Tagging/>")}, status: 200},
		{name: "get missing", call: call{path: "/bkt/none"}, status: 404, code: "NoSuchKey", contains: []string{"<Resource>/bkt/none</Resource>", "<RequestId>"}},
		{name: "head missing", call: call{method: "HEAD", path: "/bkt/none"}, status: 404, emptyBody: true},
		{name: "get through a file", call: call{path: "/bkt/dir/obj.txt/deeper"}, status: 404, code: "NoSuchKey"},
		{name: "get a directory name", call: call{path: "/bkt/dir"}, status: 404, code: "NoSuchKey"},
		{name: "get missing bucket", call: call{path: "/nob/k"}, status: 404, code: "NoSuchBucket"},
		{name: "bad content-md5", call: call{method: "PUT", path: "/bkt/bad", body: data, header: map[string]string{"Content-MD5": md5Base64([]byte("x"))}},
			status: 400, code: "BadDigest"},
		{name: "bad content-md5 left nothing", call: call{path: "/bkt/bad"}, status: 404, code: "NoSuchKey"},
		{name: "malformed content-md5", call: call{method: "PUT", path: "/bkt/bad", body: data, header: map[string]string{"Content-MD5": "nope"}},
			status: 400, code: "InvalidDigest"},
		{name: "sha256 mismatch", call: call{method: "PUT", path: "/bkt/bad", body: data, payloadHash: hexSHA256([]byte("other"))},
			status: 400, code: "XAmzContentSHA256Mismatch"},
		{name: "sha256 mismatch left nothing", call: call{path: "/bkt/bad"}, status: 404, code: "NoSuchKey"},
		{name: "sha256 mismatch on overwrite", call: call{method: "PUT", path: "/bkt/dir/obj.txt", body: []byte("replacement"), payloadHash: hexSHA256([]byte("other"))},
			status: 400, code: "XAmzContentSHA256Mismatch"},
		{name: "old object survives a failed overwrite", call: call{path: "/bkt/dir/obj.txt"}, status: 200, body: string(data)},
		{name: "unsigned payload", call: call{method: "PUT", path: "/bkt/unsigned", body: data, payloadHash: "UNSIGNED-PAYLOAD"}, status: 200},
		{name: "crc32 header verified", call: call{method: "PUT", path: "/bkt/crc", body: data, payloadHash: "UNSIGNED-PAYLOAD",
			header: map[string]string{"x-amz-checksum-crc32": crc32Base64(data)}}, status: 200,
			headers: map[string]string{"X-Amz-Checksum-Crc32": crc32Base64(data)}},
		{name: "crc32 header wrong", call: call{method: "PUT", path: "/bkt/crc2", body: data, payloadHash: "UNSIGNED-PAYLOAD",
			header: map[string]string{"x-amz-checksum-crc32": crc32Base64([]byte("x"))}}, status: 400, code: "BadDigest"},
		{name: "crc32 header wrong left nothing", call: call{path: "/bkt/crc2"}, status: 404},
		{name: "if-none-match star on existing", call: call{method: "PUT", path: "/bkt/dir/obj.txt", body: data, header: map[string]string{"If-None-Match": "*"}},
			status: 412, code: "PreconditionFailed"},
		{name: "put where a file is a directory", call: call{method: "PUT", path: "/bkt/dir/obj.txt/x", body: data}, status: 400, code: "InvalidArgument"},
		{name: "put with empty segment", call: call{method: "PUT", path: "/bkt/a//b", body: data}, status: 400, code: "InvalidArgument"},
		{name: "put with dot-dot segment", call: call{method: "PUT", path: "/bkt/a/../b", body: data}, status: 400, code: "InvalidArgument"},
		{name: "put with long segment", call: call{method: "PUT", path: "/bkt/" + strings.Repeat("n", 256), body: data}, status: 400, code: "KeyTooLongError"},
		{name: "sse refused", call: call{method: "PUT", path: "/bkt/sse", body: data, header: map[string]string{"x-amz-server-side-encryption": "AES256"}},
			status: 501, code: "NotImplemented"},
		{name: "directory marker", call: call{method: "PUT", path: "/bkt/folder/"}, status: 200},
		{name: "get directory marker", call: call{path: "/bkt/folder/"}, status: 200, body: ""},
		{name: "delete", call: call{method: "DELETE", path: "/bkt/dir/obj.txt"}, status: 204},
		{name: "delete again", call: call{method: "DELETE", path: "/bkt/dir/obj.txt"}, status: 204},
		{name: "get deleted", call: call{path: "/bkt/dir/obj.txt"}, status: 404, code: "NoSuchKey"},
		{name: "delete in missing bucket", call: call{method: "DELETE", path: "/nob/x"}, status: 404, code: "NoSuchBucket"},
		{name: "unknown object sub-resource", call: call{method: "POST", path: "/bkt/x", query: "restore"}, status: 501, code: "NotImplemented"},
		{name: "x-id is an argument, not a sub-resource", call: call{path: "/bkt/unsigned", query: "x-id=GetObject"}, status: 200, body: string(data)},
	})
}

// Keys must round-trip byte for byte whatever the client escapes.
func TestKeyNames(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	keys := []string{
		"plain",
		"a b",
		"a+b",
		"100%",
		"日本語/ファイル名.txt",
		"question?mark",
		"hash#tag",
		"amp&er=sand",
		"semi;colon",
		"tilde~and'quote",
		"trailing.dot.",
		"emoji-🦀",
		`back\slash`,
	}
	for _, k := range keys {
		t.Run(k, func(t *testing.T) {
			body := []byte("content of " + k)
			if r := e.do(call{method: "PUT", path: "/bkt/" + escapeKey(k), body: body}); r.status != 200 {
				t.Fatalf("put: %d %s", r.status, r.body)
			}
			r := e.do(call{path: "/bkt/" + escapeKey(k)})
			if r.status != 200 || string(r.body) != string(body) {
				t.Fatalf("get: %d %q", r.status, r.body)
			}
			r = e.do(call{path: "/bkt", query: "list-type=2&prefix=" + escapeQuery(k)})
			if !strings.Contains(string(r.body), "<Key>"+xmlEscape(k)+"</Key>") {
				t.Fatalf("list lacks the key: %s", r.body)
			}
			r = e.do(call{path: "/bkt", query: "list-type=2&encoding-type=url&prefix=" + escapeQuery(k)})
			if !strings.Contains(string(r.body), "<Key>"+escapeKey(k)+"</Key>") {
				t.Fatalf("url-encoded list lacks %q: %s", escapeKey(k), r.body)
			}
			r = e.do(call{path: "/bkt/" + escapeKey(k), auth: "v2"})
			if r.status != 200 || string(r.body) != string(body) {
				t.Fatalf("get with SigV2: %d %q", r.status, r.body)
			}
		})
	}
	// An escaped "/" is a separator once unescaped: the key is the same.
	t.Run("escaped slash", func(t *testing.T) {
		r := e.do(call{path: "/bkt/" + strings.ReplaceAll(escapeKey("日本語/ファイル名.txt"), "/", "%2F")})
		if r.status != 200 {
			t.Fatalf("get: %d %s", r.status, r.body)
		}
	})
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}
