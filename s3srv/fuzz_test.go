package s3srv

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the parsers that face the network. Seed corpora live in
// testdata/fuzz/<Target>; run one with e.g.
//
//	go test ./s3srv -run '^$' -fuzz FuzzChunkedReader -fuzztime 30s

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f,SignedHeaders=host,Signature=")
	f.Fuzz(func(t *testing.T, v string) {
		if a, err := parseSigV4Authorization(v); err == nil {
			if a.cred.accessKey == "" || len(a.signature) != 64 || len(a.signedHeaders) == 0 {
				t.Fatalf("accepted an incomplete header: %+v", a)
			}
			_ = a.cred.scope()
		} else if _, ok := err.(*apiError); !ok {
			t.Fatalf("error %v is not an S3 error", err)
		}
		if k, s, err := parseSigV2Authorization(v); err == nil && (k == "" || s == "") {
			t.Fatalf("accepted an empty key or signature from %q", v)
		}
	})
}

func FuzzChunkedReader(f *testing.F) {
	f.Add(awsChunkedExampleBody()[:200], true, int64(-1))
	f.Add(unsignedChunks([]byte("hello world"), 4, "x-amz-checksum-crc32:DUoRhQ==\n"), false, int64(11))
	f.Add([]byte("0\r\n\r\n"), false, int64(0))
	f.Add([]byte("5;chunk-signature=zz\r\nabc"), true, int64(5))
	f.Fuzz(func(t *testing.T, body []byte, signed bool, declared int64) {
		var signer *chunkSigner
		if signed {
			signer = exampleChunkSigner()
		}
		sums, _ := trailerChecksums("x-amz-checksum-crc32")
		p := &payload{size: declared}
		p.r = newChunkedReader(p, bytes.NewReader(body), signer, !signed, declared, sums)
		out, err := io.ReadAll(io.LimitReader(p, int64(len(body))+1))
		if int64(len(out)) > int64(len(body)) {
			t.Fatalf("decoded %d bytes from a %d-byte body", len(out), len(body))
		}
		if err == nil && declared >= 0 && int64(len(out)) != declared {
			t.Fatalf("accepted %d bytes, declared %d", len(out), declared)
		}
		if err != nil && p.failed == nil {
			t.Fatalf("error %v not recorded", err)
		}
	})
}

func FuzzCompleteMultipartXML(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"a54357aff0632cce46d942af68356b38"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload/>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseCompleteMultipartUpload(body)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		if len(parts) == 0 || len(parts) > maxPartNumber {
			t.Fatalf("accepted %d parts", len(parts))
		}
		for i := 1; i < len(parts); i++ {
			if parts[i].Number <= parts[i-1].Number {
				t.Fatalf("accepted parts out of order: %+v", parts)
			}
		}
		for _, p := range parts {
			if p.Number < 1 || p.Number > maxPartNumber || strings.HasPrefix(p.ETag, `"`) && strings.HasSuffix(p.ETag, `"`) && len(p.ETag) > 1 {
				t.Fatalf("bad part %+v", p)
			}
		}
	})
}

func FuzzDeleteObjectsXML(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a/b</Key></Object><Object><Key>c</Key><VersionId>null</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>&amp;&#x65E5;</Key></Object></Delete>`))
	f.Add([]byte(`<Delete></Delete>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseDeleteObjects(body)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		if len(d.Objects) == 0 || len(d.Objects) > maxDeleteObjects {
			t.Fatalf("accepted %d objects", len(d.Objects))
		}
	})
}

func FuzzPostPolicy(f *testing.F) {
	f.Add([]byte(`{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [{"bucket": "b"}, ["starts-with", "$key", "user/"], ["content-length-range", 1, 10485760], {"success_action_status": "201"}]}`), "key", "user/x")
	f.Add([]byte(`{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$Content-Type", "image/png"], ["starts-with", "$Content-Type", "image/,video/"]]}`), "content-type", "image/png")
	f.Add([]byte(`{"expiration": "2000-01-01T00:00:00.000Z", "conditions": []}`), "acl", "private")
	f.Add([]byte(`{"expiration": 5, "conditions": [["content-length-range", "1", "x"]]}`), "", "")
	f.Add([]byte(`[]`), "x-ignore-a", "b")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, doc []byte, field, value string) {
		p, err := parsePostPolicy(doc)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		if p.hasLength && (p.minLength < 0 || p.maxLength < p.minLength) {
			t.Fatalf("accepted length range %d-%d", p.minLength, p.maxLength)
		}
		fields := map[string]string{"key": "user/x"}
		if field != "" {
			fields[strings.ToLower(field)] = value
		}
		err = p.check(fields, "b", now)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		if !now.Before(p.expiration) {
			t.Fatalf("expired policy accepted")
		}
		for k := range fields {
			covered := postExempt(k)
			for _, c := range p.conditions {
				covered = covered || c.field == k
			}
			if !covered {
				t.Fatalf("field %q accepted without a condition", k)
			}
		}
	})
}

func FuzzTaggingXML(f *testing.F) {
	f.Add([]byte(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>project</Key><Value>x 1</Value></Tag></TagSet></Tagging>`))
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>`))
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>aws:x</Key><Value>&#x65E5;</Value></Tag></TagSet></Tagging>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tags, err := parseTaggingXML(body)
		if err != nil {
			if _, ok := err.(*apiError); !ok {
				t.Fatalf("error %v is not an S3 error", err)
			}
			return
		}
		if err := checkTags(tags); err != nil {
			t.Fatalf("accepted tags that fail the limits: %v", err)
		}
	})
}
