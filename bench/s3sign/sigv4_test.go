package s3sign

import (
	"net/http"
	"testing"
	"time"
)

// The vectors are the worked examples of AWS's "Signature Calculations for
// the Authorization Header" page for S3 (examplebucket, 2013-05-24).
func TestSignerDocumentedVectors(t *testing.T) {
	const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	s := Signer{AccessKey: "AKIAIOSFODNN7EXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Region: "us-east-1"}
	when := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, method, url string
		headers           map[string]string
		payload           string
		signedHeaders     string
		signature         string
	}{
		{
			name: "GET object with range", method: "GET",
			url:           "https://examplebucket.s3.amazonaws.com/test.txt",
			headers:       map[string]string{"Range": "bytes=0-9"},
			payload:       emptySHA,
			signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
			signature:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		},
		{
			name: "PUT object with an escaped key", method: "PUT",
			url: "https://examplebucket.s3.amazonaws.com/test%24file.text",
			headers: map[string]string{"Date": "Fri, 24 May 2013 00:00:00 GMT",
				"X-Amz-Storage-Class": "REDUCED_REDUNDANCY"},
			payload:       "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			signature:     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		},
		{
			name: "GET bucket lifecycle (empty query value)", method: "GET",
			url:           "https://examplebucket.s3.amazonaws.com/?lifecycle",
			payload:       emptySHA,
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			signature:     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			s.Sign(req, c.payload, when)
			auth := req.Header.Get("Authorization")
			want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=" +
				c.signedHeaders + ", Signature=" + c.signature
			if auth != want {
				t.Errorf("Authorization:\n got %s\nwant %s", auth, want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	cases := []struct{ name, raw, want string }{
		{"empty", "", ""},
		{"sorted by name", "prefix=J&max-keys=2", "max-keys=2&prefix=J"},
		{"bare name gets '='", "lifecycle", "lifecycle="},
		{"slash and space encoded", "prefix=a%2Fb+c", "prefix=a%2Fb%20c"},
		{"same name sorted by value", "a=2&a=1", "a=1&a=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := canonicalQuery(c.raw); got != c.want {
				t.Errorf("canonicalQuery(%q) = %q, want %q", c.raw, got, c.want)
			}
		})
	}
}

func TestURIEncode(t *testing.T) {
	cases := []struct {
		name, in    string
		encodeSlash bool
		want        string
	}{
		{"unreserved kept", "aZ09-_.~", false, "aZ09-_.~"},
		{"slash kept in paths", "a/b", false, "a/b"},
		{"slash encoded in queries", "a/b", true, "a%2Fb"},
		{"utf-8 upper-case hex", "日", false, "%E6%97%A5"},
		{"space and dollar", "a b$", false, "a%20b%24"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := URIEncode(c.in, c.encodeSlash); got != c.want {
				t.Errorf("URIEncode(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
