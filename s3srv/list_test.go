package s3srv

import (
	"encoding/xml"
	"strings"
	"testing"
)

type listV2Doc struct {
	Contents []struct {
		Key   string
		ETag  string
		Size  int64
		Owner *struct{ ID string }
	}
	CommonPrefixes        []struct{ Prefix string }
	IsTruncated           bool
	KeyCount              int
	MaxKeys               int
	NextContinuationToken string
	NextMarker            string
	EncodingType          string
	Prefix                string
	Delimiter             string
}

func (e *testEnv) list(t *testing.T, query string) listV2Doc {
	t.Helper()
	r := e.do(call{path: "/bkt", query: query})
	if r.status != 200 {
		t.Fatalf("list %q: %d %s", query, r.status, r.body)
	}
	var d listV2Doc
	if err := xml.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func keysOf(d listV2Doc) string {
	var out []string
	for _, c := range d.Contents {
		out = append(out, c.Key)
	}
	for _, p := range d.CommonPrefixes {
		out = append(out, p.Prefix+"(p)")
	}
	return strings.Join(out, ",")
}

func TestListObjects(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	for _, k := range []string{"a-c", "a/b", "a/c/d", "b", "c d", "c+d", "dir/"} {
		body := []byte(k)
		if strings.HasSuffix(k, "/") {
			body = nil
		}
		if r := e.do(call{method: "PUT", path: "/bkt/" + escapeKey(k), body: body}); r.status != 200 {
			t.Fatalf("put %q: %d %s", k, r.status, r.body)
		}
	}
	tests := []struct {
		name, query, want string
		truncated         bool
		check             func(t *testing.T, d listV2Doc)
	}{
		{name: "v1 all", query: "", want: "a-c,a/b,a/c/d,b,c d,c+d,dir/"},
		{name: "v2 all", query: "list-type=2", want: "a-c,a/b,a/c/d,b,c d,c+d,dir/", check: func(t *testing.T, d listV2Doc) {
			if d.KeyCount != 7 || d.MaxKeys != 1000 || d.Contents[0].Owner != nil {
				t.Errorf("KeyCount %d MaxKeys %d owner %v", d.KeyCount, d.MaxKeys, d.Contents[0].Owner)
			}
			if d.Contents[0].ETag != `"`+md5Hex([]byte("a-c"))+`"` {
				t.Errorf("ETag %s", d.Contents[0].ETag)
			}
		}},
		{name: "v2 fetch-owner", query: "list-type=2&fetch-owner=true&max-keys=1", want: "a-c", truncated: true, check: func(t *testing.T, d listV2Doc) {
			if d.Contents[0].Owner == nil || d.Contents[0].Owner.ID != "60101:10" {
				t.Errorf("owner %+v", d.Contents[0].Owner)
			}
		}},
		{name: "delimiter", query: "list-type=2&delimiter=%2F", want: "a-c,b,c d,c+d,a/(p),dir/(p)"},
		{name: "prefix and delimiter", query: "list-type=2&prefix=a%2F&delimiter=%2F", want: "a/b,a/c/(p)"},
		{name: "prefix", query: "prefix=c", want: "c d,c+d"},
		{name: "v1 marker", query: "marker=b", want: "c d,c+d,dir/"},
		{name: "v2 start-after", query: "list-type=2&start-after=c%20d", want: "c+d,dir/"},
		{name: "max-keys 2", query: "list-type=2&max-keys=2", want: "a-c,a/b", truncated: true},
		{name: "max-keys 0", query: "list-type=2&max-keys=0", want: ""},
		{name: "max-keys capped", query: "max-keys=5000", want: "a-c,a/b,a/c/d,b,c d,c+d,dir/", check: func(t *testing.T, d listV2Doc) {
			if d.MaxKeys != 1000 {
				t.Errorf("MaxKeys %d", d.MaxKeys)
			}
		}},
		{name: "encoding-type url", query: "list-type=2&encoding-type=url&prefix=c", want: "c%20d,c%2Bd", check: func(t *testing.T, d listV2Doc) {
			if d.EncodingType != "url" || d.Prefix != "c" {
				t.Errorf("EncodingType %q Prefix %q", d.EncodingType, d.Prefix)
			}
		}},
		{name: "encoding-type url prefixes", query: "list-type=2&encoding-type=url&delimiter=%20", want: "a-c,a/b,a/c/d,b,c%2Bd,dir/,c%20(p)", check: func(t *testing.T, d listV2Doc) {
			if d.Delimiter != "%20" {
				t.Errorf("Delimiter %q", d.Delimiter)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := e.list(t, tc.query)
			if got := keysOf(d); got != tc.want {
				t.Errorf("keys %q, want %q", got, tc.want)
			}
			if d.IsTruncated != tc.truncated {
				t.Errorf("IsTruncated %v", d.IsTruncated)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		runSteps(t, e, []step{
			{name: "bad max-keys", call: call{path: "/bkt", query: "max-keys=x"}, status: 400, code: "InvalidArgument"},
			{name: "bad encoding", call: call{path: "/bkt", query: "encoding-type=zip"}, status: 400, code: "InvalidArgument"},
			{name: "bad token", call: call{path: "/bkt", query: "list-type=2&continuation-token=%21%21"}, status: 400, code: "InvalidArgument"},
		})
	})
	for _, delim := range []string{"", "%2F"} {
		t.Run("paging v2 delimiter="+delim, func(t *testing.T) {
			var got []string
			token := ""
			for i := 0; i < 20; i++ {
				q := "list-type=2&max-keys=2&delimiter=" + delim
				if token != "" {
					q += "&continuation-token=" + escapeQuery(token)
				}
				d := e.list(t, q)
				if k := keysOf(d); k != "" {
					got = append(got, k)
				}
				if !d.IsTruncated {
					break
				}
				token = d.NextContinuationToken
			}
			all := e.list(t, "list-type=2&delimiter="+delim)
			if strings.Join(got, ",") == "" || !sameKeys(strings.Join(got, ","), keysOf(all)) {
				t.Errorf("pages %q, all %q", got, keysOf(all))
			}
		})
		t.Run("paging v1 delimiter="+delim, func(t *testing.T) {
			var got []string
			marker := ""
			for i := 0; i < 20; i++ {
				d := e.list(t, "max-keys=3&delimiter="+delim+"&marker="+escapeQuery(marker))
				if k := keysOf(d); k != "" {
					got = append(got, k)
				}
				if !d.IsTruncated {
					break
				}
				marker = d.NextMarker
			}
			all := e.list(t, "delimiter="+delim)
			if !sameKeys(strings.Join(got, ","), keysOf(all)) {
				t.Errorf("pages %q, all %q", got, keysOf(all))
			}
		})
	}
	t.Run("versions", func(t *testing.T) {
		runSteps(t, e, []step{{name: "list versions", call: call{path: "/bkt", query: "versions&prefix=a"}, status: 200,
			contains: []string{"<ListVersionsResult", "<Key>a/b</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"}}})
	})
}

// sameKeys compares two listings as sets of entries (pages order common
// prefixes among keys differently than one listing does).
func sameKeys(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	if len(as) != len(bs) {
		return false
	}
	m := map[string]int{}
	for _, k := range as {
		m[k]++
	}
	for _, k := range bs {
		m[k]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}
