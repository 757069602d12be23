package s3srv

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// Virtual-hosted style ("<bucket>.<Domain>") and path style on the same
// listener, under every signature kind.
func TestVirtualHosted(t *testing.T) {
	e := newTestEnv(t)
	port := e.ts.URL[strings.LastIndex(e.ts.URL, ":"):]
	vh := func(bucket string) string { return bucket + "." + testDomain + port }
	data := []byte("virtually hosted")
	key := "dir/日本 語+1.txt"
	var steps []step
	steps = append(steps, []step{
		{name: "create", call: call{method: "PUT", path: "/", host: vh("vbkt")}, status: 200},
		{name: "create dotted", call: call{method: "PUT", path: "/", host: vh("v.bkt")}, status: 200},
		{name: "head bucket", call: call{method: "HEAD", path: "/", host: vh("vbkt")}, status: 200},
		{name: "bucket seen path style", call: call{method: "HEAD", path: "/vbkt"}, status: 200},
		{name: "dotted bucket seen path style", call: call{method: "HEAD", path: "/v.bkt"}, status: 200},
		{name: "location", call: call{path: "/", query: "location", host: vh("vbkt")}, status: 200, contains: []string{"<LocationConstraint"}},
	}...)
	for _, auth := range []string{"v4", "v2", "presign-v4", "presign-v2"} {
		k := auth + "/" + key
		p := "/" + escapeKey(k)
		steps = append(steps, []step{
			{name: auth + " put", call: call{method: "PUT", path: p, body: data, host: vh("vbkt"), auth: auth}, status: 200},
			{name: auth + " get", call: call{path: p, host: vh("vbkt"), auth: auth}, status: 200, body: string(data)},
			{name: auth + " get path style", call: call{path: "/vbkt" + p, auth: auth}, status: 200, body: string(data)},
			{name: auth + " head", call: call{method: "HEAD", path: p, host: vh("vbkt"), auth: auth}, status: 200},
			{name: auth + " list", call: call{path: "/", query: "prefix=" + escapeQuery(k), host: vh("vbkt"), auth: auth}, status: 200,
				contains: []string{"<Name>vbkt</Name>", "<Key>" + xmlEscape(k) + "</Key>"}},
			{name: auth + " list with trailing slash host", call: call{path: "/", query: "list-type=2", host: vh("vbkt"), auth: auth}, status: 200},
			{name: auth + " copy", call: call{method: "PUT", path: p + ".copy", host: vh("vbkt"), auth: auth,
				header: map[string]string{"x-amz-copy-source": "/vbkt" + p}}, status: 200},
			{name: auth + " acl", call: call{path: p, query: "acl", host: vh("vbkt"), auth: auth}, status: 200},
			{name: auth + " get missing", call: call{path: p + ".none", host: vh("vbkt"), auth: auth}, status: 404, code: "NoSuchKey",
				contains: []string{"<Resource>/vbkt/" + xmlEscape(k) + ".none</Resource>"}},
			{name: auth + " delete", call: call{method: "DELETE", path: p, host: vh("vbkt"), auth: auth}, status: 204},
			{name: auth + " deleted", call: call{path: "/vbkt" + p}, status: 404},
		}...)
	}
	steps = append(steps, []step{
		{name: "dotted bucket object", call: call{method: "PUT", path: "/o", body: data, host: vh("v.bkt")}, status: 200},
		{name: "dotted bucket object path style", call: call{path: "/v.bkt/o"}, status: 200, body: string(data)},
		{name: "host in upper case", call: call{path: "/o", host: strings.ToUpper(vh("v.bkt"))}, status: 200, body: string(data)},
		{name: "host with a trailing dot", call: call{path: "/o", host: "v.bkt." + testDomain + "." + port}, status: 200, body: string(data)},
		{name: "bare domain is path style", call: call{path: "/v.bkt/o", host: testDomain + port}, status: 200, body: string(data)},
		{name: "bare domain lists buckets", call: call{path: "/", host: testDomain + port}, status: 200, contains: []string{"<ListAllMyBucketsResult"}},
		{name: "other host is path style", call: call{path: "/v.bkt/o", host: "storage.example.org" + port}, status: 200, body: string(data)},
		{name: "unknown bucket", call: call{path: "/o", host: vh("nobkt")}, status: 404, code: "NoSuchBucket"},
		{name: "invalid bucket name", call: call{method: "PUT", path: "/", host: vh("x_y")}, status: 400, code: "InvalidBucketName"},
		{name: "presigned expired", call: call{path: "/o", host: vh("v.bkt"), auth: "presign-v4", signTime: e.now.Add(-2 * time.Hour), expires: time.Hour},
			status: 403, code: "AccessDenied"},
	}...)
	runSteps(t, e, steps)

	t.Run("multipart", func(t *testing.T) {
		r := e.do(call{method: "POST", path: "/mp", query: "uploads", host: vh("vbkt")})
		var doc struct{ UploadId, Bucket string }
		if err := xml.Unmarshal(r.body, &doc); err != nil || r.status != 200 || doc.Bucket != "vbkt" {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		runSteps(t, e, []step{
			{name: "part", call: call{method: "PUT", path: "/mp", query: "partNumber=1&uploadId=" + doc.UploadId, body: data, host: vh("vbkt")}, status: 200},
			{name: "list uploads", call: call{path: "/", query: "uploads", host: vh("vbkt"), auth: "v2"}, status: 200, contains: []string{doc.UploadId}},
			{name: "complete", call: call{method: "POST", path: "/mp", query: "uploadId=" + doc.UploadId, body: completeDoc(`"` + md5Hex(data) + `"`), host: vh("vbkt")},
				status: 200, contains: []string{"<Location>/vbkt/mp</Location>"}},
			{name: "read", call: call{path: "/vbkt/mp"}, status: 200, body: string(data)},
		})
	})
	t.Run("delete bucket", func(t *testing.T) {
		runSteps(t, e, []step{
			{name: "delete objects", call: call{method: "POST", path: "/", query: "delete", host: vh("v.bkt"),
				body: []byte("<Delete><Object><Key>o</Key></Object></Delete>")}, status: 200, contains: []string{"<Deleted><Key>o</Key>"}},
			{name: "delete", call: call{method: "DELETE", path: "/", host: vh("v.bkt")}, status: 204},
			{name: "gone", call: call{method: "HEAD", path: "/v.bkt"}, status: 404},
		})
	})
}
