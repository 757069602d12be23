package s3srv

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

type uploadsDoc struct {
	Uploads []struct {
		Key      string
		UploadId string
	} `xml:"Upload"`
	CommonPrefixes     []struct{ Prefix string }
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIdMarker string
	KeyMarker          string
	Prefix             string
	Delimiter          string
	EncodingType       string
	MaxUploads         int
}

func (e *testEnv) listUploads(t *testing.T, query string) uploadsDoc {
	t.Helper()
	r := e.do(call{path: "/bkt", query: "uploads&" + query})
	if r.status != 200 {
		t.Fatalf("list uploads %q: %d %s", query, r.status, r.body)
	}
	var d uploadsDoc
	if err := xml.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d uploadsDoc) entries() []string {
	var out []string
	for _, u := range d.Uploads {
		out = append(out, u.Key)
	}
	for _, p := range d.CommonPrefixes {
		out = append(out, p.Prefix+"(p)")
	}
	return out
}

func TestListMultipartUploadsPaging(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	// Two uploads of "a/1" and many under "b/": a prefix must count once
	// and never be split across pages.
	keys := []string{"a-", "a/1", "a/1", "a/2/x", "b/1", "b/2", "b/3", "b/4", "c d", "c+d", "d"}
	for _, k := range keys {
		e.createUpload(t, "/bkt/"+escapeKey(k), nil)
	}
	tests := []struct {
		name, query, want string
		truncated         bool
		next              string
	}{
		{name: "all", query: "", want: "a-,a/1,a/1,a/2/x,b/1,b/2,b/3,b/4,c d,c+d,d"},
		{name: "delimiter", query: "delimiter=%2F", want: "a-,c d,c+d,d,a/(p),b/(p)"},
		{name: "delimiter, page of 2", query: "delimiter=%2F&max-uploads=2", want: "a-,a/(p)", truncated: true, next: "a/"},
		{name: "resume after a prefix", query: "delimiter=%2F&max-uploads=2&key-marker=a%2F", want: "c d,b/(p)", truncated: true, next: "c d"},
		{name: "prefix and delimiter", query: "prefix=a%2F&delimiter=%2F", want: "a/1,a/1,a/2/(p)"},
		{name: "prefix", query: "prefix=b", want: "b/1,b/2,b/3,b/4"},
		{name: "key marker", query: "key-marker=b%2F3", want: "b/4,c d,c+d,d"},
		{name: "max-uploads 0", query: "max-uploads=0", want: ""},
		{name: "url encoding", query: "encoding-type=url&prefix=c", want: "c%20d,c%2Bd"},
		{name: "url encoding of prefixes", query: "encoding-type=url&delimiter=%20", want: "a-,a/1,a/1,a/2/x,b/1,b/2,b/3,b/4,c%2Bd,d,c%20(p)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := e.listUploads(t, tc.query)
			if got := strings.Join(d.entries(), ","); got != tc.want {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
			if d.IsTruncated != tc.truncated || d.NextKeyMarker != tc.next {
				t.Errorf("IsTruncated %v NextKeyMarker %q", d.IsTruncated, d.NextKeyMarker)
			}
		})
	}
	for _, delim := range []string{"", "%2F"} {
		for _, page := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("paging delimiter=%s max=%d", delim, page), func(t *testing.T) {
				var got []string
				km, im := "", ""
				for i := 0; i < 30; i++ {
					d := e.listUploads(t, fmt.Sprintf("delimiter=%s&max-uploads=%d&key-marker=%s&upload-id-marker=%s", delim, page, escapeQuery(km), im))
					if n := len(d.Uploads) + len(d.CommonPrefixes); n > page || n == 0 && d.IsTruncated {
						t.Fatalf("page of %d entries", n)
					}
					got = append(got, d.entries()...)
					if !d.IsTruncated {
						break
					}
					km, im = d.NextKeyMarker, d.NextUploadIdMarker
				}
				want := e.listUploads(t, "delimiter="+delim).entries()
				sort.Strings(got)
				sort.Strings(want)
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("pages %q, want %q", got, want)
				}
			})
		}
	}
	runSteps(t, e, []step{
		{name: "bad max-uploads", call: call{path: "/bkt", query: "uploads&max-uploads=-1"}, status: 400, code: "InvalidArgument"},
		{name: "bad encoding", call: call{path: "/bkt", query: "uploads&encoding-type=base64"}, status: 400, code: "InvalidArgument"},
		{name: "missing bucket", call: call{path: "/nob", query: "uploads"}, status: 404, code: "NoSuchBucket"},
	})
}

