package s3srv

import (
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The examples of AWS's "Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk" and "Query String
// Authentication" pages: key AKIAIOSFODNN7EXAMPLE, 20130524T000000Z,
// us-east-1, bucket examplebucket (virtual-hosted).
const (
	exampleAccessKey = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	exampleDate      = "20130524T000000Z"
)

func exampleRequest(method, target string, headers map[string]string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = "examplebucket.s3.amazonaws.com"
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestSigV4AWSExamples(t *testing.T) {
	cred := sigV4Credential{accessKey: exampleAccessKey, date: "20130524", region: "us-east-1"}
	key := signingKey(exampleSecret, cred.date, cred.region)
	tests := []struct {
		name          string
		method        string
		target        string
		headers       map[string]string
		signedHeaders string
		payloadHash   string
		wantCanonical string // checked when set
		wantSignature string
	}{
		{
			name:   "GET object with range",
			method: "GET", target: "/test.txt",
			headers: map[string]string{
				"Range":                "bytes=0-9",
				"X-Amz-Content-Sha256": emptySHA256,
				"X-Amz-Date":           exampleDate,
			},
			signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
			payloadHash:   emptySHA256,
			wantCanonical: "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n" +
				"x-amz-content-sha256:" + emptySHA256 + "\nx-amz-date:20130524T000000Z\n\n" +
				"host;range;x-amz-content-sha256;x-amz-date\n" + emptySHA256,
			wantSignature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		},
		{
			name:   "PUT object with a reserved character in the key",
			method: "PUT", target: "/test$file.text",
			headers: map[string]string{
				"Date":                 "Fri, 24 May 2013 00:00:00 GMT",
				"X-Amz-Date":           exampleDate,
				"X-Amz-Storage-Class":  "REDUCED_REDUNDANCY",
				"X-Amz-Content-Sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			},
			signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			payloadHash:   "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			wantSignature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		},
		{
			name:   "GET bucket lifecycle (valueless sub-resource)",
			method: "GET", target: "/?lifecycle",
			headers: map[string]string{
				"X-Amz-Date":           exampleDate,
				"X-Amz-Content-Sha256": emptySHA256,
			},
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			payloadHash:   emptySHA256,
			wantSignature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		},
		{
			name:   "GET bucket list (sorted query)",
			method: "GET", target: "/?max-keys=2&prefix=J",
			headers: map[string]string{
				"X-Amz-Date":           exampleDate,
				"X-Amz-Content-Sha256": emptySHA256,
			},
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			payloadHash:   emptySHA256,
			wantSignature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := exampleRequest(tc.method, tc.target, tc.headers)
			hs, err := parseSignedHeaders(tc.signedHeaders)
			if err != nil {
				t.Fatal(err)
			}
			cr := canonicalRequestV4(r, canonicalURI(r.URL.EscapedPath()), canonicalQuery(r.URL.RawQuery, ""), hs, tc.payloadHash)
			if tc.wantCanonical != "" && cr != tc.wantCanonical {
				t.Errorf("canonical request:\n%s\nwant:\n%s", cr, tc.wantCanonical)
			}
			sig := hex.EncodeToString(hmacSHA256(key, stringToSignV4(exampleDate, cred.scope(), cr)))
			if sig != tc.wantSignature {
				t.Errorf("signature %s, want %s", sig, tc.wantSignature)
			}
		})
	}
}

func TestSigV4PresignAWSExample(t *testing.T) {
	target := "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	r := exampleRequest("GET", target, nil)
	cr := canonicalRequestV4(r, canonicalURI(r.URL.EscapedPath()), canonicalQuery(r.URL.RawQuery, "X-Amz-Signature"), []string{"host"}, unsignedPayload)
	wantCR := "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD"
	if cr != wantCR {
		t.Fatalf("canonical request:\n%s\nwant:\n%s", cr, wantCR)
	}
	key := signingKey(exampleSecret, "20130524", "us-east-1")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSignV4(exampleDate, "20130524/us-east-1/s3/aws4_request", cr)))
	if want := "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"; sig != want {
		t.Fatalf("signature %s, want %s", sig, want)
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"root", "/", "/"},
		{"plain", "/b/k", "/b/k"},
		{"escaped slash stays escaped", "/b/a%2Fb", "/b/a%2Fb"},
		{"double slash kept", "/b//k/", "/b//k/"},
		{"plus encoded", "/b/a+b", "/b/a%2Bb"},
		{"space", "/b/a%20b", "/b/a%20b"},
		{"lower-case escape normalised", "/b/a%2a", "/b/a%2A"},
		{"unreserved escape decoded", "/b/%7Efile", "/b/~file"},
		{"utf-8 raw", "/b/日本", "/b/%E6%97%A5%E6%9C%AC"},
		{"utf-8 escaped", "/b/%E6%97%A5", "/b/%E6%97%A5"},
		{"dot segments not normalised", "/b/./a/../c", "/b/./a/../c"},
		{"stray percent", "/b/100%", "/b/100%25"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := canonicalURI(tc.raw); got != tc.want {
				t.Errorf("canonicalURI(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct{ name, raw, skip, want string }{
		{"empty", "", "", ""},
		{"valueless", "acl", "", "acl="},
		{"sorted by key then value", "b=2&a=1&a=0", "", "a=0&a=1&b=2"},
		{"space and plus", "prefix=a%20b&x=a+b", "", "prefix=a%20b&x=a%20b"},
		{"encoded plus", "prefix=a%2Bb", "", "prefix=a%2Bb"},
		{"slash encoded", "prefix=a/b", "", "prefix=a%2Fb"},
		{"skip signature", "X-Amz-Signature=abc&a=1", "X-Amz-Signature", "a=1"},
		{"uploadId and partNumber", "uploadId=xyz&partNumber=3", "", "partNumber=3&uploadId=xyz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := canonicalQuery(tc.raw, tc.skip); got != tc.want {
				t.Errorf("canonicalQuery(%q) = %q, want %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestParseSigV4Authorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	tests := []struct {
		name    string
		in      string
		wantErr string // S3 code, "" for success
	}{
		{"AWS example", good, ""},
		{"no spaces after commas", strings.ReplaceAll(good, ", ", ","), ""},
		{"missing signature", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host", "AuthorizationHeaderMalformed"},
		{"wrong service", strings.Replace(good, "/s3/", "/ec2/", 1), "AuthorizationHeaderMalformed"},
		{"bad date", strings.Replace(good, "20130524", "2013052", 1), "AuthorizationHeaderMalformed"},
		{"no host signed", strings.Replace(good, "host;", "", 1), "AuthorizationHeaderMalformed"},
		{"short signature", good[:len(good)-2], "AuthorizationHeaderMalformed"},
		{"upper-case signature", strings.ToUpper(good[:len(good)-64]) + strings.ToUpper(good[len(good)-64:]), "AuthorizationHeaderMalformed"},
		{"other algorithm", "AWS4-HMAC-SHA512 Credential=x", "AuthorizationHeaderMalformed"},
		{"unknown field", good + ", Foo=bar", "AuthorizationHeaderMalformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseSigV4Authorization(tc.in)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if a.cred.accessKey != exampleAccessKey || a.cred.region != "us-east-1" || len(a.signedHeaders) != 3 {
					t.Errorf("parsed %+v", a)
				}
				return
			}
			api, _ := toAPIError(err)
			if err == nil || api.Code != tc.wantErr {
				t.Errorf("err %v, want %s", err, tc.wantErr)
			}
		})
	}
}
