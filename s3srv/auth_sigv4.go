package s3srv

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SigV4 as S3 defines it (AWS "Signature Calculations for the Authorization
// Header"): unlike other services, S3's canonical URI is encoded once and
// never normalised, and the payload hash comes from x-amz-content-sha256.

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	scopeDateFmt   = "20060102"
	sigV4Service   = "s3"
	sigV4Term      = "aws4_request"
)

// sigV4Credential is the parsed Credential of an Authorization header or
// X-Amz-Credential: <key>/<yyyymmdd>/<region>/s3/aws4_request.
type sigV4Credential struct {
	accessKey string
	date      string
	region    string
}

func (c sigV4Credential) scope() string {
	return c.date + "/" + c.region + "/" + sigV4Service + "/" + sigV4Term
}

// sigV4Auth is a parsed "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." header.
type sigV4Auth struct {
	cred          sigV4Credential
	signedHeaders []string
	signature     string
}

func parseCredential(v string) (sigV4Credential, error) {
	// The access key comes first and might itself contain "/": take the
	// four scope fields from the right.
	parts := strings.Split(v, "/")
	if len(parts) < 5 {
		return sigV4Credential{}, errAuthorizationHeaderMalformed.with("The Credential is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	n := len(parts)
	c := sigV4Credential{
		accessKey: strings.Join(parts[:n-4], "/"),
		date:      parts[n-4],
		region:    parts[n-3],
	}
	switch {
	case c.accessKey == "":
		return c, errAuthorizationHeaderMalformed.with("The Credential has an empty access key.")
	case !isDate8(c.date):
		return c, errAuthorizationHeaderMalformed.with("Invalid credential date %q.", c.date)
	case c.region == "":
		return c, errAuthorizationHeaderMalformed.with("The Credential has an empty region.")
	case parts[n-2] != sigV4Service:
		return c, errAuthorizationHeaderMalformed.with("Incorrect service %q; this endpoint is \"s3\".", parts[n-2])
	case parts[n-1] != sigV4Term:
		return c, errAuthorizationHeaderMalformed.with("Incorrect terminal %q; this endpoint uses \"aws4_request\".", parts[n-1])
	}
	return c, nil
}

func isDate8(s string) bool {
	if len(s) != 8 {
		return false
	}
	_, err := time.Parse(scopeDateFmt, s)
	return err == nil
}

func parseSignedHeaders(v string) ([]string, error) {
	if v == "" {
		return nil, errAuthorizationHeaderMalformed.with("SignedHeaders is empty.")
	}
	hs := strings.Split(v, ";")
	hasHost := false
	for _, h := range hs {
		if h == "" || h != strings.ToLower(h) || strings.ContainsAny(h, " \t:") {
			return nil, errAuthorizationHeaderMalformed.with("SignedHeaders contains an invalid name %q.", h)
		}
		if h == "host" {
			hasHost = true
		}
	}
	if !hasHost {
		return nil, errAuthorizationHeaderMalformed.with("SignedHeaders must include host.")
	}
	return hs, nil
}

func isHexSignature(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// parseSigV4Authorization parses the value of an Authorization header of
// the AWS4-HMAC-SHA256 scheme.
func parseSigV4Authorization(v string) (sigV4Auth, error) {
	var a sigV4Auth
	rest, ok := strings.CutPrefix(v, sigV4Algorithm)
	if !ok || (rest != "" && rest[0] != ' ') {
		return a, errAuthorizationHeaderMalformed.with("Unsupported algorithm; expecting AWS4-HMAC-SHA256.")
	}
	var haveCred, haveHeaders, haveSig bool
	for _, field := range strings.Split(rest, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		name, value, ok := strings.Cut(field, "=")
		if !ok {
			return a, errAuthorizationHeaderMalformed.with("The authorization header has a field without '=': %q.", field)
		}
		var err error
		switch strings.TrimSpace(name) {
		case "Credential":
			a.cred, err = parseCredential(value)
			haveCred = true
		case "SignedHeaders":
			a.signedHeaders, err = parseSignedHeaders(value)
			haveHeaders = true
		case "Signature":
			if !isHexSignature(value) {
				err = errAuthorizationHeaderMalformed.with("The Signature is not 64 lower-case hex digits.")
			}
			a.signature = value
			haveSig = true
		default:
			err = errAuthorizationHeaderMalformed.with("Unknown field %q in the authorization header.", name)
		}
		if err != nil {
			return a, err
		}
	}
	if !haveCred || !haveHeaders || !haveSig {
		return a, errAuthorizationHeaderMalformed.with("The authorization header needs Credential, SignedHeaders and Signature.")
	}
	return a, nil
}

// signingKey derives the SigV4 key for one day, region and service.
func signingKey(secret, date, region string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, sigV4Service)
	return hmacSHA256(k, sigV4Term)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// stringToSignV4 is the string the request signature covers.
func stringToSignV4(amzDate, scope, canonicalRequest string) string {
	return sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + sha256Hex(canonicalRequest)
}

// canonicalRequestV4 builds AWS's canonical request. canonURI and
// canonQuery are already canonical; headers are read from r.
func canonicalRequestV4(r *http.Request, canonURI, canonQuery string, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonURI)
	b.WriteByte('\n')
	b.WriteString(canonQuery)
	b.WriteByte('\n')
	for _, h := range signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalHeaderValue returns the values of header name (lower case),
// trimmed, inner runs of spaces collapsed, joined by ",". net/http moves
// some headers out of r.Header; they are read back from where it put them.
func canonicalHeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		vals = []string{r.Host}
	case "content-length":
		vals = r.Header.Values("Content-Length")
		if len(vals) == 0 && r.ContentLength >= 0 && r.Body != nil && r.Body != http.NoBody {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		vals = r.TransferEncoding
	default:
		vals = r.Header.Values(name)
	}
	// vals may alias r.Header: build a new slice.
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = collapseSpaces(v)
	}
	return strings.Join(out, ",")
}

func collapseSpaces(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") && !strings.ContainsAny(v, "\t") {
		return v
	}
	return strings.Join(strings.Fields(v), " ")
}

