package s3srv

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore"
)

// A test client that signs the way AWS's SDKs do, written from the
// specification rather than from the server's code where it matters: it
// escapes keys itself and signs the path it sends.

const (
	testAccess = "AKIDSHALLOTTEST"
	testSecret = "shallot/secret+key"
	testRegion = "us-east-1"
	testDomain = "s3.localhost"
)

var testOwner = objstore.Owner{Uid: 60101, Gid: 10}

type testEnv struct {
	t     *testing.T
	store *objstore.Store
	srv   *Server
	ts    *httptest.Server
	now   time.Time
	// client does not follow redirects: a test sees the 303 itself.
	client *http.Client
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	store := objstore.NewTesting(t, objstore.Options{MinPartSize: 8})
	ctx := context.Background()
	if _, err := store.Keys().Create(ctx, objstore.AccessKey{AccessKey: testAccess, SecretKey: testSecret, Owner: testOwner}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Keys().Create(ctx, objstore.AccessKey{AccessKey: "AKIDOTHER", SecretKey: testSecret, Owner: objstore.Owner{Uid: 60102, Gid: 20}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Keys().Create(ctx, objstore.AccessKey{AccessKey: "AKIDDISABLED", SecretKey: testSecret, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	e := &testEnv{t: t, store: store, now: time.Now().UTC().Truncate(time.Second), client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	e.srv = New(store, Options{Domain: testDomain, Log: logrus.NewEntry(log), Now: func() time.Time { return e.now }})
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	return e
}

// escapeKey is how SDKs put a key in a path: every byte but the
// unreserved ones and "/" percent-encoded.
func escapeKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '/' || c == '-' || c == '_' || c == '.' || c == '~' ||
			'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// escapeQuery escapes a query value as SDKs do: "/" too.
func escapeQuery(s string) string { return strings.ReplaceAll(escapeKey(s), "/", "%2F") }

// call describes one request.
type call struct {
	method string
	path   string // escaped path, e.g. "/b/" + escapeKey(k)
	query  string // raw query
	body   []byte
	header map[string]string
	host   string // virtual host, default the server's address

	// signing
	auth        string // "v4" (default), "v2", "none", "presign-v4", "presign-v2"
	access      string
	secret      string
	payloadHash string // default: hex SHA-256 of body
	rawBody     io.Reader
	signTime    time.Time
	expires     time.Duration
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) code() string {
	var doc struct{ Code string }
	_ = xmlUnmarshal(r.body, &doc)
	return doc.Code
}

func (e *testEnv) do(c call) result {
	e.t.Helper()
	if c.method == "" {
		c.method = http.MethodGet
	}
	if c.access == "" {
		c.access = testAccess
	}
	if c.secret == "" {
		c.secret = testSecret
	}
	if c.signTime.IsZero() {
		c.signTime = e.now
	}
	u := e.ts.URL + c.path
	if c.query != "" {
		u += "?" + c.query
	}
	var body io.Reader = bytes.NewReader(c.body)
	if c.rawBody != nil {
		body = c.rawBody
	}
	req, err := http.NewRequest(c.method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if c.rawBody == nil {
		req.ContentLength = int64(len(c.body))
		if len(c.body) == 0 {
			req.Body = http.NoBody
		}
	}
	if c.host != "" {
		req.Host = c.host
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	switch c.auth {
	case "", "v4":
		signV4Header(req, c)
	case "v2":
		signV2Header(req, c)
	case "presign-v4":
		presignV4(req, c)
	case "presign-v2":
		presignV2(req, c)
	case "none":
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}
}

func hexSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacHex(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

func clientSigningKey(secret, date string) []byte {
	k := []byte("AWS4" + secret)
	for _, s := range []string{date, testRegion, "s3", "aws4_request"} {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(s))
		k = m.Sum(nil)
	}
	return k
}

// clientCanonicalQuery sorts the (already escaped) query pairs.
func clientCanonicalQuery(raw string, skip string) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, p := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(p, "=")
		if k == skip {
			continue
		}
		pairs = append(pairs, kv{k, v})
	}
	// Sorted by name, then value: "select" before "select-type".
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

func clientCanonical(req *http.Request, path, query string, signed []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(req.Method + "\n" + path + "\n" + query + "\n")
	for _, h := range signed {
		v := req.Header.Get(h)
		if h == "host" {
			v = req.Host
			if v == "" {
				v = req.URL.Host
			}
		}
		b.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + payloadHash)
	return b.String()
}

func signedHeaderNames(req *http.Request) []string {
	names := []string{"host"}
	for k := range req.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") || lk == "content-type" || lk == "content-md5" {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	return names
}

// signV4Header signs like an SDK; it returns the seed signature for
// streaming bodies.
func signV4Header(req *http.Request, c call) string {
	amzDate := c.signTime.UTC().Format("20060102T150405Z")
	date := amzDate[:8]
	ph := c.payloadHash
	if ph == "" {
		ph = hexSHA256(c.body)
	}
	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", ph)
	signed := signedHeaderNames(req)
	cr := clientCanonical(req, req.URL.EscapedPath(), clientCanonicalQuery(req.URL.RawQuery, ""), signed, ph)
	scope := date + "/" + testRegion + "/s3/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(cr))
	sig := hmacHex(clientSigningKey(c.secret, date), sts)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+c.access+"/"+scope+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return sig
}

func presignV4(req *http.Request, c call) {
	amzDate := c.signTime.UTC().Format("20060102T150405Z")
	date := amzDate[:8]
	scope := date + "/" + testRegion + "/s3/aws4_request"
	exp := c.expires
	if exp == 0 {
		exp = time.Hour
	}
	q := req.URL.RawQuery
	if q != "" {
		q += "&"
	}
	q += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(c.access+"/"+scope) +
		"&X-Amz-Date=" + amzDate + "&X-Amz-Expires=" + itoa64(int64(exp/time.Second)) + "&X-Amz-SignedHeaders=host"
	q = strings.ReplaceAll(q, "%2F", "%2F")
	req.URL.RawQuery = q
	cr := clientCanonical(req, req.URL.EscapedPath(), clientCanonicalQuery(q, ""), []string{"host"}, "UNSIGNED-PAYLOAD")
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(cr))
	req.URL.RawQuery += "&X-Amz-Signature=" + hmacHex(clientSigningKey(c.secret, date), sts)
}

// v2StringToSign follows AWS's SigV2 page; resource is the escaped path
// plus the sub-resources the test passes in the query.
func v2StringToSign(req *http.Request, date, resource string) string {
	var amz []string
	for k := range req.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") {
			amz = append(amz, lk+":"+req.Header.Get(k)+"\n")
		}
	}
	sort.Strings(amz)
	return req.Method + "\n" + req.Header.Get("Content-MD5") + "\n" + req.Header.Get("Content-Type") + "\n" +
		date + "\n" + strings.Join(amz, "") + resource
}

// v2Resource is the CanonicalizedResource: the path in path style (a
// virtual-hosted bucket first), then the sub-resources.
func v2Resource(req *http.Request) string {
	res := req.URL.EscapedPath()
	host := req.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if b, ok := strings.CutSuffix(strings.ToLower(host), "."+testDomain); ok {
		res = "/" + b + res
	}
	if req.URL.RawQuery != "" {
		var subs []string
		for _, p := range strings.Split(req.URL.RawQuery, "&") {
			k, _, _ := strings.Cut(p, "=")
			if sigV2SubResources[k] {
				subs = append(subs, p)
			}
		}
		sort.Strings(subs)
		if len(subs) > 0 {
			res += "?" + strings.Join(subs, "&")
		}
	}
	return res
}

func hmacSHA1Base64(secret, s string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func signV2Header(req *http.Request, c call) {
	date := c.signTime.UTC().Format(http.TimeFormat)
	req.Header.Set("Date", date)
	sig := hmacSHA1Base64(c.secret, v2StringToSign(req, date, v2Resource(req)))
	req.Header.Set("Authorization", "AWS "+c.access+":"+sig)
}

func presignV2(req *http.Request, c call) {
	exp := c.expires
	if exp == 0 {
		exp = time.Hour
	}
	expires := itoa64(c.signTime.Add(exp).Unix())
	sig := hmacSHA1Base64(c.secret, v2StringToSign(req, expires, v2Resource(req)))
	q := req.URL.RawQuery
	if q != "" {
		q += "&"
	}
	req.URL.RawQuery = q + "AWSAccessKeyId=" + c.access + "&Expires=" + expires + "&Signature=" + url.QueryEscape(sig)
}

func xmlUnmarshal(b []byte, v any) error { return xml.Unmarshal(b, v) }
