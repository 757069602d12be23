package s3srv

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Bad input gets the documented S3 error, never InternalError, and leaves
// the stored data as it was.
func TestMalformedRequests(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/obj", body: []byte("keep me")})
	id := e.createUpload(t, "/bkt/mp", nil)
	h := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	manyObjects := "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>"
	runSteps(t, e, []step{
		{name: "complete: not XML", call: call{method: "POST", path: "/bkt/mp", query: "uploadId=" + id, body: []byte("parts please")}, status: 400, code: "MalformedXML"},
		{name: "complete: other root", call: call{method: "POST", path: "/bkt/mp", query: "uploadId=" + id, body: []byte("<Foo/>")}, status: 400, code: "MalformedXML"},
		{name: "complete: empty body", call: call{method: "POST", path: "/bkt/mp", query: "uploadId=" + id}, status: 400, code: "MalformedXML"},
		{name: "complete: part number not a number", call: call{method: "POST", path: "/bkt/mp", query: "uploadId=" + id,
			body: []byte("<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>")}, status: 400, code: "InvalidPart"},
		{name: "complete: unknown upload", call: call{method: "POST", path: "/bkt/mp", query: "uploadId=nope", body: completeDoc(`"x"`)}, status: 404, code: "NoSuchUpload"},
		{name: "delete objects: not XML", call: call{method: "POST", path: "/bkt", query: "delete", body: []byte("{}")}, status: 400, code: "MalformedXML"},
		{name: "delete objects: none", call: call{method: "POST", path: "/bkt", query: "delete", body: []byte("<Delete></Delete>")}, status: 400, code: "MalformedXML"},
		{name: "delete objects: too many", call: call{method: "POST", path: "/bkt", query: "delete", body: []byte(manyObjects)}, status: 400, code: "MalformedXML"},
		{name: "delete objects: bad md5", call: call{method: "POST", path: "/bkt", query: "delete", body: []byte("<Delete><Object><Key>obj</Key></Object></Delete>"),
			header: h("Content-MD5", md5Base64([]byte("x")))}, status: 400, code: "BadDigest"},
		{name: "tagging: empty body", call: call{method: "PUT", path: "/bkt/obj", query: "tagging"}, status: 400, code: "MalformedXML"},
		{name: "create bucket: not XML", call: call{method: "PUT", path: "/newbkt", body: []byte("<<<")}, status: 400, code: "MalformedXML"},

		{name: "header section too large", call: call{path: "/bkt/obj", header: h("x-pad", strings.Repeat("p", 9000))}, status: 400, code: "RequestHeaderSectionTooLarge"},
		{name: "metadata too large", call: call{method: "PUT", path: "/bkt/obj", body: []byte("x"), header: h("x-amz-meta-big", strings.Repeat("m", 2100))},
			status: 400, code: "MetadataTooLarge"},
		{name: "key too long", call: call{method: "PUT", path: "/bkt/" + strings.Repeat("k/", 512) + "k", body: []byte("x")}, status: 400, code: "KeyTooLongError"},
		{name: "bad decoded length", call: call{method: "PUT", path: "/bkt/obj", body: []byte("x"), payloadHash: streamingUnsignedTrailer,
			header: h("Content-Encoding", "aws-chunked", "x-amz-decoded-content-length", "many")}, status: 400, code: "InvalidArgument"},
		{name: "unknown trailer", call: call{method: "PUT", path: "/bkt/obj", body: []byte("0\r\n\r\n"), payloadHash: streamingUnsignedTrailer,
			header: h("Content-Encoding", "aws-chunked", "x-amz-trailer", "x-amz-checksum-md4")}, status: 400, code: "InvalidRequest"},
		{name: "malformed checksum header", call: call{method: "PUT", path: "/bkt/obj", body: []byte("x"), header: h("x-amz-checksum-crc32", "not base64!")},
			status: 400, code: "InvalidRequest"},
		{name: "copy source without key", call: call{method: "PUT", path: "/bkt/c", header: h("x-amz-copy-source", "bkt")}, status: 400, code: "InvalidArgument"},
		{name: "copy source bad escape", call: call{method: "PUT", path: "/bkt/c", header: h("x-amz-copy-source", "bkt/%zz")}, status: 400, code: "InvalidArgument"},
		{name: "copy source bad directive", call: call{method: "PUT", path: "/bkt/c", header: h("x-amz-copy-source", "bkt/obj", "x-amz-metadata-directive", "MERGE")},
			status: 400, code: "InvalidArgument"},
		{name: "part number not a number", call: call{method: "PUT", path: "/bkt/mp", query: "partNumber=x&uploadId=" + id, body: []byte("x")}, status: 400, code: "InvalidArgument"},
		{name: "empty upload id", call: call{method: "PUT", path: "/bkt/mp", query: "partNumber=1&uploadId=", body: []byte("x")}, status: 404, code: "NoSuchUpload"},
		{name: "other version", call: call{path: "/bkt/obj", query: "versionId=3HL4kqtJlcpXroDTDmJ"}, status: 404, code: "NoSuchVersion"},
		{name: "delete other version", call: call{method: "DELETE", path: "/bkt/obj", query: "versionId=3HL4kqtJlcpXroDTDmJ"}, status: 404, code: "NoSuchVersion"},
		{name: "null version", call: call{path: "/bkt/obj", query: "versionId=null"}, status: 200, body: "keep me"},
		{name: "select", call: call{method: "POST", path: "/bkt/obj", query: "select=&select-type=2", body: []byte("<x/>")}, status: 501, code: "NotImplemented"},
		{name: "unknown bucket sub-resource", call: call{method: "PUT", path: "/bkt", query: "inventory&id=x", body: []byte("<x/>")}, status: 501, code: "NotImplemented"},
		{name: "v2 header without signature", call: call{path: "/bkt/obj", auth: "none", header: h("Authorization", "AWS AKID")}, status: 400, code: "InvalidArgument"},
		{name: "v4 bad date", call: call{path: "/bkt/obj", auth: "none", header: h("Authorization",
			"AWS4-HMAC-SHA256 Credential="+testAccess+"/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature="+strings.Repeat("0", 64),
			"x-amz-date", "yesterday")}, status: 403, code: "AccessDenied"},
		{name: "presigned bad expiry", call: call{path: "/bkt/obj", auth: "none", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
			testAccess + "%2F20200101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20200101T000000Z&X-Amz-Expires=soon&X-Amz-SignedHeaders=host&X-Amz-Signature=" +
			strings.Repeat("0", 64)}, status: 400, code: "AuthorizationQueryParametersError"},
		{name: "presigned v2 bad expiry", call: call{path: "/bkt/obj", auth: "none", query: "AWSAccessKeyId=" + testAccess + "&Expires=later&Signature=x"},
			status: 403, code: "AccessDenied"},
		{name: "object still there", call: call{path: "/bkt/obj"}, status: 200, body: "keep me"},
	})

	t.Run("method not allowed", func(t *testing.T) {
		for _, m := range []string{"PATCH", "OPTIONS"} {
			req, _ := http.NewRequest(m, e.ts.URL+"/bkt/obj", nil)
			signV4Header(req, call{access: testAccess, secret: testSecret, signTime: e.now})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			checkErrorShape(t, m, result{status: resp.StatusCode, header: resp.Header, body: buf.Bytes()})
			if resp.StatusCode != 405 {
				t.Errorf("%s: %d", m, resp.StatusCode)
			}
		}
	})

	t.Run("short body", func(t *testing.T) {
		// The client announces 100 bytes and dies after 10: nothing is
		// stored and the old object stays.
		req, _ := http.NewRequest("PUT", e.ts.URL+"/bkt/obj", &shortReader{n: 10})
		req.ContentLength = 100
		signV4Header(req, call{access: testAccess, secret: testSecret, signTime: e.now, payloadHash: "UNSIGNED-PAYLOAD"})
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Fatalf("short body accepted")
			}
		}
		if r := e.do(call{path: "/bkt/obj"}); string(r.body) != "keep me" {
			t.Fatalf("object now %q", r.body)
		}
	})
}

// shortReader yields n bytes and then fails, as a client that dies
// mid-upload.
type shortReader struct{ n int }

func (s *shortReader) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, fmt.Errorf("client went away")
	}
	k := min(len(p), s.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	s.n -= k
	return k, nil
}
