package s3srv

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"testing"
	"time"
)

// postForm builds a browser upload: fields in order, then the file, then
// trailing fields (which the server must ignore).
type testForm struct {
	fields   [][2]string
	file     []byte
	filename string
	after    [][2]string
	noFile   bool
}

func (f testForm) encode() (body []byte, contentType string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, kv := range f.fields {
		_ = w.WriteField(kv[0], kv[1])
	}
	if !f.noFile {
		name := f.filename
		if name == "" {
			name = "upload.bin"
		}
		fw, _ := w.CreateFormFile("file", name)
		_, _ = fw.Write(f.file)
	}
	for _, kv := range f.after {
		_ = w.WriteField(kv[0], kv[1])
	}
	_ = w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// policyB64 encodes a policy document expiring at exp.
func policyB64(exp time.Time, conditions ...any) string {
	doc, _ := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conditions})
	return base64.StdEncoding.EncodeToString(doc)
}

// v4Fields signs a policy the way browsers' SDK helpers do; the
// credential fields are added to the conditions.
func (e *testEnv) v4Fields(exp time.Time, secret string, conditions ...any) [][2]string {
	date := e.now.Format("20060102")
	cred := testAccess + "/" + date + "/" + testRegion + "/s3/aws4_request"
	amzDate := e.now.Format(amzDateFormat)
	conditions = append(conditions,
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": amzDate})
	p := policyB64(exp, conditions...)
	sig := hmacHex(clientSigningKey(secret, date), p)
	return [][2]string{{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, {"x-amz-credential", cred}, {"x-amz-date", amzDate},
		{"policy", p}, {"x-amz-signature", sig}}
}

func postCall(path string, f testForm) call {
	body, ct := f.encode()
	return call{method: "POST", path: path, body: body, auth: "none", header: map[string]string{"Content-Type": ct}}
}

func TestPostObject(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	exp := e.now.Add(time.Hour)
	data := []byte("uploaded from a browser")
	base := []any{
		map[string]string{"bucket": "bkt"},
		[]any{"starts-with", "$key", "user/"},
		[]any{"content-length-range", 1, 100},
	}
	with := func(extra ...any) []any { return append(append([]any{}, base...), extra...) }
	auth := e.v4Fields(exp, testSecret, base...)
	form := func(fields ...[2]string) testForm {
		return testForm{fields: append(append([][2]string{}, fields...), auth...), file: data}
	}
	signedForm := func(conds []any, fields ...[2]string) testForm {
		return testForm{fields: append(append([][2]string{}, fields...), e.v4Fields(exp, testSecret, conds...)...), file: data}
	}
	v2 := func(conds []any, fields ...[2]string) testForm {
		p := policyB64(exp, conds...)
		m := hmac.New(sha1.New, []byte(testSecret))
		m.Write([]byte(p))
		fs := append(append([][2]string{}, fields...), [2]string{"AWSAccessKeyId", testAccess}, [2]string{"policy", p},
			[2]string{"signature", base64.StdEncoding.EncodeToString(m.Sum(nil))})
		return testForm{fields: fs, file: data}
	}
	truncated := func() call {
		c := postCall("/bkt", form([2]string{"key", "user/cut"}))
		c.body = c.body[:bytes.Index(c.body, data)+5]
		return c
	}()
	runSteps(t, e, []step{
		{name: "upload", call: postCall("/bkt", form([2]string{"key", "user/a.txt"})), status: 204,
			headers: map[string]string{"ETag": `"` + md5Hex(data) + `"`, "Location": e.ts.URL + "/bkt/user/a.txt"}},
		{name: "read back", call: call{path: "/bkt/user/a.txt"}, status: 200, body: string(data), headers: map[string]string{"Content-Type": "binary/octet-stream"}},
		{name: "status 201", call: postCall("/bkt", signedForm(with(map[string]string{"success_action_status": "201"}),
			[2]string{"key", "user/b.txt"}, [2]string{"success_action_status", "201"})), status: 201,
			contains: []string{"<PostResponse><Location>" + e.ts.URL + "/bkt/user/b.txt</Location><Bucket>bkt</Bucket><Key>user/b.txt</Key><ETag>&#34;" + md5Hex(data)}},
		{name: "status 200", call: postCall("/bkt", signedForm(with([]any{"eq", "$success_action_status", "200"}),
			[2]string{"key", "user/c.txt"}, [2]string{"success_action_status", "200"})), status: 200, emptyBody: true},
		{name: "redirect", call: postCall("/bkt", signedForm(with([]any{"starts-with", "$success_action_redirect", "https://example.org/"}),
			[2]string{"key", "user/d.txt"}, [2]string{"success_action_redirect", "https://example.org/done?x=1"})), status: 303,
			headers: map[string]string{"Location": "https://example.org/done?bucket=bkt&etag=%22" + md5Hex(data) + "%22&key=user%2Fd.txt&x=1"}},
		{name: "filename and metadata", call: postCall("/bkt", signedForm(with(
			[]any{"starts-with", "$Content-Type", "text/"}, map[string]string{"x-amz-meta-origin": "form"},
			[]any{"starts-with", "$tagging", ""}, []any{"eq", "$Cache-Control", "no-cache"}),
			[2]string{"key", "user/${filename}"}, [2]string{"Content-Type", "text/plain"}, [2]string{"x-amz-meta-origin", "form"},
			[2]string{"tagging", "<Tagging><TagSet><Tag><Key>via</Key><Value>post</Value></Tag></TagSet></Tagging>"},
			[2]string{"Cache-Control", "no-cache"})), status: 204},
		{name: "filename substituted", call: call{method: "HEAD", path: "/bkt/user/upload.bin"}, status: 200,
			headers: map[string]string{"Content-Type": "text/plain", "X-Amz-Meta-Origin": "form", "X-Amz-Tagging-Count": "1", "Cache-Control": "no-cache"}},
		{name: "x-ignore field", call: postCall("/bkt", form([2]string{"key", "user/e.txt"}, [2]string{"x-ignore-me", "1"})), status: 204},
		{name: "fields after the file are ignored", call: postCall("/bkt", testForm{fields: append([][2]string{{"key", "user/f.txt"}}, auth...), file: data,
			after: [][2]string{{"key", "elsewhere"}, {"unlisted", "x"}}}), status: 204},
		{name: "f.txt stored", call: call{path: "/bkt/user/f.txt"}, status: 200, body: string(data)},
		{name: "sigv2", call: postCall("/bkt", v2(base, [2]string{"key", "user/v2.txt"})), status: 204},
		{name: "sigv2 read back", call: call{path: "/bkt/user/v2.txt"}, status: 200, body: string(data)},
		{name: "checksum verified", call: postCall("/bkt", signedForm(with(map[string]string{"x-amz-checksum-crc32": crc32Base64(data)}),
			[2]string{"key", "user/crc"}, [2]string{"x-amz-checksum-crc32", crc32Base64(data)})), status: 204},
		{name: "checksum stored", call: call{method: "HEAD", path: "/bkt/user/crc", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}}, status: 200,
			headers: map[string]string{"X-Amz-Checksum-Crc32": crc32Base64(data)}},
		{name: "checksum wrong", call: postCall("/bkt", signedForm(with(map[string]string{"x-amz-checksum-crc32": crc32Base64([]byte("x"))}),
			[2]string{"key", "user/badcrc"}, [2]string{"x-amz-checksum-crc32", crc32Base64([]byte("x"))})), status: 400, code: "BadDigest"},
		{name: "virtual-hosted", call: func() call {
			c := postCall("/", form([2]string{"key", "user/vh.txt"}))
			c.host = "bkt." + testDomain
			return c
		}(), status: 204, headers: map[string]string{"Location": "http://bkt." + testDomain + "/user/vh.txt"}},

		{name: "key outside the prefix", call: postCall("/bkt", form([2]string{"key", "other/a.txt"})), status: 403, code: "AccessDenied",
			contains: []string{"Policy Condition failed", "$key"}},
		{name: "extra field", call: postCall("/bkt", form([2]string{"key", "user/g.txt"}, [2]string{"Content-Type", "text/plain"})), status: 403,
			code: "AccessDenied", contains: []string{"Extra input fields: content-type"}},
		{name: "content type not allowed", call: postCall("/bkt", signedForm(with([]any{"starts-with", "$Content-Type", "image/"}),
			[2]string{"key", "user/h.txt"}, [2]string{"Content-Type", "text/html"})), status: 403, code: "AccessDenied"},
		{name: "file too large", call: postCall("/bkt", testForm{fields: append([][2]string{{"key", "user/big"}}, auth...), file: bytes.Repeat([]byte("x"), 101)}),
			status: 400, code: "EntityTooLarge"},
		{name: "file too small", call: postCall("/bkt", testForm{fields: append([][2]string{{"key", "user/small"}}, auth...), file: nil}),
			status: 400, code: "EntityTooSmall"},
		{name: "nothing stored", call: call{path: "/bkt", query: "prefix=user%2Fbig"}, status: 200, absent: []string{"<Key>"}},
		{name: "wrong bucket", call: postCall("/bkt", signedForm([]any{map[string]string{"bucket": "other"}, []any{"starts-with", "$key", ""}},
			[2]string{"key", "x"})), status: 403, code: "AccessDenied"},
		{name: "expired", call: postCall("/bkt", testForm{fields: append([][2]string{{"key", "user/i"}}, e.v4Fields(e.now.Add(-time.Minute), testSecret, base...)...), file: data}),
			status: 403, code: "AccessDenied", contains: []string{"Policy expired"}},
		{name: "wrong secret", call: postCall("/bkt", testForm{fields: append([][2]string{{"key", "user/j"}}, e.v4Fields(exp, "wrong", base...)...), file: data}),
			status: 403, code: "SignatureDoesNotMatch"},
		{name: "unsigned", call: postCall("/bkt", testForm{fields: [][2]string{{"key", "user/k"}}, file: data}), status: 403, code: "AccessDenied"},
		{name: "unknown key", call: postCall("/bkt", testForm{fields: [][2]string{{"key", "user/k"}, {"AWSAccessKeyId", "AKIDNOBODY"}, {"policy", "e30="}, {"signature", "eA=="}}, file: data}),
			status: 403, code: "InvalidAccessKeyId"},
		{name: "policy not base64", call: postCall("/bkt", func() testForm {
			f := v2(base, [2]string{"key", "user/l"})
			m := hmac.New(sha1.New, []byte(testSecret))
			m.Write([]byte("!!!"))
			f.fields[2][1], f.fields[3][1] = "!!!", base64.StdEncoding.EncodeToString(m.Sum(nil))
			return f
		}()), status: 400, code: "InvalidPolicyDocument"},
		{name: "missing key", call: postCall("/bkt", testForm{fields: auth, file: data}), status: 403, code: "AccessDenied"},
		{name: "missing file", call: postCall("/bkt", testForm{fields: append([][2]string{{"key", "user/m"}}, auth...), noFile: true}), status: 400, code: "InvalidArgument"},
		{name: "truncated form", call: truncated, status: 400, code: "IncompleteBody"},
		{name: "truncated left nothing", call: call{path: "/bkt/user/cut"}, status: 404},
		{name: "not a form", call: call{method: "POST", path: "/bkt", auth: "none", body: []byte("garbage"),
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=xyz"}}, status: 400, code: "MalformedPOSTRequest"},
		{name: "no boundary", call: call{method: "POST", path: "/bkt", auth: "none", body: []byte("garbage"),
			header: map[string]string{"Content-Type": "multipart/form-data"}}, status: 400, code: "MalformedPOSTRequest"},
		{name: "missing bucket", call: postCall("/nob", signedForm([]any{[]any{"starts-with", "$key", ""}}, [2]string{"key", "x"})), status: 404, code: "NoSuchBucket"},
	})
}

func TestPostPolicyParse(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := `"expiration": "2026-01-02T04:00:00.000Z"`
	tests := []struct {
		name    string
		doc     string
		fields  map[string]string
		wantErr string
	}{
		{name: "exact", doc: `{` + exp + `, "conditions": [{"key": "a"}, {"bucket": "b"}]}`, fields: map[string]string{"key": "a"}},
		{name: "exact with dollar", doc: `{` + exp + `, "conditions": [["eq", "$key", "a"]]}`, fields: map[string]string{"key": "a"}},
		{name: "field names ignore case", doc: `{` + exp + `, "conditions": [["eq", "$Content-Type", "x/y"]]}`, fields: map[string]string{"content-type": "x/y"}},
		{name: "starts-with anything", doc: `{` + exp + `, "conditions": [["starts-with", "$key", ""]]}`, fields: map[string]string{"key": "zzz"}},
		{name: "content type list", doc: `{` + exp + `, "conditions": [["starts-with", "$Content-Type", "image/,video/"]]}`, fields: map[string]string{"content-type": "video/mp4"}},
		{name: "length range as strings", doc: `{` + exp + `, "conditions": [["content-length-range", "0", "10"]]}`, fields: map[string]string{}},
		{name: "time without millis", doc: `{"expiration": "2026-01-02T04:00:00Z", "conditions": []}`, fields: map[string]string{}},
		{name: "expired", doc: `{"expiration": "2026-01-02T03:04:05.000Z", "conditions": []}`, wantErr: "AccessDenied"},
		{name: "mismatch", doc: `{` + exp + `, "conditions": [{"key": "a"}]}`, fields: map[string]string{"key": "b"}, wantErr: "AccessDenied"},
		{name: "missing field", doc: `{` + exp + `, "conditions": [{"key": "a"}]}`, fields: map[string]string{}, wantErr: "AccessDenied"},
		{name: "uncovered field", doc: `{` + exp + `, "conditions": []}`, fields: map[string]string{"acl": "private"}, wantErr: "AccessDenied"},
		{name: "wrong bucket", doc: `{` + exp + `, "conditions": [{"bucket": "c"}]}`, wantErr: "AccessDenied"},
		{name: "not JSON", doc: `expiration`, wantErr: "InvalidPolicyDocument"},
		{name: "no expiration", doc: `{"conditions": []}`, wantErr: "InvalidPolicyDocument"},
		{name: "no conditions", doc: `{` + exp + `}`, wantErr: "InvalidPolicyDocument"},
		{name: "bad expiration", doc: `{"expiration": "tomorrow", "conditions": []}`, wantErr: "InvalidPolicyDocument"},
		{name: "unknown operator", doc: `{` + exp + `, "conditions": [["ends-with", "$key", "a"]]}`, wantErr: "InvalidPolicyDocument"},
		{name: "field without dollar", doc: `{` + exp + `, "conditions": [["eq", "key", "a"]]}`, wantErr: "InvalidPolicyDocument"},
		{name: "two fields in one object", doc: `{` + exp + `, "conditions": [{"key": "a", "acl": "b"}]}`, wantErr: "InvalidPolicyDocument"},
		{name: "number value", doc: `{` + exp + `, "conditions": [{"key": 1}]}`, wantErr: "InvalidPolicyDocument"},
		{name: "reversed length range", doc: `{` + exp + `, "conditions": [["content-length-range", 10, 1]]}`, wantErr: "InvalidPolicyDocument"},
		{name: "negative length", doc: `{` + exp + `, "conditions": [["content-length-range", -1, 1]]}`, wantErr: "InvalidPolicyDocument"},
		{name: "short array", doc: `{` + exp + `, "conditions": [["eq", "$key"]]}`, wantErr: "InvalidPolicyDocument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parsePostPolicy([]byte(tc.doc))
			if err == nil {
				err = p.check(tc.fields, "b", now)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if api, _ := toAPIError(err); err == nil || api.Code != tc.wantErr {
				t.Fatalf("err %v, want %s", err, tc.wantErr)
			}
		})
	}
}
