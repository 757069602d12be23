package s3srv

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestStoredHeadersParse(t *testing.T) {
	tests := []struct {
		name    string
		header  map[string]string
		want    map[string]string
		wantErr string
	}{
		{name: "none", header: map[string]string{"Content-Type": "text/plain"}},
		{name: "all", header: map[string]string{
			"Cache-Control": "max-age=60", "Content-Disposition": `attachment; filename="a b.txt"`,
			"Content-Encoding": "gzip", "Content-Language": "ja", "Expires": "Thu, 01 Dec 2044 16:00:00 GMT",
			"X-Amz-Storage-Class": "STANDARD_IA", "X-Amz-Website-Redirect-Location": "/other",
		}, want: map[string]string{
			"cache-control": "max-age=60", "content-disposition": `attachment; filename="a b.txt"`,
			"content-encoding": "gzip", "content-language": "ja", "expires": "Thu, 01 Dec 2044 16:00:00 GMT",
			"x-amz-storage-class": "STANDARD_IA", "x-amz-website-redirect-location": "/other",
		}},
		{name: "aws-chunked alone is framing", header: map[string]string{"Content-Encoding": "aws-chunked"}},
		{name: "aws-chunked dropped from a list", header: map[string]string{"Content-Encoding": "aws-chunked, gzip"},
			want: map[string]string{"content-encoding": "gzip"}},
		{name: "standard is the default", header: map[string]string{"X-Amz-Storage-Class": "STANDARD"}},
		{name: "unknown class", header: map[string]string{"X-Amz-Storage-Class": "CHEAP"}, wantErr: "InvalidStorageClass"},
		{name: "lower-case class", header: map[string]string{"X-Amz-Storage-Class": "glacier"}, wantErr: "InvalidStorageClass"},
		{name: "redirect to site", header: map[string]string{"X-Amz-Website-Redirect-Location": "https://example.org/x"},
			want: map[string]string{"x-amz-website-redirect-location": "https://example.org/x"}},
		{name: "redirect without prefix", header: map[string]string{"X-Amz-Website-Redirect-Location": "example.org"}, wantErr: "InvalidArgument"},
		{name: "redirect too long", header: map[string]string{"X-Amz-Website-Redirect-Location": "/" + strings.Repeat("x", 2048)}, wantErr: "InvalidArgument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			got, err := storedHeaders(h)
			if tc.wantErr != "" {
				if api, _ := toAPIError(err); err == nil || api.Code != tc.wantErr {
					t.Fatalf("err %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !sameHeaders(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTagsParse(t *testing.T) {
	many := func(n int) string {
		var p []string
		for i := 0; i < n; i++ {
			p = append(p, "k"+itoa64(int64(i))+"=v")
		}
		return strings.Join(p, "&")
	}
	tests := []struct {
		name    string
		header  string
		want    int
		wantErr string
	}{
		{name: "empty", header: ""},
		{name: "two", header: "a=1&b=two%20words", want: 2},
		{name: "empty value", header: "a=", want: 1},
		{name: "ten", header: many(10), want: 10},
		{name: "eleven", header: many(11), wantErr: "InvalidTag"},
		{name: "duplicate key", header: "a=1&a=2", wantErr: "InvalidArgument"},
		{name: "bad escape", header: "a=%zz", wantErr: "InvalidArgument"},
		{name: "key of 128", header: strings.Repeat("k", 128) + "=v", want: 1},
		{name: "key of 129", header: strings.Repeat("k", 129) + "=v", wantErr: "InvalidTag"},
		{name: "key of 128 Japanese characters", header: strings.Repeat("%E6%97%A5", 128) + "=v", want: 1},
		{name: "value of 256", header: "k=" + strings.Repeat("v", 256), want: 1},
		{name: "value of 257", header: "k=" + strings.Repeat("v", 257), wantErr: "InvalidTag"},
		{name: "empty key", header: "=v", wantErr: "InvalidTag"},
		{name: "aws prefix", header: "aws:x=v", wantErr: "InvalidTag"},
		{name: "allowed punctuation", header: "a%2Bb-c=%3D.%3A%2F%40_", want: 1},
		{name: "refused punctuation", header: "a=%3Cscript%3E", wantErr: "InvalidTag"},
		{name: "invalid UTF-8", header: "a=%FF", wantErr: "InvalidTag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTaggingHeader(tc.header)
			if tc.wantErr != "" {
				if api, _ := toAPIError(err); err == nil || api.Code != tc.wantErr {
					t.Fatalf("err %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("got %v, %v; want %d tags", got, err, tc.want)
			}
		})
	}
	xmlTests := []struct {
		name, body, wantErr string
		want                int
	}{
		{name: "two", body: `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>`, want: 2},
		{name: "empty set", body: `<Tagging><TagSet/></Tagging>`},
		{name: "duplicate", body: `<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>`, wantErr: "InvalidTag"},
		{name: "malformed", body: `<Tagging><TagSet>`, wantErr: "MalformedXML"},
		{name: "not xml", body: `k=v`, wantErr: "MalformedXML"},
		{name: "other root", body: `<Tags></Tags>`, wantErr: "MalformedXML"},
	}
	for _, tc := range xmlTests {
		t.Run("xml "+tc.name, func(t *testing.T) {
			got, err := parseTaggingXML([]byte(tc.body))
			if tc.wantErr != "" {
				if api, _ := toAPIError(err); err == nil || api.Code != tc.wantErr {
					t.Fatalf("err %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != tc.want {
				t.Fatalf("got %v, %v; want %d tags", got, err, tc.want)
			}
		})
	}
}

func sha256Base64(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func TestObjectAttributes(t *testing.T) {
	e := newTestEnv(t)
	data := []byte("attributes of an object")
	e.do(call{method: "PUT", path: "/bkt"})
	tagXML := `<Tagging><TagSet><Tag><Key>project</Key><Value>x 1</Value></Tag><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`
	runSteps(t, e, []step{
		{name: "put with headers and tags", call: call{method: "PUT", path: "/bkt/obj", body: data, header: map[string]string{
			"Cache-Control": "no-cache", "Content-Disposition": "inline", "Content-Language": "en",
			"Expires": "Thu, 01 Dec 2044 16:00:00 GMT", "Content-Encoding": "identity",
			"x-amz-storage-class": "REDUCED_REDUNDANCY", "x-amz-website-redirect-location": "/elsewhere",
			"x-amz-tagging": "project=x%201&a=b", "x-amz-checksum-sha256": sha256Base64(data),
		}}, status: 200, headers: map[string]string{"X-Amz-Checksum-Sha256": sha256Base64(data)}},
		{name: "get returns headers", call: call{path: "/bkt/obj"}, status: 200, body: string(data), headers: map[string]string{
			"Cache-Control": "no-cache", "Content-Disposition": "inline", "Content-Language": "en",
			"Expires": "Thu, 01 Dec 2044 16:00:00 GMT", "Content-Encoding": "identity",
			"X-Amz-Storage-Class": "REDUCED_REDUNDANCY", "X-Amz-Website-Redirect-Location": "/elsewhere",
			"X-Amz-Tagging-Count": "2", "X-Amz-Checksum-Sha256": "",
		}},
		{name: "response override wins", call: call{path: "/bkt/obj", query: "response-cache-control=max-age%3D5"}, status: 200,
			headers: map[string]string{"Cache-Control": "max-age=5"}},
		{name: "head with checksum mode", call: call{method: "HEAD", path: "/bkt/obj", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}},
			status: 200, headers: map[string]string{"X-Amz-Checksum-Sha256": sha256Base64(data), "X-Amz-Checksum-Type": "FULL_OBJECT"}},
		{name: "get with checksum mode", call: call{path: "/bkt/obj", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}},
			status: 200, headers: map[string]string{"X-Amz-Checksum-Sha256": sha256Base64(data)}},
		{name: "range has no checksum", call: call{path: "/bkt/obj", header: map[string]string{"x-amz-checksum-mode": "ENABLED", "Range": "bytes=0-3"}},
			status: 206, body: "attr", headers: map[string]string{"X-Amz-Checksum-Sha256": ""}},
		{name: "get tagging", call: call{path: "/bkt/obj", query: "tagging"}, status: 200,
			contains: []string{`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>b</Value></Tag><Tag><Key>project</Key><Value>x 1</Value></Tag></TagSet></Tagging>`}},
		{name: "put tagging", call: call{method: "PUT", path: "/bkt/obj", query: "tagging", body: []byte(tagXML),
			header: map[string]string{"Content-MD5": md5Base64([]byte(tagXML))}}, status: 200},
		{name: "put tagging bad md5", call: call{method: "PUT", path: "/bkt/obj", query: "tagging", body: []byte(tagXML),
			header: map[string]string{"Content-MD5": md5Base64([]byte("x"))}}, status: 400, code: "BadDigest"},
		{name: "put tagging too many", call: call{method: "PUT", path: "/bkt/obj", query: "tagging",
			body: []byte("<Tagging><TagSet>" + strings.Repeat("<Tag><Key>k</Key><Value>v</Value></Tag>", 11) + "</TagSet></Tagging>")},
			status: 400, code: "InvalidTag"},
		{name: "put tagging malformed", call: call{method: "PUT", path: "/bkt/obj", query: "tagging", body: []byte("<Tagging")},
			status: 400, code: "MalformedXML"},
		{name: "put tagging missing object", call: call{method: "PUT", path: "/bkt/none", query: "tagging", body: []byte(tagXML)},
			status: 404, code: "NoSuchKey"},
		{name: "put tagging other version", call: call{method: "PUT", path: "/bkt/obj", query: "tagging&versionId=v1", body: []byte(tagXML)},
			status: 404, code: "NoSuchVersion"},
		{name: "tags replaced", call: call{path: "/bkt/obj", query: "tagging"}, status: 200,
			contains: []string{"<Key>project</Key><Value>x 1</Value>"}},
		{name: "get tagging missing", call: call{path: "/bkt/none", query: "tagging"}, status: 404, code: "NoSuchKey"},
		{name: "tagging with SigV2", call: call{path: "/bkt/obj", query: "tagging", auth: "v2"}, status: 200},
		{name: "delete tagging", call: call{method: "DELETE", path: "/bkt/obj", query: "tagging"}, status: 204},
		{name: "tags gone", call: call{path: "/bkt/obj", query: "tagging"}, status: 200, contains: []string{"<TagSet></TagSet>"}},
		{name: "no tag count", call: call{method: "HEAD", path: "/bkt/obj"}, status: 200, headers: map[string]string{"X-Amz-Tagging-Count": ""}},
		{name: "put with invalid tags", call: call{method: "PUT", path: "/bkt/badtags", body: data, header: map[string]string{"x-amz-tagging": "aws:k=v"}},
			status: 400, code: "InvalidTag"},
		{name: "invalid tags left nothing", call: call{path: "/bkt/badtags"}, status: 404},
		{name: "put with bad storage class", call: call{method: "PUT", path: "/bkt/badclass", body: data, header: map[string]string{"x-amz-storage-class": "FAST"}},
			status: 400, code: "InvalidStorageClass"},

		{name: "attributes", call: call{path: "/bkt/obj", query: "attributes", header: map[string]string{
			"x-amz-object-attributes": "ETag,Checksum,ObjectParts,StorageClass,ObjectSize"}}, status: 200,
			contains: []string{"<GetObjectAttributesResponse", "<ETag>" + md5Hex(data) + "</ETag>",
				"<Checksum><ChecksumSHA256>" + sha256Base64(data) + "</ChecksumSHA256><ChecksumType>FULL_OBJECT</ChecksumType></Checksum>",
				"<StorageClass>REDUCED_REDUNDANCY</StorageClass>", "<ObjectSize>23</ObjectSize>"},
			absent: []string{"<ObjectParts>"}, headers: map[string]string{"Last-Modified": httpTime(e.now)}},
		{name: "attributes subset", call: call{path: "/bkt/obj", query: "attributes", header: map[string]string{
			"x-amz-object-attributes": "ObjectSize"}}, status: 200,
			contains: []string{"<ObjectSize>23</ObjectSize>"}, absent: []string{"<ETag>", "<StorageClass>"}},
		{name: "attributes unknown", call: call{path: "/bkt/obj", query: "attributes", header: map[string]string{
			"x-amz-object-attributes": "Colour"}}, status: 400, code: "InvalidArgument"},
		{name: "attributes none", call: call{path: "/bkt/obj", query: "attributes"}, status: 400, code: "InvalidRequest"},
		{name: "attributes missing", call: call{path: "/bkt/none", query: "attributes", header: map[string]string{
			"x-amz-object-attributes": "ETag"}}, status: 404, code: "NoSuchKey"},
	})
}

func TestCopyDirectives(t *testing.T) {
	e := newTestEnv(t)
	data := []byte("copy me")
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/src", body: data, header: map[string]string{
		"Content-Type": "text/plain", "x-amz-meta-a": "1", "Cache-Control": "no-store",
		"x-amz-storage-class": "STANDARD_IA", "x-amz-website-redirect-location": "/r", "x-amz-tagging": "t=1",
	}})
	src := map[string]string{"x-amz-copy-source": "/bkt/src"}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range src {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	runSteps(t, e, []step{
		{name: "copy", call: call{method: "PUT", path: "/bkt/c1", header: src}, status: 200, contains: []string{"<CopyObjectResult"}},
		{name: "copy keeps metadata, headers and tags, not class or redirect", call: call{method: "HEAD", path: "/bkt/c1"}, status: 200,
			headers: map[string]string{"Content-Type": "text/plain", "X-Amz-Meta-A": "1", "Cache-Control": "no-store",
				"X-Amz-Storage-Class": "", "X-Amz-Website-Redirect-Location": "", "X-Amz-Tagging-Count": "1"}},
		{name: "copy with class", call: call{method: "PUT", path: "/bkt/c2", header: with(map[string]string{"x-amz-storage-class": "GLACIER_IR"})}, status: 200},
		{name: "class from the request, rest from the source", call: call{method: "HEAD", path: "/bkt/c2"}, status: 200,
			headers: map[string]string{"X-Amz-Storage-Class": "GLACIER_IR", "X-Amz-Meta-A": "1", "Cache-Control": "no-store"}},
		{name: "replace", call: call{method: "PUT", path: "/bkt/c3", header: with(map[string]string{
			"x-amz-metadata-directive": "REPLACE", "Content-Type": "application/json", "x-amz-meta-b": "2", "Content-Language": "de",
			"x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "u=2&v=3"})}, status: 200},
		{name: "replaced", call: call{method: "HEAD", path: "/bkt/c3"}, status: 200,
			headers: map[string]string{"Content-Type": "application/json", "X-Amz-Meta-B": "2", "X-Amz-Meta-A": "",
				"Cache-Control": "", "Content-Language": "de", "X-Amz-Tagging-Count": "2"}},
		{name: "replace tags with none", call: call{method: "PUT", path: "/bkt/c4", header: with(map[string]string{"x-amz-tagging-directive": "REPLACE"})}, status: 200},
		{name: "no tags", call: call{method: "HEAD", path: "/bkt/c4"}, status: 200, headers: map[string]string{"X-Amz-Tagging-Count": ""}},
		{name: "bad tagging directive", call: call{method: "PUT", path: "/bkt/c5", header: with(map[string]string{"x-amz-tagging-directive": "MERGE"})},
			status: 400, code: "InvalidArgument"},
		{name: "bad tags", call: call{method: "PUT", path: "/bkt/c5", header: with(map[string]string{"x-amz-tagging-directive": "REPLACE", "x-amz-tagging": "a=1&a=2"})},
			status: 400, code: "InvalidArgument"},
		{name: "copy to itself", call: call{method: "PUT", path: "/bkt/src", header: src}, status: 400, code: "InvalidRequest"},
		{name: "copy to itself changing class", call: call{method: "PUT", path: "/bkt/src", header: with(map[string]string{"x-amz-storage-class": "STANDARD"})}, status: 200},
		{name: "class changed in place", call: call{method: "HEAD", path: "/bkt/src"}, status: 200,
			headers: map[string]string{"X-Amz-Storage-Class": "", "X-Amz-Meta-A": "1", "X-Amz-Website-Redirect-Location": ""}},
	})
}
