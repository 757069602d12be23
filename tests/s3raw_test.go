package tests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"github.com/shallot-storage/shallot/bench/s3sign"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// s3raw sends hand-made, SigV4-signed S3 requests, for what the real
// clients refuse to send or hide (keys with "..", "//", over-long names,
// exact status codes and error XML).
type s3raw struct {
	endpoint string
	access   string
	secret   string
	region   string
	client   *http.Client
}

func rootS3(d *daemon) *s3raw { return newS3Raw(d, rootAccessKey, rootSecretKey) }

func newS3Raw(d *daemon, access, secret string) *s3raw {
	return &s3raw{endpoint: d.Endpoint(), access: access, secret: secret, region: "us-east-1",
		client: &http.Client{Timeout: 2 * time.Minute}}
}

// s3resp is an S3 answer.
type s3resp struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
	Err          error
}

func (r s3resp) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s %s: %v", r.Method, r.Path, r.Err)
	}
	body := string(r.Body)
	if len(body) > 2000 {
		body = body[:2000] + "..."
	}
	return fmt.Sprintf("%s %s: HTTP %d\n%s", r.Method, r.Path, r.Status, body)
}

// ErrorCode is the <Code> of an S3 error document ("" if none).
func (r s3resp) ErrorCode() string {
	var e struct {
		Code string `xml:"Code"`
	}
	if xml.Unmarshal(r.Body, &e) != nil {
		return ""
	}
	return e.Code
}

// escapePath percent-encodes every byte of p but the unreserved ones and
// "/", as SigV4's canonical URI for S3 wants (no normalisation of "." or
// ".." segments, no collapsing of "//").
func escapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func escapeQuery(s string) string {
	return strings.ReplaceAll(escapePath(s), "/", "%2F")
}

// Do sends method on path (unescaped, starting with "/bucket") with an
// optional query and body. It never fails t for an S3 error; a transport
// error is returned in Err.
func (s *s3raw) Do(t testing.TB, method, path string, query url.Values, body []byte, hdr ...string) s3resp {
	t.Helper()
	r := s.do(method, path, query, body, hdr...)
	if r.Err != nil {
		t.Fatalf("%s", r)
	}
	return r
}

func (s *s3raw) do(method, path string, query url.Values, body []byte, hdr ...string) s3resp {
	res := s3resp{Method: method, Path: path}
	now := time.Now()
	canonPath := escapePath(path)
	var qparts []string
	for k, vs := range query {
		for _, v := range vs {
			qparts = append(qparts, escapeQuery(k)+"="+escapeQuery(v))
		}
	}
	sort.Strings(qparts)
	canonQuery := strings.Join(qparts, "&")
	req, err := http.NewRequest(method, s.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		res.Err = err
		return res
	}
	// Send exactly the path that was signed: Go would otherwise choose
	// its own escaping.
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, canonPath, canonQuery
	sum := sha256.Sum256(body)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	req.ContentLength = int64(len(body))
	s3sign.Signer{AccessKey: s.access, SecretKey: s.secret, Region: s.region}.Sign(req, hex.EncodeToString(sum[:]), now)
	resp, err := s.client.Do(req)
	if err != nil {
		res.Err = err
		return res
	}
	defer resp.Body.Close()
	res.Status, res.Header = resp.StatusCode, resp.Header
	res.Body, res.Err = io.ReadAll(resp.Body)
	return res
}

// listKeys lists every key under prefix in bucket (ListObjectsV2, paging).
func (s *s3raw) listKeys(t testing.TB, bucket, prefix string) map[string]listedObject {
	t.Helper()
	out := map[string]listedObject{}
	token := ""
	for {
		q := url.Values{"list-type": {"2"}, "prefix": {prefix}}
		if token != "" {
			q.Set("continuation-token", token)
		}
		r := s.Do(t, "GET", "/"+bucket, q, nil)
		if r.Status != 200 {
			t.Fatalf("list %s: %s", bucket, r)
		}
		var lr struct {
			IsTruncated           bool
			NextContinuationToken string
			Contents              []listedObject
		}
		if err := xml.Unmarshal(r.Body, &lr); err != nil {
			t.Fatalf("list %s: %v\n%s", bucket, err, r.Body)
		}
		for _, o := range lr.Contents {
			out[o.Key] = o
		}
		if !lr.IsTruncated {
			return out
		}
		if lr.NextContinuationToken == "" {
			t.Fatalf("list %s: truncated without NextContinuationToken", bucket)
		}
		token = lr.NextContinuationToken
	}
}

type listedObject struct {
	Key  string
	Size int64
	ETag string
}
