package s3srv

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
)

func (e *testEnv) createUpload(t *testing.T, path string, header map[string]string) string {
	t.Helper()
	r := e.do(call{method: "POST", path: path, query: "uploads", header: header})
	if r.status != 200 {
		t.Fatalf("create upload: %d %s", r.status, r.body)
	}
	var doc struct{ UploadId string }
	if err := xml.Unmarshal(r.body, &doc); err != nil || doc.UploadId == "" {
		t.Fatalf("create upload: %v %s", err, r.body)
	}
	return doc.UploadId
}

func completeDoc(etags ...string) []byte {
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for i, et := range etags {
		fmt.Fprintf(&b, "<Part><ETag>%s</ETag><PartNumber>%d</PartNumber></Part>", et, i+1)
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

func TestMultipartUpload(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/source", body: []byte("0123456789abcdefghij")})
	p1, p2, p3 := bytes.Repeat([]byte("1"), 16), bytes.Repeat([]byte("2"), 16), []byte("tail")
	id := e.createUpload(t, "/bkt/big", map[string]string{"Content-Type": "application/x-big", "x-amz-meta-kind": "multi",
		"x-amz-tagging": "stage=raw", "Cache-Control": "no-cache", "x-amz-storage-class": "STANDARD_IA"})
	q := func(n int) string { return fmt.Sprintf("partNumber=%d&uploadId=%s", n, id) }
	e1, e2, e3 := `"`+md5Hex(p1)+`"`, `"`+md5Hex(p2)+`"`, `"`+md5Hex(p3)+`"`
	all := append(append(append([]byte{}, p1...), p2...), p3...)
	sum := md5.New()
	for _, p := range [][]byte{p1, p2, p3} {
		s := md5.Sum(p)
		sum.Write(s[:])
	}
	wantETag := `"` + hex.EncodeToString(sum.Sum(nil)) + `-3"`
	runSteps(t, e, []step{
		{name: "part 1", call: call{method: "PUT", path: "/bkt/big", query: q(1), body: p1, header: map[string]string{"Content-MD5": md5Base64(p1)}},
			status: 200, headers: map[string]string{"ETag": e1}},
		{name: "part 2", call: call{method: "PUT", path: "/bkt/big", query: q(2), body: p2}, status: 200, headers: map[string]string{"ETag": e2}},
		{name: "part 3", call: call{method: "PUT", path: "/bkt/big", query: q(3), body: p3}, status: 200, headers: map[string]string{"ETag": e3}},
		{name: "part bad md5", call: call{method: "PUT", path: "/bkt/big", query: q(4), body: p3, header: map[string]string{"Content-MD5": md5Base64(p1)}},
			status: 400, code: "BadDigest"},
		{name: "part number 0", call: call{method: "PUT", path: "/bkt/big", query: q(0), body: p3}, status: 400, code: "InvalidArgument"},
		{name: "part number 10001", call: call{method: "PUT", path: "/bkt/big", query: q(10001), body: p3}, status: 400, code: "InvalidArgument"},
		{name: "part of unknown upload", call: call{method: "PUT", path: "/bkt/big", query: "partNumber=1&uploadId=nope", body: p3}, status: 404, code: "NoSuchUpload"},
		{name: "list parts", call: call{path: "/bkt/big", query: "uploadId=" + id}, status: 200,
			contains: []string{"<ListPartsResult", "<PartNumber>1</PartNumber>", "<PartNumber>3</PartNumber>", "<Size>4</Size>", "<ETag>&#34;" + md5Hex(p3)}},
		{name: "list parts paged", call: call{path: "/bkt/big", query: "max-parts=1&part-number-marker=1&uploadId=" + id}, status: 200,
			contains: []string{"<PartNumber>2</PartNumber>", "<IsTruncated>true</IsTruncated>", "<NextPartNumberMarker>2</NextPartNumberMarker>"},
			absent:   []string{"<PartNumber>3</PartNumber>"}},
		{name: "list uploads", call: call{path: "/bkt", query: "uploads"}, status: 200,
			contains: []string{"<ListMultipartUploadsResult", "<Key>big</Key>", "<UploadId>" + id + "</UploadId>"}},
		{name: "list uploads with delimiter", call: call{path: "/bkt", query: "uploads&delimiter=b"}, status: 200,
			contains: []string{"<CommonPrefixes><Prefix>b</Prefix></CommonPrefixes>"}},
		{name: "complete out of order", call: call{method: "POST", path: "/bkt/big", query: "uploadId=" + id,
			body: []byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>` + e2 + `</ETag></Part><Part><PartNumber>1</PartNumber><ETag>` + e1 + `</ETag></Part></CompleteMultipartUpload>`)},
			status: 400, code: "InvalidPartOrder"},
		{name: "complete wrong etag", call: call{method: "POST", path: "/bkt/big", query: "uploadId=" + id, body: completeDoc(e1, e1, e3)}, status: 400, code: "InvalidPart"},
		{name: "complete malformed", call: call{method: "POST", path: "/bkt/big", query: "uploadId=" + id, body: []byte("<Complete")}, status: 400, code: "MalformedXML"},
		{name: "complete empty", call: call{method: "POST", path: "/bkt/big", query: "uploadId=" + id, body: []byte("<CompleteMultipartUpload/>")}, status: 400, code: "MalformedXML"},
		{name: "complete small middle part", call: call{method: "POST", path: "/bkt/big", query: "uploadId=" + id,
			body: []byte(`<CompleteMultipartUpload><Part><PartNumber>3</PartNumber><ETag>` + e3 + `</ETag></Part><Part><PartNumber>4</PartNumber><ETag>` + e3 + `</ETag></Part></CompleteMultipartUpload>`)},
			status: 400},
		{name: "complete", call: call{method: "POST", path: "/bkt/big", query: "uploadId=" + id, body: completeDoc(e1, e2, e3)}, status: 200,
			contains: []string{"<CompleteMultipartUploadResult", "<Bucket>bkt</Bucket>", "<Key>big</Key>", "<ETag>" + xmlEscape(wantETag) + "</ETag>"}},
		{name: "read back", call: call{path: "/bkt/big"}, status: 200, body: string(all),
			headers: map[string]string{"ETag": wantETag, "Content-Type": "application/x-big", "X-Amz-Meta-Kind": "multi",
				"X-Amz-Tagging-Count": "1", "Cache-Control": "no-cache", "X-Amz-Storage-Class": "STANDARD_IA"}},
		{name: "parts count", call: call{path: "/bkt/big", query: "attributes", header: map[string]string{"x-amz-object-attributes": "ObjectParts"}},
			status: 200, contains: []string{"<ObjectParts><PartsCount>3</PartsCount>"}},
		{name: "upload gone", call: call{path: "/bkt/big", query: "uploadId=" + id}, status: 404, code: "NoSuchUpload"},
	})

	t.Run("create refuses bad tags", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/bkt/tagged", query: "uploads", header: map[string]string{"x-amz-tagging": strings.Repeat("k", 129) + "=v"}})
		if r.status != 400 || r.code() != "InvalidTag" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})

	t.Run("abort", func(t *testing.T) {
		id := e.createUpload(t, "/bkt/aborted", nil)
		runSteps(t, e, []step{
			{name: "part", call: call{method: "PUT", path: "/bkt/aborted", query: "partNumber=1&uploadId=" + id, body: p1}, status: 200},
			{name: "abort", call: call{method: "DELETE", path: "/bkt/aborted", query: "uploadId=" + id}, status: 204},
			{name: "abort again", call: call{method: "DELETE", path: "/bkt/aborted", query: "uploadId=" + id}, status: 404, code: "NoSuchUpload"},
			{name: "no object", call: call{path: "/bkt/aborted"}, status: 404, code: "NoSuchKey"},
		})
	})

	t.Run("part copy", func(t *testing.T) {
		id := e.createUpload(t, "/bkt/copied", nil)
		q := func(n int) string { return fmt.Sprintf("partNumber=%d&uploadId=%s", n, id) }
		first := []byte("0123456789abcdefghij")[0:10]
		var etags []string
		runSteps(t, e, []step{
			{name: "range", call: call{method: "PUT", path: "/bkt/copied", query: q(1), header: map[string]string{
				"x-amz-copy-source": "/bkt/source", "x-amz-copy-source-range": "bytes=0-9"}}, status: 200,
				contains:   []string{"<CopyPartResult", md5Hex(first)},
				checkAfter: func(t *testing.T, e *testEnv, r result) { etags = append(etags, `"`+md5Hex(first)+`"`) }},
			{name: "whole", call: call{method: "PUT", path: "/bkt/copied", query: q(2), header: map[string]string{"x-amz-copy-source": "/bkt/source"}}, status: 200,
				checkAfter: func(t *testing.T, e *testEnv, r result) {
					etags = append(etags, `"`+md5Hex([]byte("0123456789abcdefghij"))+`"`)
				}},
			{name: "bad range", call: call{method: "PUT", path: "/bkt/copied", query: q(3), header: map[string]string{
				"x-amz-copy-source": "/bkt/source", "x-amz-copy-source-range": "bytes=5-"}}, status: 400, code: "InvalidArgument"},
			{name: "missing source", call: call{method: "PUT", path: "/bkt/copied", query: q(3), header: map[string]string{"x-amz-copy-source": "/bkt/nope"}}, status: 404, code: "NoSuchKey"},
		})
		r := e.do(call{method: "POST", path: "/bkt/copied", query: "uploadId=" + id, body: completeDoc(etags...)})
		if r.status != 200 {
			t.Fatalf("complete: %d %s", r.status, r.body)
		}
		r = e.do(call{path: "/bkt/copied"})
		if string(r.body) != "0123456789"+"0123456789abcdefghij" {
			t.Fatalf("read back %q", r.body)
		}
	})
}
