package s3srv

import "testing"

// The storage class an object or upload was given shows in every listing;
// STANDARD where none was.
func TestStorageClassInListings(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/a-cold", body: []byte("x"), header: map[string]string{"x-amz-storage-class": "GLACIER_IR"}})
	e.do(call{method: "PUT", path: "/bkt/b-plain", body: []byte("y")})
	e.do(call{method: "PUT", path: "/bkt/c-copy", header: map[string]string{"x-amz-copy-source": "/bkt/b-plain", "x-amz-storage-class": "STANDARD_IA"}})
	id := e.createUpload(t, "/bkt/d-upload", map[string]string{"x-amz-storage-class": "ONEZONE_IA"})
	want := []string{
		"<Key>a-cold</Key>", "<StorageClass>GLACIER_IR</StorageClass>",
		"<StorageClass>STANDARD</StorageClass>", "<StorageClass>STANDARD_IA</StorageClass>",
	}
	runSteps(t, e, []step{
		{name: "list v1", call: call{path: "/bkt"}, status: 200, contains: want},
		{name: "list v2", call: call{path: "/bkt", query: "list-type=2"}, status: 200, contains: want},
		{name: "list versions", call: call{path: "/bkt", query: "versions"}, status: 200, contains: want},
		{name: "list uploads", call: call{path: "/bkt", query: "uploads"}, status: 200, contains: []string{"<StorageClass>ONEZONE_IA</StorageClass>"}},
		{name: "list parts", call: call{path: "/bkt/d-upload", query: "uploadId=" + id}, status: 200, contains: []string{"<StorageClass>ONEZONE_IA</StorageClass>"}},
		{name: "head standard has no header", call: call{method: "HEAD", path: "/bkt/b-plain"}, status: 200, headers: map[string]string{"x-amz-storage-class": ""}},
		{name: "head other class", call: call{method: "HEAD", path: "/bkt/c-copy"}, status: 200, headers: map[string]string{"x-amz-storage-class": "STANDARD_IA"}},
		{name: "put invalid class", call: call{method: "PUT", path: "/bkt/bad", body: []byte("z"), header: map[string]string{"x-amz-storage-class": "COLD"}},
			status: 400, code: "InvalidStorageClass"},
		{name: "copy invalid class", call: call{method: "PUT", path: "/bkt/bad", header: map[string]string{"x-amz-copy-source": "/bkt/b-plain", "x-amz-storage-class": "COLD"}},
			status: 400, code: "InvalidStorageClass"},
		{name: "create upload invalid class", call: call{method: "POST", path: "/bkt/bad", query: "uploads", header: map[string]string{"x-amz-storage-class": "COLD"}},
			status: 400, code: "InvalidStorageClass"},
	})
}
