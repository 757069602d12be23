package s3srv

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/objstore"
)

func TestAuthentication(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/obj", body: []byte("data")})
	e.do(call{method: "PUT", path: "/bkt/" + escapeKey("日本/語 +x"), body: []byte("utf")})
	runSteps(t, e, []step{
		{name: "v4 header", call: call{path: "/bkt/obj"}, status: 200, body: "data"},
		{name: "anonymous", call: call{path: "/bkt/obj", auth: "none"}, status: 403, code: "AccessDenied"},
		{name: "unknown key", call: call{path: "/bkt/obj", access: "AKIDNOBODY", secret: "x"}, status: 403, code: "InvalidAccessKeyId"},
		{name: "disabled key", call: call{path: "/bkt/obj", access: "AKIDDISABLED", secret: testSecret}, status: 403, code: "InvalidAccessKeyId"},
		{name: "wrong secret", call: call{path: "/bkt/obj", secret: "wrong"}, status: 403, code: "SignatureDoesNotMatch",
			contains: []string{"<CanonicalRequest>", "<StringToSign>"}},
		{name: "skewed clock", call: call{path: "/bkt/obj", signTime: e.now.Add(-16 * time.Minute)}, status: 403, code: "RequestTimeTooSkewed"},
		{name: "slightly skewed clock", call: call{path: "/bkt/obj", signTime: e.now.Add(14 * time.Minute)}, status: 200},
		{name: "unsupported scheme", call: call{path: "/bkt/obj", auth: "none", header: map[string]string{"Authorization": "Bearer x"}}, status: 400, code: "InvalidArgument"},
		{name: "malformed v4", call: call{path: "/bkt/obj", auth: "none", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=x"}},
			status: 400, code: "AuthorizationHeaderMalformed"},
		{name: "presigned v4", call: call{path: "/bkt/obj", auth: "presign-v4"}, status: 200, body: "data"},
		{name: "presigned v4 utf-8 key", call: call{path: "/bkt/" + escapeKey("日本/語 +x"), auth: "presign-v4"}, status: 200, body: "utf"},
		{name: "presigned v4 expired", call: call{path: "/bkt/obj", auth: "presign-v4", signTime: e.now.Add(-2 * time.Hour), expires: time.Hour},
			status: 403, code: "AccessDenied", contains: []string{"Request has expired"}},
		{name: "presigned v4 not yet valid", call: call{path: "/bkt/obj", auth: "presign-v4", signTime: e.now.Add(time.Hour)},
			status: 403, code: "AccessDenied", contains: []string{"Request is not valid yet"}},
		{name: "presigned v4 a week", call: call{path: "/bkt/obj", auth: "presign-v4", expires: 7 * 24 * time.Hour}, status: 200},
		{name: "presigned v4 beyond a week", call: call{path: "/bkt/obj", auth: "presign-v4", expires: 8 * 24 * time.Hour},
			status: 400, code: "AuthorizationQueryParametersError"},
		{name: "presigned v4 wrong secret", call: call{path: "/bkt/obj", auth: "presign-v4", secret: "nope"}, status: 403, code: "SignatureDoesNotMatch"},
		{name: "presigned v4 put", call: call{method: "PUT", path: "/bkt/presigned", auth: "presign-v4", body: []byte("up")}, status: 200},
		{name: "presigned v4 put landed", call: call{path: "/bkt/presigned"}, status: 200, body: "up"},
		{name: "v2 header", call: call{path: "/bkt/obj", auth: "v2"}, status: 200, body: "data"},
		{name: "v2 header utf-8 key", call: call{path: "/bkt/" + escapeKey("日本/語 +x"), auth: "v2"}, status: 200, body: "utf"},
		{name: "v2 header with sub-resource", call: call{path: "/bkt", query: "acl", auth: "v2"}, status: 200},
		{name: "v2 list with prefix", call: call{path: "/bkt", query: "prefix=o&max-keys=5", auth: "v2"}, status: 200, contains: []string{"<Key>obj</Key>"}},
		{name: "v2 put with metadata", call: call{method: "PUT", path: "/bkt/v2obj", auth: "v2", body: []byte("v2"),
			header: map[string]string{"Content-Type": "text/x", "x-amz-meta-a": "1", "Content-MD5": md5Base64([]byte("v2"))}}, status: 200},
		{name: "v2 wrong secret", call: call{path: "/bkt/obj", auth: "v2", secret: "nope"}, status: 403, code: "SignatureDoesNotMatch"},
		{name: "v2 skewed", call: call{path: "/bkt/obj", auth: "v2", signTime: e.now.Add(time.Hour)}, status: 403, code: "RequestTimeTooSkewed"},
		{name: "presigned v2", call: call{path: "/bkt/obj", auth: "presign-v2"}, status: 200, body: "data"},
		{name: "presigned v2 expired", call: call{path: "/bkt/obj", auth: "presign-v2", signTime: e.now.Add(-2 * time.Hour), expires: time.Hour},
			status: 403, code: "AccessDenied", contains: []string{"Request has expired"}},
		{name: "virtual-hosted style", call: call{path: "/obj", host: "bkt." + testDomain}, status: 200, body: "data"},
		{name: "virtual-hosted style v2", call: call{path: "/obj", host: "bkt." + testDomain, auth: "v2"}, status: 200, body: "data"},
		{name: "virtual-hosted bucket listing", call: call{path: "/", host: "bkt." + testDomain + ":80"}, status: 200, contains: []string{"<Name>bkt</Name>"}},
	})
}

// TestVirtualHostV2 signs the path-style resource, as SigV2 requires for
// virtual-hosted requests.
func TestVirtualHostV2(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/obj", body: []byte("data")})
	req, _ := http.NewRequest("GET", e.ts.URL+"/obj", nil)
	req.Host = "bkt." + testDomain
	date := e.now.Format(http.TimeFormat)
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", "AWS "+testAccess+":"+hmacSHA1Base64(testSecret, "GET\n\n\n"+date+"\n/bkt/obj"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestStreamingUploads(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	data := bytes.Repeat([]byte("shallot streaming "), 10000) // 180000 bytes
	crc := "x-amz-checksum-crc32:" + crc32Base64(data) + "\n"

	// streamed builds a call whose body is framed after the seed
	// signature is known.
	streamed := func(key, mode string, frame func(seed string) []byte, extra map[string]string) call {
		h := map[string]string{
			"Content-Encoding":             "aws-chunked",
			"X-Amz-Decoded-Content-Length": fmt.Sprint(len(data)),
		}
		for k, v := range extra {
			h[k] = v
		}
		c := call{method: "PUT", path: "/bkt/" + key, payloadHash: mode, header: h}
		// Sign once to learn the seed, then attach the framed body; the
		// signature does not cover the body, so it stays valid.
		req, _ := http.NewRequest("PUT", e.ts.URL+c.path, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		c.access, c.secret, c.signTime = testAccess, testSecret, e.now
		seed := signV4Header(req, c)
		c.body = frame(seed)
		c.auth = "none"
		c.header = map[string]string{}
		for k, vs := range req.Header {
			c.header[k] = vs[0]
		}
		return c
	}
	signer := func(seed string) *chunkSigner {
		date := e.now.Format("20060102")
		return &chunkSigner{key: clientSigningKey(testSecret, date), amzDate: e.now.Format(amzDateFormat),
			scope: date + "/" + testRegion + "/s3/aws4_request", prev: seed}
	}
	runSteps(t, e, []step{
		{name: "signed chunks", call: streamed("signed", streamingSigned, func(seed string) []byte {
			return signedChunks(signer(seed), data, 65536, "")
		}, nil), status: 200, headers: map[string]string{"ETag": `"` + md5Hex(data) + `"`}},
		{name: "signed chunks read back", call: call{path: "/bkt/signed"}, status: 200, body: string(data)},
		{name: "signed chunks with trailer", call: streamed("trailer", streamingSignedTrailer, func(seed string) []byte {
			return signedChunks(signer(seed), data, 65536, crc)
		}, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"}), status: 200,
			headers: map[string]string{"X-Amz-Checksum-Crc32": crc32Base64(data)}},
		{name: "trailer checksum stored", call: call{method: "HEAD", path: "/bkt/trailer", header: map[string]string{"x-amz-checksum-mode": "ENABLED"}},
			status: 200, headers: map[string]string{"X-Amz-Checksum-Crc32": crc32Base64(data), "X-Amz-Checksum-Type": "FULL_OBJECT", "Content-Encoding": ""}},
		{name: "checksum only when asked", call: call{method: "HEAD", path: "/bkt/trailer"},
			status: 200, headers: map[string]string{"X-Amz-Checksum-Crc32": ""}},
		{name: "unsigned chunks with trailer", call: streamed("unsigned", streamingUnsignedTrailer, func(string) []byte {
			return unsignedChunks(data, 16384, crc)
		}, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"}), status: 200},
		{name: "unsigned chunks read back", call: call{path: "/bkt/unsigned"}, status: 200, body: string(data)},
		{name: "tampered chunk", call: streamed("tampered", streamingSigned, func(seed string) []byte {
			b := signedChunks(signer(seed), data, 65536, "")
			i := bytes.LastIndex(b, []byte("streaming"))
			b[i] = 'S'
			return b
		}, nil), status: 403, code: "SignatureDoesNotMatch"},
		{name: "tampered chunk left nothing", call: call{path: "/bkt/tampered"}, status: 404, code: "NoSuchKey"},
		{name: "wrong trailer checksum", call: streamed("badcrc", streamingUnsignedTrailer, func(string) []byte {
			return unsignedChunks(data, 16384, "x-amz-checksum-crc32:AAAAAA==\n")
		}, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32"}), status: 400, code: "BadDigest"},
		{name: "wrong trailer checksum left nothing", call: call{path: "/bkt/badcrc"}, status: 404, code: "NoSuchKey"},
		{name: "gzip kept, aws-chunked dropped", call: streamed("gz", streamingUnsignedTrailer, func(string) []byte {
			return unsignedChunks(data, 16384, crc)
		}, map[string]string{"X-Amz-Trailer": "x-amz-checksum-crc32", "Content-Encoding": "aws-chunked,gzip"}), status: 200},
		{name: "gzip read back", call: call{method: "HEAD", path: "/bkt/gz"}, status: 200, headers: map[string]string{"Content-Encoding": "gzip"}},
		{name: "sigv4a refused", call: call{method: "PUT", path: "/bkt/x", payloadHash: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"}, status: 501, code: "NotImplemented"},
		{name: "nonsense payload hash", call: call{method: "PUT", path: "/bkt/x", payloadHash: "whatever"}, status: 400, code: "InvalidArgument"},
	})
}

// The store checks permissions for the key's uid:gid, as the mount does.
func TestPermissions(t *testing.T) {
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/dir/obj", body: []byte("mine")})
	other := func(c call) call { c.access = "AKIDOTHER"; return c }
	runSteps(t, e, []step{
		{name: "other reads a 0644 object", call: other(call{path: "/bkt/dir/obj"}), status: 200, body: "mine"},
		{name: "other cannot overwrite", call: other(call{method: "PUT", path: "/bkt/dir/obj", body: []byte("theirs")}), status: 403, code: "AccessDenied"},
		{name: "other cannot delete", call: other(call{method: "DELETE", path: "/bkt/dir/obj"}), status: 403, code: "AccessDenied"},
		{name: "other cannot create in the bucket", call: other(call{method: "PUT", path: "/bkt/new", body: []byte("x")}), status: 403, code: "AccessDenied"},
		{name: "other cannot delete the bucket", call: other(call{method: "DELETE", path: "/bkt"}), status: 403, code: "AccessDenied"},
		{name: "object unchanged", call: call{path: "/bkt/dir/obj"}, status: 200, body: "mine"},
		{name: "other's bucket is theirs", call: other(call{method: "PUT", path: "/theirs"}), status: 200},
		{name: "other writes in their bucket", call: other(call{method: "PUT", path: "/theirs/x", body: []byte("x")}), status: 200,
			checkAfter: func(t *testing.T, e *testEnv, r result) {
				info, err := e.store.HeadObject(context.Background(), "theirs", "x")
				if err != nil || info.Owner != (objstore.Owner{Uid: 60102, Gid: 20}) {
					t.Errorf("owner %+v, err %v", info.Owner, err)
				}
			}},
	})
}
