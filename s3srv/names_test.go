package s3srv

import (
	"context"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

func TestBucketNames(t *testing.T) {
	e := newTestEnv(t)
	tests := []struct {
		name   string
		bucket string
		ok     bool
	}{
		{"three characters", "abc", true},
		{"sixty-three characters", strings.Repeat("a", 63), true},
		{"dots and dashes", "my.bucket-01", true},
		{"digits only", "123", true},
		{"two characters", "ab", false},
		{"sixty-four characters", strings.Repeat("a", 64), false},
		{"upper case", "MyBucket", false},
		{"underscore", "my_bucket", false},
		{"starts with a dash", "-bucket", false},
		{"ends with a dash", "bucket-", false},
		{"starts with a dot", ".bucket", false},
		{"ends with a dot", "bucket.", false},
		{"adjacent dots", "my..bucket", false},
		{"IP address", "192.168.5.4", false},
		{"xn-- prefix", "xn--bucket", false},
		{"-s3alias suffix", "bucket-s3alias", false},
		{"--ol-s3 suffix", "bucket--ol-s3", false},
		{"sthree- prefix", "sthree-bucket", false},
		{"space", "my%20bucket", false},
		{"UTF-8", "b%C3%BCcket", false},
	}
	var steps []step
	for _, tc := range tests {
		st := step{name: tc.name, call: call{method: "PUT", path: "/" + tc.bucket}, status: 200}
		if !tc.ok {
			st.status, st.code = 400, "InvalidBucketName"
		}
		steps = append(steps, st)
	}
	steps = append(steps,
		step{name: "invalid name is no bucket", call: call{path: "/MyBucket"}, status: 404, code: "NoSuchBucket"},
		step{name: "head invalid name", call: call{method: "HEAD", path: "/MyBucket"}, status: 404},
	)
	runSteps(t, e, steps)
}

// nameKeys are the keys every signature and operation must carry byte for
// byte.
var nameKeys = []string{
	"plain",
	"with space",
	"a+b",
	"100%",
	"50%25",
	"question?mark",
	"hash#tag",
	"tilde~",
	"amp&er=sand",
	"semi;colon,comma",
	"paren(s)[b]{c}",
	"excl!am*ation'",
	"at@dollar$",
	"caret^pipe|back`tick",
	"emoji-🦀🎉",
	"日本語/ファイル名 (1).txt",
	"한국어/파일",
	"Ελληνικά",
	"deep/dir/tree/leaf",
	"trailing.dot.",
	"%2F-literal",
	"plus+and space+",
	`quote"less<than>`,
}

// lightEscape is how some clients put a key in a path: only what would
// break the URL is escaped; "+", "!", "'", "(", ")" and "," stay as they are.
func lightEscape(key string) string {
	return (&url.URL{Path: key}).EscapedPath()
}

func TestKeyNamesEverywhere(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	ctx := objstore.WithCaller(context.Background(), testOwner)
	for _, auth := range []string{"v4", "v2"} {
		for _, k := range nameKeys {
			t.Run(auth+"/"+k, func(t *testing.T) {
				p := "/bkt/" + escapeKey(k)
				body := []byte(auth + " content of " + k)
				must := func(what string, r result, status int) {
					t.Helper()
					if r.status != status {
						t.Fatalf("%s: %d, want %d: %s", what, r.status, status, r.body)
					}
				}
				must("put", e.do(call{method: "PUT", path: p, body: body, auth: auth}), 200)
				r := e.do(call{path: p, auth: auth})
				must("get", r, 200)
				if string(r.body) != string(body) {
					t.Fatalf("get returned %q", r.body)
				}
				must("get, lightly escaped", e.do(call{path: "/bkt/" + lightEscape(k), auth: auth}), 200)
				must("presigned get", e.do(call{path: p, auth: "presign-" + auth}), 200)
				must("head", e.do(call{method: "HEAD", path: p, auth: auth}), 200)

				// The mount sees the same name: walk it from the root.
				info, err := e.store.HeadObject(ctx, "bkt", k)
				if err != nil {
					t.Fatal(err)
				}
				dir := objstore.RootIno
				for _, seg := range append([]string{"bkt"}, strings.Split(k, "/")...) {
					a, err := e.store.Lookup(ctx, dir, seg)
					if err != nil {
						t.Fatalf("lookup %q: %v", seg, err)
					}
					dir = a.Ino
				}
				if dir != info.Ino {
					t.Fatalf("mount path resolves to inode %d, object is %d", dir, info.Ino)
				}

				list := e.do(call{path: "/bkt", query: "list-type=2&prefix=" + escapeQuery(k), auth: auth})
				if !strings.Contains(string(list.body), "<Key>"+xmlEscape(k)+"</Key>") {
					t.Fatalf("list lacks the key: %s", list.body)
				}

				cp := "/bkt/" + escapeKey(k+".copy")
				must("copy", e.do(call{method: "PUT", path: cp, auth: auth, header: map[string]string{"x-amz-copy-source": "/bkt/" + escapeKey(k)}}), 200)
				r = e.do(call{path: cp, auth: auth})
				if string(r.body) != string(body) {
					t.Fatalf("copy read back %q", r.body)
				}

				mp := "/bkt/" + escapeKey(k+".mp")
				id := e.createUploadAuth(t, mp, auth)
				must("upload part", e.do(call{method: "PUT", path: mp, query: "partNumber=1&uploadId=" + id, body: body, auth: auth}), 200)
				ups := e.do(call{path: "/bkt", query: "uploads&prefix=" + escapeQuery(k), auth: auth})
				if !strings.Contains(string(ups.body), "<Key>"+xmlEscape(k+".mp")+"</Key>") {
					t.Fatalf("uploads lack the key: %s", ups.body)
				}
				must("complete", e.do(call{method: "POST", path: mp, query: "uploadId=" + id, body: completeDoc(`"` + md5Hex(body) + `"`), auth: auth}), 200)
				r = e.do(call{path: mp, auth: auth})
				if string(r.body) != string(body) {
					t.Fatalf("multipart read back %q", r.body)
				}

				must("delete", e.do(call{method: "DELETE", path: p, auth: auth}), 204)
				must("deleted", e.do(call{path: p, auth: auth}), 404)
				del := `<Delete><Object><Key>` + xmlEscape(k+".copy") + `</Key></Object><Object><Key>` + xmlEscape(k+".mp") + `</Key></Object></Delete>`
				r = e.do(call{method: "POST", path: "/bkt", query: "delete", body: []byte(del), auth: auth,
					header: map[string]string{"Content-MD5": md5Base64([]byte(del))}})
				must("delete objects", r, 200)
				var dr struct {
					Deleted []struct{ Key string }
				}
				if err := xml.Unmarshal(r.body, &dr); err != nil || len(dr.Deleted) != 2 || dr.Deleted[0].Key != k+".copy" {
					t.Fatalf("delete objects: %v %s", err, r.body)
				}
				must("copy deleted", e.do(call{path: cp, auth: auth}), 404)
			})
		}
	}
}

func (e *testEnv) createUploadAuth(t *testing.T, path, auth string) string {
	t.Helper()
	r := e.do(call{method: "POST", path: path, query: "uploads", auth: auth})
	if r.status != 200 {
		t.Fatalf("create upload: %d %s", r.status, r.body)
	}
	var doc struct{ UploadId string }
	if err := xml.Unmarshal(r.body, &doc); err != nil || doc.UploadId == "" {
		t.Fatalf("create upload: %v %s", err, r.body)
	}
	return doc.UploadId
}
