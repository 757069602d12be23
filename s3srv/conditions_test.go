package s3srv

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestConditionalRequests(t *testing.T) {
	e := newTestEnv(t)
	data := []byte("conditional")
	etag := `"` + md5Hex(data) + `"`
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/obj", body: data})
	// The object's time is the store's clock, which may have passed into
	// the next second after e.now was taken.
	lastModified := e.do(call{method: "HEAD", path: "/bkt/obj"}).header.Get("Last-Modified")
	past := e.now.Add(-time.Hour).Format(http.TimeFormat)
	future := e.now.Add(time.Hour).Format(http.TimeFormat)
	h := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	var steps []step
	// The same conditions give the same answers on GET and HEAD.
	for _, m := range []string{"GET", "HEAD"} {
		reads := []struct {
			name   string
			header map[string]string
			status int
		}{
			{"if-match", h("If-Match", etag), 200},
			{"if-match list", h("If-Match", `"x", `+etag), 200},
			{"if-match star", h("If-Match", "*"), 200},
			{"if-match unquoted", h("If-Match", md5Hex(data)), 200},
			{"if-match fails", h("If-Match", `"x"`), 412},
			{"if-none-match", h("If-None-Match", etag), 304},
			{"if-none-match weak", h("If-None-Match", "W/"+etag), 304},
			{"if-none-match star", h("If-None-Match", "*"), 304},
			{"if-none-match other", h("If-None-Match", `"x"`), 200},
			{"if-modified-since past", h("If-Modified-Since", past), 200},
			{"if-modified-since now", h("If-Modified-Since", lastModified), 304},
			{"if-unmodified-since past", h("If-Unmodified-Since", past), 412},
			{"if-unmodified-since future", h("If-Unmodified-Since", future), 200},
			{"bad date ignored", h("If-Unmodified-Since", "yesterday"), 200},
			// AWS: If-Match true and If-Unmodified-Since false is 200;
			// If-None-Match false and If-Modified-Since true is 304.
			{"if-match wins over if-unmodified-since", h("If-Match", etag, "If-Unmodified-Since", past), 200},
			{"if-none-match wins over if-modified-since", h("If-None-Match", etag, "If-Modified-Since", past), 304},
			{"if-match and if-none-match", h("If-Match", etag, "If-None-Match", etag), 304},
			{"412 before 304", h("If-Match", `"x"`, "If-None-Match", etag), 412},
		}
		for _, c := range reads {
			st := step{name: m + " " + c.name, call: call{method: m, path: "/bkt/obj", header: c.header}, status: c.status}
			switch {
			case c.status == 412 && m == "GET":
				st.code = "PreconditionFailed"
			case c.status == 304:
				st.emptyBody = true
				st.headers = map[string]string{"ETag": etag}
			}
			steps = append(steps, st)
		}
	}
	steps = append(steps, []step{
		{name: "get missing with if-match", call: call{path: "/bkt/none", header: h("If-Match", etag)}, status: 404, code: "NoSuchKey"},

		{name: "put if-none-match star on new", call: call{method: "PUT", path: "/bkt/new", body: data, header: h("If-None-Match", "*")}, status: 200},
		{name: "put if-none-match star on existing", call: call{method: "PUT", path: "/bkt/new", body: []byte("other"), header: h("If-None-Match", "*")},
			status: 412, code: "PreconditionFailed"},
		{name: "put if-none-match etag", call: call{method: "PUT", path: "/bkt/new", body: data, header: h("If-None-Match", etag)},
			status: 501, code: "NotImplemented"},
		{name: "put if-match", call: call{method: "PUT", path: "/bkt/new", body: []byte("v2"), header: h("If-Match", etag)}, status: 200},
		{name: "put if-match stale", call: call{method: "PUT", path: "/bkt/new", body: []byte("v3"), header: h("If-Match", etag)},
			status: 412, code: "PreconditionFailed"},
		{name: "put if-match missing", call: call{method: "PUT", path: "/bkt/none", body: data, header: h("If-Match", etag)},
			status: 404, code: "NoSuchKey"},
		{name: "failed conditional put kept the object", call: call{path: "/bkt/new"}, status: 200, body: "v2"},

		{name: "copy source if-match", call: call{method: "PUT", path: "/bkt/c1", header: h("x-amz-copy-source", "bkt/obj", "x-amz-copy-source-if-match", etag)}, status: 200},
		{name: "copy source if-match fails", call: call{method: "PUT", path: "/bkt/c2", header: h("x-amz-copy-source", "bkt/obj", "x-amz-copy-source-if-match", `"x"`)},
			status: 412, code: "PreconditionFailed"},
		{name: "copy source if-none-match fails", call: call{method: "PUT", path: "/bkt/c2", header: h("x-amz-copy-source", "bkt/obj", "x-amz-copy-source-if-none-match", etag)},
			status: 412, code: "PreconditionFailed"},
		{name: "copy source if-modified-since fails", call: call{method: "PUT", path: "/bkt/c2", header: h("x-amz-copy-source", "bkt/obj", "x-amz-copy-source-if-modified-since", future)},
			status: 412, code: "PreconditionFailed"},
		{name: "copy source if-unmodified-since", call: call{method: "PUT", path: "/bkt/c2", header: h("x-amz-copy-source", "bkt/obj", "x-amz-copy-source-if-unmodified-since", future)}, status: 200},
		{name: "copy source if-match with if-unmodified-since false", call: call{method: "PUT", path: "/bkt/c3",
			header: h("x-amz-copy-source", "bkt/obj", "x-amz-copy-source-if-match", etag, "x-amz-copy-source-if-unmodified-since", past)}, status: 200},
		{name: "copy source if-none-match false, if-modified-since true", call: call{method: "PUT", path: "/bkt/c4",
			header: h("x-amz-copy-source", "bkt/obj", "x-amz-copy-source-if-none-match", etag, "x-amz-copy-source-if-modified-since", past)},
			status: 412, code: "PreconditionFailed"},
		{name: "failed copy left nothing", call: call{path: "/bkt/c4"}, status: 404, code: "NoSuchKey"},
		{name: "copy destination if-none-match star", call: call{method: "PUT", path: "/bkt/c1", header: h("x-amz-copy-source", "bkt/obj", "If-None-Match", "*")},
			status: 412, code: "PreconditionFailed"},
		{name: "copy destination if-match", call: call{method: "PUT", path: "/bkt/c1", header: h("x-amz-copy-source", "bkt/new", "If-Match", etag)}, status: 200},
		{name: "copy destination if-match stale", call: call{method: "PUT", path: "/bkt/c1", header: h("x-amz-copy-source", "bkt/obj", "If-Match", etag)},
			status: 412, code: "PreconditionFailed"},
	}...)
	runSteps(t, e, steps)

	t.Run("complete", func(t *testing.T) {
		part := []byte("only part")
		pe := `"` + md5Hex(part) + `"`
		upload := func(key string) string {
			id := e.createUpload(t, "/bkt/"+key, nil)
			if r := e.do(call{method: "PUT", path: "/bkt/" + key, query: "partNumber=1&uploadId=" + id, body: part}); r.status != 200 {
				t.Fatalf("part: %d %s", r.status, r.body)
			}
			return id
		}
		id := upload("c2") // a copy of obj
		id2 := upload("fresh")
		runSteps(t, e, []step{
			{name: "if-none-match star on existing", call: call{method: "POST", path: "/bkt/c2", query: "uploadId=" + id, body: completeDoc(pe),
				header: h("If-None-Match", "*")}, status: 412, code: "PreconditionFailed"},
			{name: "upload survives", call: call{path: "/bkt/c2", query: "uploadId=" + id}, status: 200},
			{name: "if-match stale", call: call{method: "POST", path: "/bkt/c2", query: "uploadId=" + id, body: completeDoc(pe),
				header: h("If-Match", `"x"`)}, status: 412, code: "PreconditionFailed"},
			{name: "if-match", call: call{method: "POST", path: "/bkt/c2", query: "uploadId=" + id, body: completeDoc(pe),
				header: h("If-Match", etag)}, status: 200},
			{name: "if-none-match star on new", call: call{method: "POST", path: "/bkt/fresh", query: "uploadId=" + id2, body: completeDoc(pe),
				header: h("If-None-Match", "*")}, status: 200},
		})
	})

	t.Run("part copy", func(t *testing.T) {
		id := e.createUpload(t, "/bkt/pc", nil)
		q := func(n int) string { return fmt.Sprintf("partNumber=%d&uploadId=%s", n, id) }
		src := func(kv ...string) map[string]string {
			return h(append([]string{"x-amz-copy-source", "/bkt/obj"}, kv...)...)
		}
		runSteps(t, e, []step{
			{name: "if-match", call: call{method: "PUT", path: "/bkt/pc", query: q(1), header: src("x-amz-copy-source-if-match", etag)}, status: 200},
			{name: "if-match fails", call: call{method: "PUT", path: "/bkt/pc", query: q(1), header: src("x-amz-copy-source-if-match", `"x"`)},
				status: 412, code: "PreconditionFailed"},
			{name: "if-modified-since fails", call: call{method: "PUT", path: "/bkt/pc", query: q(1), header: src("x-amz-copy-source-if-modified-since", future)},
				status: 412, code: "PreconditionFailed"},
			{name: "first byte", call: call{method: "PUT", path: "/bkt/pc", query: q(2), header: src("x-amz-copy-source-range", "bytes=0-0")},
				status: 200, contains: []string{md5Hex(data[:1])}},
			{name: "last byte", call: call{method: "PUT", path: "/bkt/pc", query: q(3), header: src("x-amz-copy-source-range", "bytes=10-10")},
				status: 200, contains: []string{md5Hex(data[10:])}},
			{name: "whole by range", call: call{method: "PUT", path: "/bkt/pc", query: q(4), header: src("x-amz-copy-source-range", "bytes=0-10")},
				status: 200, contains: []string{md5Hex(data)}},
			{name: "past the end", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: src("x-amz-copy-source-range", "bytes=0-11")},
				status: 400, code: "InvalidArgument", contains: []string{"source object of size: 11"}},
			{name: "open range", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: src("x-amz-copy-source-range", "bytes=3-")},
				status: 400, code: "InvalidArgument"},
			{name: "suffix range", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: src("x-amz-copy-source-range", "bytes=-3")},
				status: 400, code: "InvalidArgument"},
			{name: "reversed", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: src("x-amz-copy-source-range", "bytes=5-2")},
				status: 400, code: "InvalidArgument"},
			{name: "signed number", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: src("x-amz-copy-source-range", "bytes=+1-2")},
				status: 400, code: "InvalidArgument"},
			{name: "no unit", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: src("x-amz-copy-source-range", "0-2")},
				status: 400, code: "InvalidArgument"},
			{name: "other version", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: h("x-amz-copy-source", "/bkt/obj?versionId=abc")},
				status: 404, code: "NoSuchVersion"},
			{name: "null version", call: call{method: "PUT", path: "/bkt/pc", query: q(5), header: h("x-amz-copy-source", "/bkt/obj?versionId=null")}, status: 200},
		})
	})
}

