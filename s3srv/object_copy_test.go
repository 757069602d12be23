package s3srv

import (
	"testing"
)

func TestCopyObject(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/other"})
	data := []byte("copy me")
	etag := `"` + md5Hex(data) + `"`
	e.do(call{method: "PUT", path: "/bkt/" + escapeKey("src key+1"), body: data,
		header: map[string]string{"Content-Type": "text/src", "x-amz-meta-origin": "src"}})
	src := "/bkt/" + escapeKey("src key+1")
	runSteps(t, e, []step{
		{name: "copy", call: call{method: "PUT", path: "/other/dst", header: map[string]string{"x-amz-copy-source": src}},
			status: 200, contains: []string{"<CopyObjectResult", "<ETag>&#34;" + md5Hex(data) + "&#34;</ETag>", "<LastModified>"}},
		{name: "copy keeps metadata", call: call{path: "/other/dst"}, status: 200, body: string(data),
			headers: map[string]string{"Content-Type": "text/src", "X-Amz-Meta-Origin": "src", "ETag": etag}},
		{name: "copy without leading slash", call: call{method: "PUT", path: "/other/dst2", header: map[string]string{"x-amz-copy-source": src[1:]}}, status: 200},
		{name: "copy with null version", call: call{method: "PUT", path: "/other/dst3", header: map[string]string{"x-amz-copy-source": src + "?versionId=null"}}, status: 200},
		{name: "copy with other version", call: call{method: "PUT", path: "/other/dst3", header: map[string]string{"x-amz-copy-source": src + "?versionId=abc"}},
			status: 404, code: "NoSuchVersion"},
		{name: "copy replace metadata", call: call{method: "PUT", path: "/other/dst4", header: map[string]string{
			"x-amz-copy-source": src, "x-amz-metadata-directive": "REPLACE", "Content-Type": "text/new", "x-amz-meta-new": "yes"}}, status: 200},
		{name: "replaced metadata", call: call{method: "HEAD", path: "/other/dst4"}, status: 200,
			headers: map[string]string{"Content-Type": "text/new", "X-Amz-Meta-New": "yes", "X-Amz-Meta-Origin": ""}},
		{name: "copy onto itself", call: call{method: "PUT", path: src, header: map[string]string{"x-amz-copy-source": src}}, status: 400, code: "InvalidRequest"},
		{name: "copy onto itself replacing metadata", call: call{method: "PUT", path: src, header: map[string]string{
			"x-amz-copy-source": src, "x-amz-metadata-directive": "REPLACE", "x-amz-meta-origin": "self"}}, status: 200},
		{name: "copy missing source", call: call{method: "PUT", path: "/other/x", header: map[string]string{"x-amz-copy-source": "/bkt/none"}}, status: 404, code: "NoSuchKey"},
		{name: "copy missing source bucket", call: call{method: "PUT", path: "/other/x", header: map[string]string{"x-amz-copy-source": "/nob/none"}}, status: 404, code: "NoSuchBucket"},
		{name: "copy malformed source", call: call{method: "PUT", path: "/other/x", header: map[string]string{"x-amz-copy-source": "justbucket"}}, status: 400, code: "InvalidArgument"},
		{name: "copy bad directive", call: call{method: "PUT", path: "/other/x", header: map[string]string{"x-amz-copy-source": src, "x-amz-metadata-directive": "MOVE"}},
			status: 400, code: "InvalidArgument"},
		{name: "copy if-match ok", call: call{method: "PUT", path: "/other/x", header: map[string]string{"x-amz-copy-source": src, "x-amz-copy-source-if-match": etag}}, status: 200},
		{name: "copy if-match fails", call: call{method: "PUT", path: "/other/y", header: map[string]string{"x-amz-copy-source": src, "x-amz-copy-source-if-match": `"0"`}},
			status: 412, code: "PreconditionFailed"},
		{name: "copy if-none-match fails", call: call{method: "PUT", path: "/other/y", header: map[string]string{"x-amz-copy-source": src, "x-amz-copy-source-if-none-match": etag}},
			status: 412, code: "PreconditionFailed"},
	})
}

func TestDeleteObjects(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	for _, k := range []string{"a", "b", "c/d"} {
		e.do(call{method: "PUT", path: "/bkt/" + k, body: []byte(k)})
	}
	doc := func(quiet bool, keys ...string) []byte {
		s := `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`
		if quiet {
			s += "<Quiet>true</Quiet>"
		}
		for _, k := range keys {
			s += "<Object><Key>" + xmlEscape(k) + "</Key></Object>"
		}
		return []byte(s + "</Delete>")
	}
	body := doc(false, "a", "missing", "c/d", "x//y")
	many := make([]string, 1001)
	for i := range many {
		many[i] = "k"
	}
	runSteps(t, e, []step{
		{name: "delete", call: call{method: "POST", path: "/bkt", query: "delete", body: body, header: map[string]string{"Content-MD5": md5Base64(body)}},
			status: 200, contains: []string{"<DeleteResult", "<Deleted><Key>a</Key></Deleted>", "<Deleted><Key>missing</Key></Deleted>", "<Deleted><Key>c/d</Key></Deleted>", "<Deleted><Key>x//y</Key></Deleted>"}},
		{name: "deleted", call: call{path: "/bkt/a"}, status: 404},
		{name: "quiet", call: call{method: "POST", path: "/bkt", query: "delete", body: doc(true, "b")},
			status: 200, absent: []string{"<Deleted>"}},
		{name: "quiet deleted", call: call{path: "/bkt/b"}, status: 404},
		{name: "version", call: call{method: "POST", path: "/bkt", query: "delete",
			body: []byte(`<Delete><Object><Key>z</Key><VersionId>v1</VersionId></Object></Delete>`)},
			status: 200, contains: []string{"<Error><Key>z</Key><VersionId>v1</VersionId><Code>NoSuchVersion</Code>"}},
		{name: "bad md5", call: call{method: "POST", path: "/bkt", query: "delete", body: body, header: map[string]string{"Content-MD5": md5Base64([]byte("x"))}},
			status: 400, code: "BadDigest"},
		{name: "malformed", call: call{method: "POST", path: "/bkt", query: "delete", body: []byte("<Delete><Object>")}, status: 400, code: "MalformedXML"},
		{name: "empty", call: call{method: "POST", path: "/bkt", query: "delete", body: []byte("<Delete></Delete>")}, status: 400, code: "MalformedXML"},
		{name: "too many", call: call{method: "POST", path: "/bkt", query: "delete", body: doc(true, many...)}, status: 400, code: "MalformedXML"},
		{name: "missing bucket", call: call{method: "POST", path: "/nob", query: "delete", body: doc(false, "a")}, status: 404, code: "NoSuchBucket"},
	})
}