// canonicalURI re-encodes an escaped request path the way AWS's UriEncode
// does: every byte but the unreserved ones and "/" percent-encoded, upper
// case hex. An escaped "%2F" stays encoded: it is part of a key, not a
// separator. Clients differ in what they leave unescaped on the wire
// ("+", "!", "~", UTF-8), so the path is decoded first and encoded once.
func canonicalURI(rawPath string) string {
	if rawPath == "" {
		return "/"
	}
	var b strings.Builder
	b.Grow(len(rawPath) + 16)
	for i := 0; i < len(rawPath); i++ {
		c := rawPath[i]
		if c == '%' && i+2 < len(rawPath) && isHex(rawPath[i+1]) && isHex(rawPath[i+2]) {
			c = unhex(rawPath[i+1])<<4 | unhex(rawPath[i+2])
			i += 2
			writeEncodedByte(&b, c, false)
			continue
		}
		writeEncodedByte(&b, c, true)
	}
	return b.String()
}

// uriEncode is AWS's UriEncode; keepSlash leaves "/" alone (object keys in
// paths and in encoding-type=url listings).
func uriEncode(s string, keepSlash bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		writeEncodedByte(&b, s[i], keepSlash)
	}
	return b.String()
}

func writeEncodedByte(b *strings.Builder, c byte, keepSlash bool) {
	if isUnreserved(c) || (c == '/' && keepSlash) {
		b.WriteByte(c)
		return
	}
	const hexUpper = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hexUpper[c>>4])
	b.WriteByte(hexUpper[c&15])
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// canonicalQuery sorts and re-encodes the query string; the parameter
// named skip (X-Amz-Signature for presigned URLs) is left out.
func canonicalQuery(rawQuery, skip string) string {
	if rawQuery == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if skip != "" && k == skip {
			continue
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		pairs = append(pairs, kv{uriEncode(k, false), uriEncode(v, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// requestTimeV4 returns the signing time: x-amz-date, or Date.
func requestTimeV4(r *http.Request) (time.Time, string, error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateFormat, v)
		if err != nil {
			return t, "", errAccessDenied.with("AWS authentication requires a valid Date or x-amz-date header")
		}
		return t, v, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := parseHTTPDate(v)
		if err != nil {
			return t, "", errAccessDenied.with("AWS authentication requires a valid Date or x-amz-date header")
		}
		return t, t.UTC().Format(amzDateFormat), nil
	}
	return time.Time{}, "", errAccessDenied.with("AWS authentication requires a valid Date or x-amz-date header")
}

// verifyV4 checks signature over the request, trying the canonical URI
// AWS specifies and, only when that fails, the path exactly as sent (some
// clients sign what they send, unnormalised). It returns the matching
// signature, to seed a chunk chain.
func verifyV4(req *request, key []byte, cred sigV4Credential, amzDate, canonQuery string, signedHeaders []string, payloadHash, signature string) error {
	scope := cred.scope()
	uris := []string{canonicalURI(req.path)}
	if req.path != uris[0] {
		uris = append(uris, req.path)
	}
	var firstCR, firstSTS string
	for i, u := range uris {
		cr := canonicalRequestV4(req.r, u, canonQuery, signedHeaders, payloadHash)
		sts := stringToSignV4(amzDate, scope, cr)
		if signaturesEqual(hex.EncodeToString(hmacSHA256(key, sts)), signature) {
			return nil
		}
		if i == 0 {
			firstCR, firstSTS = cr, sts
		}
	}
	return errSignatureDoesNotMatch.
		withField("AWSAccessKeyId", cred.accessKey).
		withField("StringToSign", firstSTS).
		withField("SignatureProvided", signature).
		withField("CanonicalRequest", firstCR)
}

// signaturesEqual compares in constant time, so that response timing does
// not reveal how much of a forged signature was right.
func signaturesEqual(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}

// authSigV4Header authenticates a request signed in its Authorization
// header.
func (s *Server) authSigV4Header(req *request, authz string) error {
	r := req.r
	a, err := parseSigV4Authorization(authz)
	if err != nil {
		return err
	}
	t, amzDate, err := requestTimeV4(r)
	if err != nil {
		return err
	}
	if err := s.checkSkew(t); err != nil {
		return err
	}
	if a.cred.date != t.UTC().Format(scopeDateFmt) {
		return errAuthorizationHeaderMalformed.with("Invalid credential date %q: it is not the date of x-amz-date %q.", a.cred.date, amzDate)
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if payloadHash == "" {
		// S3 requires the header; a request without a body can only
		// have signed the hash of nothing.
		if r.ContentLength != 0 {
			return errInvalidRequest.with("Missing required header for this request: x-amz-content-sha256")
		}
		payloadHash = emptySHA256
	}
	access, err := s.lookupKey(req.ctx, a.cred.accessKey)
	if err != nil {
		return err
	}
	key := signingKey(access.SecretKey, a.cred.date, a.cred.region)
	if err := verifyV4(req, key, a.cred, amzDate, canonicalQuery(r.URL.RawQuery, ""), a.signedHeaders, payloadHash, a.signature); err != nil {
		return err
	}
	req.access = access
	chain := &chunkSigner{key: key, amzDate: amzDate, scope: a.cred.scope(), prev: a.signature}
	return s.setupPayload(req, payloadHash, chain)
}