func TestListEdges(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	ctx := objstore.WithCaller(context.Background(), testOwner)
	// 1005 keys: more than one full page.
	for i := 0; i < 1005; i++ {
		k := fmt.Sprintf("k/%04d", i)
		if _, err := e.store.PutObject(ctx, "bkt", k, bytes.NewReader(nil), 0, objstore.PutOptions{Owner: testOwner}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("max-keys above 1000", func(t *testing.T) {
		d := e.list(t, "list-type=2&max-keys=5000")
		if len(d.Contents) != 1000 || !d.IsTruncated || d.MaxKeys != 1000 || d.KeyCount != 1000 {
			t.Fatalf("%d keys, truncated %v, MaxKeys %d KeyCount %d", len(d.Contents), d.IsTruncated, d.MaxKeys, d.KeyCount)
		}
		d = e.list(t, "list-type=2&continuation-token="+escapeQuery(d.NextContinuationToken))
		if len(d.Contents) != 5 || d.IsTruncated || d.Contents[0].Key != "k/1000" {
			t.Fatalf("second page: %d keys from %q", len(d.Contents), d.Contents[0].Key)
		}
	})
	t.Run("v1 default page", func(t *testing.T) {
		d := e.list(t, "prefix=k%2F")
		if len(d.Contents) != 1000 || !d.IsTruncated || d.NextMarker != "k/0999" {
			t.Fatalf("%d keys, truncated %v, NextMarker %q", len(d.Contents), d.IsTruncated, d.NextMarker)
		}
	})
	t.Run("keys added while paging", func(t *testing.T) {
		d := e.list(t, "list-type=2&prefix=k%2F&max-keys=400")
		last := d.Contents[len(d.Contents)-1].Key
		// One key before the page boundary, one after.
		for _, k := range []string{"k/0100a", "k/0900a"} {
			if _, err := e.store.PutObject(ctx, "bkt", k, bytes.NewReader(nil), 0, objstore.PutOptions{Owner: testOwner}); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		for _, c := range d.Contents {
			seen[c.Key] = true
		}
		tok := d.NextContinuationToken
		for tok != "" {
			d = e.list(t, "list-type=2&prefix=k%2F&max-keys=400&continuation-token="+escapeQuery(tok))
			for _, c := range d.Contents {
				if seen[c.Key] || c.Key <= last {
					t.Fatalf("key %q again or out of order after %q", c.Key, last)
				}
				seen[c.Key] = true
				last = c.Key
			}
			tok = ""
			if d.IsTruncated {
				tok = d.NextContinuationToken
			}
		}
		if len(seen) != 1006 || !seen["k/0900a"] || seen["k/0100a"] {
			t.Fatalf("saw %d keys; k/0900a %v, k/0100a %v", len(seen), seen["k/0900a"], seen["k/0100a"])
		}
	})
	t.Run("versions url encoding", func(t *testing.T) {
		e.do(call{method: "PUT", path: "/bkt/" + escapeKey("v w+x"), body: []byte("v")})
		runSteps(t, e, []step{
			{name: "encoded", call: call{path: "/bkt", query: "versions&encoding-type=url&prefix=v"}, status: 200,
				contains: []string{"<Key>v%20w%2Bx</Key>", "<EncodingType>url</EncodingType>"}},
			{name: "paged", call: call{path: "/bkt", query: "versions&max-keys=1&prefix=k%2F"}, status: 200,
				contains: []string{"<NextKeyMarker>k/0000</NextKeyMarker>", "<IsTruncated>true</IsTruncated>"}},
		})
	})
	t.Run("v1 url encoding of markers", func(t *testing.T) {
		runSteps(t, e, []step{{name: "marker", call: call{path: "/bkt", query: "encoding-type=url&marker=v%20w&max-keys=1&delimiter=%2F"}, status: 200,
			contains: []string{"<Marker>v%20w</Marker>", "<Key>v%20w%2Bx</Key>", "<Delimiter>/</Delimiter>"}}})
	})
	t.Run("v2 start-after encoded", func(t *testing.T) {
		runSteps(t, e, []step{{name: "start-after", call: call{path: "/bkt", query: "list-type=2&encoding-type=url&start-after=v%20a"}, status: 200,
			contains: []string{"<StartAfter>v%20a</StartAfter>", "<Key>v%20w%2Bx</Key>"}}})
	})
	runSteps(t, e, []step{
		{name: "negative max-keys", call: call{path: "/bkt", query: "list-type=2&max-keys=-1"}, status: 400, code: "InvalidArgument"},
		{name: "huge max-keys", call: call{path: "/bkt", query: "list-type=2&max-keys=99999999999999999999"}, status: 400, code: "InvalidArgument"},
		{name: "unknown list-type", call: call{path: "/bkt", query: "list-type=3"}, status: 400, code: "InvalidArgument"},
		{name: "bad query escape", call: call{path: "/bkt", query: "prefix=%zz"}, status: 400, code: "InvalidURI"},
	})
}

func TestListPartsEdges(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	id := e.createUpload(t, "/bkt/mp", nil)
	for _, n := range []int{1, 2, 5, 10000} {
		if r := e.do(call{method: "PUT", path: "/bkt/mp", query: fmt.Sprintf("partNumber=%d&uploadId=%s", n, id), body: bytes.Repeat([]byte{'p'}, 8)}); r.status != 200 {
			t.Fatalf("part %d: %d %s", n, r.status, r.body)
		}
	}
	// Re-uploading a part replaces it.
	e.do(call{method: "PUT", path: "/bkt/mp", query: "partNumber=2&uploadId=" + id, body: []byte("replaced")})
	runSteps(t, e, []step{
		{name: "all", call: call{path: "/bkt/mp", query: "uploadId=" + id}, status: 200,
			contains: []string{"<PartNumber>10000</PartNumber>", "<ETag>&#34;" + md5Hex([]byte("replaced")), "<IsTruncated>false</IsTruncated>"}},
		{name: "max-parts 0", call: call{path: "/bkt/mp", query: "max-parts=0&uploadId=" + id}, status: 200,
			absent: []string{"<Part>"}, contains: []string{"<MaxParts>0</MaxParts>"}},
		{name: "marker", call: call{path: "/bkt/mp", query: "part-number-marker=2&max-parts=1&uploadId=" + id}, status: 200,
			contains: []string{"<PartNumber>5</PartNumber>", "<NextPartNumberMarker>5</NextPartNumberMarker>", "<IsTruncated>true</IsTruncated>"}},
		{name: "marker past all", call: call{path: "/bkt/mp", query: "part-number-marker=10000&uploadId=" + id}, status: 200, absent: []string{"<Part>"}},
		{name: "bad max-parts", call: call{path: "/bkt/mp", query: "max-parts=x&uploadId=" + id}, status: 400, code: "InvalidArgument"},
		{name: "bad marker", call: call{path: "/bkt/mp", query: "part-number-marker=-3&uploadId=" + id}, status: 400, code: "InvalidArgument"},
		{name: "wrong key", call: call{path: "/bkt/other", query: "uploadId=" + id}, status: 404, code: "NoSuchUpload"},
		{name: "complete with a subset", call: call{method: "POST", path: "/bkt/mp", query: "uploadId=" + id,
			body: []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>` + md5Hex(bytes.Repeat([]byte{'p'}, 8)) + `</ETag></Part>` +
				`<Part><PartNumber>10000</PartNumber><ETag>"` + md5Hex(bytes.Repeat([]byte{'p'}, 8)) + `"</ETag></Part></CompleteMultipartUpload>`)}, status: 200},
		{name: "subset read back", call: call{path: "/bkt/mp"}, status: 200, body: strings.Repeat("p", 16)},
	})
}
