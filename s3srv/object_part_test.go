package s3srv

import (
	"bytes"
	"fmt"
	"testing"
)

// A completed multipart object answers GET/HEAD ?partNumber=N with that
// part's bytes, and GetObjectAttributes with its part list, paged.
func TestObjectParts(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	p1, p2, p3 := bytes.Repeat([]byte("a"), 10), bytes.Repeat([]byte("b"), 12), []byte("end")
	upload := func(key string, header map[string]string, sums bool) {
		t.Helper()
		id := e.createUpload(t, "/bkt/"+key, header)
		var etags, crcs []string
		// Uploaded as parts 2, 5 and 9: GET counts parts 1..3 in order,
		// the attributes list the numbers as uploaded.
		for i, p := range [][]byte{p1, p2, p3} {
			h := map[string]string{}
			if sums {
				h["x-amz-checksum-crc32"] = crc32Base64(p)
				crcs = append(crcs, crc32Base64(p))
			}
			n := []int{2, 5, 9}[i]
			if r := e.do(call{method: "PUT", path: "/bkt/" + key, query: fmt.Sprintf("partNumber=%d&uploadId=%s", n, id), body: p, header: h}); r.status != 200 {
				t.Fatalf("part %d: %d %s", n, r.status, r.body)
			}
			etags = append(etags, `"`+md5Hex(p)+`"`)
		}
		var doc bytes.Buffer
		doc.WriteString("<CompleteMultipartUpload>")
		for i, et := range etags {
			fmt.Fprintf(&doc, "<Part><ETag>%s</ETag><PartNumber>%d</PartNumber>", et, []int{2, 5, 9}[i])
			if sums {
				fmt.Fprintf(&doc, "<ChecksumCRC32>%s</ChecksumCRC32>", crcs[i])
			}
			doc.WriteString("</Part>")
		}
		doc.WriteString("</CompleteMultipartUpload>")
		if r := e.do(call{method: "POST", path: "/bkt/" + key, query: "uploadId=" + id, body: doc.Bytes()}); r.status != 200 {
			t.Fatalf("complete: %d %s", r.status, r.body)
		}
	}
	upload("sum", map[string]string{"x-amz-checksum-algorithm": "CRC32"}, true)
	upload("plain", nil, false)
	e.do(call{method: "PUT", path: "/bkt/single", body: []byte("single")})
	attrs := func(key string, h map[string]string) call {
		if h == nil {
			h = map[string]string{}
		}
		h["x-amz-object-attributes"] = "ObjectParts"
		return call{path: "/bkt/" + key, query: "attributes", header: h}
	}
	runSteps(t, e, []step{
		{name: "get part 1", call: call{path: "/bkt/sum", query: "partNumber=1"}, status: 206, body: string(p1),
			headers: map[string]string{"Content-Range": "bytes 0-9/25", "x-amz-mp-parts-count": "3", "Content-Length": "10"}},
		{name: "get part 2 with its checksum", call: call{path: "/bkt/sum", query: "partNumber=2", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}},
			status: 206, body: string(p2),
			headers: map[string]string{"Content-Range": "bytes 10-21/25", "x-amz-mp-parts-count": "3", "x-amz-checksum-crc32": crc32Base64(p2)}},
		{name: "head part 3", call: call{method: "HEAD", path: "/bkt/plain", query: "partNumber=3"}, status: 206, emptyBody: true,
			headers: map[string]string{"Content-Range": "bytes 22-24/25", "x-amz-mp-parts-count": "3", "Content-Length": "3"}},
		{name: "part 4 of 3", call: call{path: "/bkt/plain", query: "partNumber=4"}, status: 416, code: "InvalidPartNumber"},
		{name: "head part 4 of 3", call: call{method: "HEAD", path: "/bkt/plain", query: "partNumber=4"}, status: 416},
		{name: "single part object", call: call{path: "/bkt/single", query: "partNumber=1"}, status: 200, body: "single",
			headers: map[string]string{"x-amz-mp-parts-count": ""}},
		{name: "single part object, part 2", call: call{path: "/bkt/single", query: "partNumber=2"}, status: 416, code: "InvalidPartNumber"},
		{name: "attributes list the parts", call: attrs("sum", nil), status: 200, contains: []string{
			"<PartsCount>3</PartsCount>", "<MaxParts>1000</MaxParts>", "<IsTruncated>false</IsTruncated>",
			"<Part><ChecksumCRC32>" + crc32Base64(p1) + "</ChecksumCRC32><PartNumber>2</PartNumber><Size>10</Size></Part>",
			"<Part><ChecksumCRC32>" + crc32Base64(p2) + "</ChecksumCRC32><PartNumber>5</PartNumber><Size>12</Size></Part>",
			"<Part><ChecksumCRC32>" + crc32Base64(p3) + "</ChecksumCRC32><PartNumber>9</PartNumber><Size>3</Size></Part>"}},
		{name: "attributes paged", call: attrs("sum", map[string]string{"x-amz-max-parts": "1", "x-amz-part-number-marker": "2"}), status: 200,
			contains: []string{"<PartsCount>3</PartsCount>", "<PartNumberMarker>2</PartNumberMarker>", "<NextPartNumberMarker>5</NextPartNumberMarker>",
				"<MaxParts>1</MaxParts>", "<IsTruncated>true</IsTruncated>", "<PartNumber>5</PartNumber>"},
			absent: []string{"<PartNumber>2</PartNumber>", "<PartNumber>9</PartNumber>"}},
		{name: "attributes without a checksum: count only", call: attrs("plain", nil), status: 200,
			contains: []string{"<PartsCount>3</PartsCount>"}, absent: []string{"<Part>"}},
		{name: "attributes of a single part object", call: attrs("single", nil), status: 200, absent: []string{"<ObjectParts>"}},
		{name: "bad max-parts", call: attrs("sum", map[string]string{"x-amz-max-parts": "x"}), status: 400, code: "InvalidArgument"},
	})
}

// x-amz-mp-object-size must be the size the listed parts make.
func TestCompleteObjectSize(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	p1, p2 := bytes.Repeat([]byte("a"), 10), []byte("end")
	id := e.createUpload(t, "/bkt/obj", nil)
	for i, p := range [][]byte{p1, p2} {
		if r := e.do(call{method: "PUT", path: "/bkt/obj", query: fmt.Sprintf("partNumber=%d&uploadId=%s", i+1, id), body: p}); r.status != 200 {
			t.Fatalf("part %d: %d %s", i+1, r.status, r.body)
		}
	}
	complete := func(size string) call {
		return call{method: "POST", path: "/bkt/obj", query: "uploadId=" + id, body: completeDoc(`"`+md5Hex(p1)+`"`, `"`+md5Hex(p2)+`"`),
			header: map[string]string{"x-amz-mp-object-size": size}}
	}
	runSteps(t, e, []step{
		{name: "too small", call: complete("12"), status: 400, code: "InvalidRequest", contains: []string{"x-amz-mp-object-size"}},
		{name: "too large", call: complete("14"), status: 400, code: "InvalidRequest"},
		{name: "not a number", call: complete("thirteen"), status: 400, code: "InvalidArgument"},
		{name: "negative", call: complete("-13"), status: 400, code: "InvalidArgument"},
		{name: "nothing was committed", call: call{method: "HEAD", path: "/bkt/obj"}, status: 404},
		{name: "right size", call: complete("13"), status: 200},
		{name: "object", call: call{path: "/bkt/obj"}, status: 200, body: string(p1) + string(p2)},
	})
}
