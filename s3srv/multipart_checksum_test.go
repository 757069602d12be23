package s3srv

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

func sumBase64(alg string, b []byte) string {
	h := objstore.ChecksumAlgorithmNamed(alg).New()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// completeDocWith lists parts 1..n with their ETags and, where given,
// their checksums as <Checksum{elem}>.
func completeDocWith(elem string, etags, sums []string) []byte {
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for i, et := range etags {
		fmt.Fprintf(&b, "<Part><ETag>%s</ETag><PartNumber>%d</PartNumber>", et, i+1)
		if i < len(sums) && sums[i] != "" {
			fmt.Fprintf(&b, "<Checksum%s>%s</Checksum%s>", elem, sums[i], elem)
		}
		b.WriteString("</Part>")
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

func TestMultipartChecksumsThroughTheDoor(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/source", body: []byte("0123456789abcdefghij")})
	p1, p2 := bytes.Repeat([]byte("a"), 20), bytes.Repeat([]byte("b"), 20)
	p3 := []byte("0123456789") // copied from /bkt/source
	id := e.createUpload(t, "/bkt/sum", map[string]string{"x-amz-checksum-algorithm": "CRC32"})
	q := func(n int) string { return fmt.Sprintf("partNumber=%d&uploadId=%s", n, id) }
	c1, c2, c3 := crc32Base64(p1), crc32Base64(p2), crc32Base64(p3)
	// The composite checksum: CRC32 of the concatenated part CRC32s.
	var raw []byte
	for _, c := range []string{c1, c2, c3} {
		b, _ := base64.StdEncoding.DecodeString(c)
		raw = append(raw, b...)
	}
	composite := crc32Base64(raw) + "-3"
	etags := []string{`"` + md5Hex(p1) + `"`, `"` + md5Hex(p2) + `"`, `"` + md5Hex(p3) + `"`}
	runSteps(t, e, []step{
		{name: "part without checksum", call: call{method: "PUT", path: "/bkt/sum", query: q(1), body: p1}, status: 400, code: "InvalidRequest"},
		{name: "part with another algorithm", call: call{method: "PUT", path: "/bkt/sum", query: q(1), body: p1,
			header: map[string]string{"x-amz-checksum-sha1": sumBase64("sha1", p1)}}, status: 400, code: "InvalidRequest"},
		{name: "part with wrong checksum", call: call{method: "PUT", path: "/bkt/sum", query: q(1), body: p1,
			header: map[string]string{"x-amz-checksum-crc32": c2}}, status: 400, code: "BadDigest"},
		{name: "part 1", call: call{method: "PUT", path: "/bkt/sum", query: q(1), body: p1,
			header: map[string]string{"x-amz-checksum-crc32": c1}}, status: 200, headers: map[string]string{"x-amz-checksum-crc32": c1}},
		{name: "part 2", call: call{method: "PUT", path: "/bkt/sum", query: q(2), body: p2,
			header: map[string]string{"x-amz-checksum-crc32": c2}}, status: 200, headers: map[string]string{"x-amz-checksum-crc32": c2}},
		{name: "part 3 copied gets its checksum computed", call: call{method: "PUT", path: "/bkt/sum", query: q(3), header: map[string]string{
			"x-amz-copy-source": "/bkt/source", "x-amz-copy-source-range": "bytes=0-9"}}, status: 200,
			contains: []string{"<ChecksumCRC32>" + c3 + "</ChecksumCRC32>"}},
		{name: "list parts", call: call{path: "/bkt/sum", query: "uploadId=" + id}, status: 200,
			contains: []string{"<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>",
				"<Size>20</Size><ChecksumCRC32>" + c1 + "</ChecksumCRC32>", "<ChecksumCRC32>" + c3 + "</ChecksumCRC32>"}},
		{name: "list uploads", call: call{path: "/bkt", query: "uploads"}, status: 200,
			contains: []string{"<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>"}},
		{name: "complete without part checksums", call: call{method: "POST", path: "/bkt/sum", query: "uploadId=" + id,
			body: completeDocWith("CRC32", etags, []string{c1, "", c3})}, status: 400, code: "InvalidRequest"},
		{name: "complete with a wrong part checksum", call: call{method: "POST", path: "/bkt/sum", query: "uploadId=" + id,
			body: completeDocWith("CRC32", etags, []string{c1, c1, c3})}, status: 400, code: "InvalidPart"},
		{name: "complete with a wrong object checksum", call: call{method: "POST", path: "/bkt/sum", query: "uploadId=" + id,
			body:   completeDocWith("CRC32", etags, []string{c1, c2, c3}),
			header: map[string]string{"x-amz-checksum-crc32": "AAAAAA==-3"}}, status: 400, code: "BadDigest"},
		{name: "complete with another checksum type", call: call{method: "POST", path: "/bkt/sum", query: "uploadId=" + id,
			body:   completeDocWith("CRC32", etags, []string{c1, c2, c3}),
			header: map[string]string{"x-amz-checksum-type": "FULL_OBJECT"}}, status: 400, code: "InvalidRequest"},
		{name: "complete", call: call{method: "POST", path: "/bkt/sum", query: "uploadId=" + id,
			body:   completeDocWith("CRC32", etags, []string{c1, c2, c3}),
			header: map[string]string{"x-amz-checksum-crc32": composite}}, status: 200,
			contains: []string{"<ChecksumCRC32>" + composite + "</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType>"}},
		{name: "head with checksum mode", call: call{method: "HEAD", path: "/bkt/sum", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}},
			status: 200, headers: map[string]string{"x-amz-checksum-crc32": composite, "x-amz-checksum-type": "COMPOSITE"}},
		{name: "get with checksum mode", call: call{path: "/bkt/sum", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}},
			status: 200, body: string(p1) + string(p2) + string(p3), headers: map[string]string{"x-amz-checksum-crc32": composite}},
		{name: "attributes", call: call{path: "/bkt/sum", query: "attributes", header: map[string]string{"x-amz-object-attributes": "Checksum,ObjectParts"}},
			status: 200, contains: []string{"<Checksum><ChecksumCRC32>" + composite + "</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType></Checksum>",
				"<PartsCount>3</PartsCount>"}},
		{name: "copy recomputes a composite checksum", call: call{method: "PUT", path: "/bkt/sum-copy", header: map[string]string{"x-amz-copy-source": "/bkt/sum"}},
			status: 200, contains: []string{"<ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC32>" + crc32Base64(append(append(append([]byte{}, p1...), p2...), p3...)) + "</ChecksumCRC32>"}},
		{name: "copy with another algorithm", call: call{method: "PUT", path: "/bkt/sum-sha", header: map[string]string{"x-amz-copy-source": "/bkt/sum",
			"x-amz-checksum-algorithm": "SHA256"}}, status: 200,
			contains: []string{"<ChecksumSHA256>" + sumBase64("sha256", append(append(append([]byte{}, p1...), p2...), p3...)) + "</ChecksumSHA256>"},
			absent:   []string{"<ChecksumCRC32>"}},
		{name: "copy with unknown algorithm", call: call{method: "PUT", path: "/bkt/sum-bad", header: map[string]string{"x-amz-copy-source": "/bkt/sum",
			"x-amz-checksum-algorithm": "MD4"}}, status: 400, code: "InvalidRequest"},
		{name: "copy to itself changing the algorithm", call: call{method: "PUT", path: "/bkt/source", header: map[string]string{"x-amz-copy-source": "/bkt/source",
			"x-amz-checksum-algorithm": "CRC32C"}}, status: 200, contains: []string{"<ChecksumCRC32C>" + sumBase64("crc32c", []byte("0123456789abcdefghij"))}},
	})

	t.Run("full object crc64nvme by trailer", func(t *testing.T) {
		id := e.createUpload(t, "/bkt/full", map[string]string{"x-amz-checksum-algorithm": "CRC64NVME"})
		a, b := bytes.Repeat([]byte("x"), 20), []byte("tail")
		whole := sumBase64("crc64nvme", append(append([]byte{}, a...), b...))
		var etags []string
		for i, p := range [][]byte{a, b} {
			r := e.do(call{method: "PUT", path: "/bkt/full", query: fmt.Sprintf("partNumber=%d&uploadId=%s", i+1, id),
				payloadHash: streamingUnsignedTrailer, body: unsignedChunks(p, 8, "x-amz-checksum-crc64nvme:"+sumBase64("crc64nvme", p)+"\n"),
				header: map[string]string{"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": fmt.Sprint(len(p)),
					"X-Amz-Trailer": "x-amz-checksum-crc64nvme"}})
			if r.status != 200 || r.header.Get("x-amz-checksum-crc64nvme") != sumBase64("crc64nvme", p) {
				t.Fatalf("part %d: %d %v %s", i+1, r.status, r.header, r.body)
			}
			etags = append(etags, r.header.Get("ETag"))
		}
		// Full-object parts may be listed without checksums.
		r := e.do(call{method: "POST", path: "/bkt/full", query: "uploadId=" + id, body: completeDoc(etags...),
			header: map[string]string{"x-amz-checksum-crc64nvme": whole, "x-amz-checksum-type": "FULL_OBJECT"}})
		if r.status != 200 || !strings.Contains(string(r.body), "<ChecksumCRC64NVME>"+whole+"</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType>") {
			t.Fatalf("complete: %d %s", r.status, r.body)
		}
		r = e.do(call{method: "HEAD", path: "/bkt/full", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}})
		if r.header.Get("x-amz-checksum-crc64nvme") != whole || r.header.Get("x-amz-checksum-type") != "FULL_OBJECT" {
			t.Fatalf("head: %v", r.header)
		}
	})

	t.Run("create", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			header map[string]string
			status int
			code   string
			want   map[string]string
		}{
			{"crc32 full object", map[string]string{"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT"}, 200, "",
				map[string]string{"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT"}},
			{"sha256 composite by default", map[string]string{"x-amz-checksum-algorithm": "SHA256"}, 200, "",
				map[string]string{"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-type": "COMPOSITE"}},
			{"crc64nvme full object by default", map[string]string{"x-amz-checksum-algorithm": "CRC64NVME"}, 200, "",
				map[string]string{"x-amz-checksum-type": "FULL_OBJECT"}},
			{"sha1 full object", map[string]string{"x-amz-checksum-algorithm": "SHA1", "x-amz-checksum-type": "FULL_OBJECT"}, 400, "InvalidRequest", nil},
			{"crc64nvme composite", map[string]string{"x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE"}, 400, "InvalidRequest", nil},
			{"type without algorithm", map[string]string{"x-amz-checksum-type": "COMPOSITE"}, 400, "InvalidRequest", nil},
			{"unknown algorithm", map[string]string{"x-amz-checksum-algorithm": "MD5"}, 400, "InvalidRequest", nil},
			{"unknown type", map[string]string{"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "HALF"}, 400, "InvalidRequest", nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := e.do(call{method: "POST", path: "/bkt/created", query: "uploads", header: c.header})
				if r.status != c.status || r.code() != c.code {
					t.Fatalf("%d %s", r.status, r.body)
				}
				for k, v := range c.want {
					if got := r.header.Get(k); got != v {
						t.Errorf("%s: %q, want %q", k, got, v)
					}
				}
			})
		}
	})
}