func TestRanges(t *testing.T) {
	e := newTestEnv(t)
	data := []byte("0123456789")
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/obj", body: data})
	e.do(call{method: "PUT", path: "/bkt/empty"})
	tests := []struct {
		name, path, rng string
		status          int
		body, crange    string
	}{
		{"first byte", "/bkt/obj", "bytes=0-0", 206, "0", "bytes 0-0/10"},
		{"closed", "/bkt/obj", "bytes=2-5", 206, "2345", "bytes 2-5/10"},
		{"open", "/bkt/obj", "bytes=7-", 206, "789", "bytes 7-9/10"},
		{"last byte", "/bkt/obj", "bytes=9-9", 206, "9", "bytes 9-9/10"},
		{"suffix", "/bkt/obj", "bytes=-4", 206, "6789", "bytes 6-9/10"},
		{"suffix longer than the object", "/bkt/obj", "bytes=-40", 206, string(data), "bytes 0-9/10"},
		{"end past the object", "/bkt/obj", "bytes=8-100", 206, "89", "bytes 8-9/10"},
		{"spaces", "/bkt/obj", "bytes= 1 - 2 ", 206, "12", "bytes 1-2/10"},
		{"start at the end", "/bkt/obj", "bytes=10-", 416, "", ""},
		{"start past the end", "/bkt/obj", "bytes=20-30", 416, "", ""},
		{"empty suffix", "/bkt/obj", "bytes=-0", 416, "", ""},
		{"reversed ignored", "/bkt/obj", "bytes=5-2", 200, string(data), ""},
		{"other unit ignored", "/bkt/obj", "items=0-1", 200, string(data), ""},
		{"garbage ignored", "/bkt/obj", "bytes=a-b", 200, string(data), ""},
		{"no dash ignored", "/bkt/obj", "bytes=3", 200, string(data), ""},
		{"several ranges ignored", "/bkt/obj", "bytes=0-1,4-5", 200, string(data), ""},
		{"empty object open range", "/bkt/empty", "bytes=0-", 416, "", ""},
		{"empty object suffix", "/bkt/empty", "bytes=-1", 416, "", ""},
	}
	var steps []step
	for _, tc := range tests {
		st := step{name: tc.name, call: call{path: tc.path, header: map[string]string{"Range": tc.rng}}, status: tc.status}
		switch tc.status {
		case 416:
			st.code = "InvalidRange"
		default:
			st.body = tc.body
			st.headers = map[string]string{"Content-Range": tc.crange}
		}
		steps = append(steps, st)
	}
	steps = append(steps, []step{
		{name: "part 1 is the object", call: call{path: "/bkt/obj", query: "partNumber=1"}, status: 200, body: string(data)},
		{name: "part 2", call: call{path: "/bkt/obj", query: "partNumber=2"}, status: 416, code: "InvalidPartNumber"},
		{name: "part 0", call: call{path: "/bkt/obj", query: "partNumber=0"}, status: 400, code: "InvalidArgument"},
		{name: "part not a number", call: call{path: "/bkt/obj", query: "partNumber=one"}, status: 400, code: "InvalidArgument"},
		{name: "part and range", call: call{path: "/bkt/obj", query: "partNumber=1", header: map[string]string{"Range": "bytes=0-1"}}, status: 400, code: "InvalidRequest"},
		{name: "head unsatisfiable", call: call{method: "HEAD", path: "/bkt/obj", header: map[string]string{"Range": "bytes=10-"}}, status: 416},
	}...)
	runSteps(t, e, steps)
}
