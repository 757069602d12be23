package s3srv

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SigV2 as AWS documents it ("Signing and Authenticating REST Requests"):
//
//	StringToSign = Verb \n Content-MD5 \n Content-Type \n Date \n
//	               CanonicalizedAmzHeaders CanonicalizedResource
//
// Date is empty when x-amz-date is sent, and is the Expires value in a
// presigned URL. The resource is "/bucket/key" plus the sub-resources below.

// sigV2SubResources are the query parameters that are part of the
// CanonicalizedResource.
var sigV2SubResources = map[string]bool{
	"acl": true, "cors": true, "delete": true, "encryption": true, "lifecycle": true,
	"location": true, "logging": true, "notification": true, "partNumber": true,
	"policy": true, "requestPayment": true, "restore": true, "tagging": true,
	"torrent": true, "uploadId": true, "uploads": true, "versionId": true,
	"versioning": true, "versions": true, "website": true, "replication": true,
	"object-lock": true, "retention": true, "legal-hold": true, "accelerate": true,
	"response-cache-control": true, "response-content-disposition": true,
	"response-content-encoding": true, "response-content-language": true,
	"response-content-type": true, "response-expires": true,
}

// sigV2ExtraSubResources are query parameters some signers (botocore's
// HmacV1, s3cmd) put in the resource although AWS's list does not name
// them; they are tried only when the documented list fails.
var sigV2ExtraSubResources = map[string]bool{
	"list-type": true, "select": true, "select-type": true, "analytics": true,
	"metrics": true, "inventory": true, "storageClass": true, "defaultObjectAcl": true,
	"intelligent-tiering": true, "ownershipControls": true, "publicAccessBlock": true,
	"policyStatus": true, "attributes": true,
}

// canonicalAmzHeadersV2 lists the x-amz-* headers, lower case, sorted,
// values joined by ",".
func canonicalAmzHeadersV2(h http.Header) string {
	var names []string
	for k := range h {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		vals := h.Values(n)
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = strings.TrimSpace(v)
		}
		b.WriteString(n + ":" + strings.Join(out, ",") + "\n")
	}
	return b.String()
}

// subResourcesV2 returns "?a&b=v..." for the sub-resources in q, sorted by
// name, values unencoded.
func subResourcesV2(q url.Values, extra bool) string {
	var names []string
	for k := range q {
		if sigV2SubResources[k] || extra && sigV2ExtraSubResources[k] {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(n)
		if v := q.Get(n); v != "" {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// stringToSignV2 builds the string for the given date line and resource.
func stringToSignV2(r *http.Request, date, resource string) string {
	return r.Method + "\n" +
		r.Header.Get("Content-MD5") + "\n" +
		r.Header.Get("Content-Type") + "\n" +
		date + "\n" +
		canonicalAmzHeadersV2(r.Header) +
		resource
}

// resourcesV2 returns the candidate CanonicalizedResources: the path as
// sent first, then its decoded form and AWS's own encoding of it. Clients
// disagree on how a UTF-8 or reserved key is written into the string to
// sign, and only a failed first try pays for the others.
func resourcesV2(req *request) []string {
	subs := []string{subResourcesV2(req.query, false)}
	if extra := subResourcesV2(req.query, true); extra != subs[0] {
		subs = append(subs, extra)
	}
	paths := []string{req.routePath}
	if dec, err := url.PathUnescape(req.routePath); err == nil && dec != req.routePath {
		paths = append(paths, dec)
	}
	if enc := canonicalURI(req.routePath); enc != req.routePath {
		paths = append(paths, enc)
	}
	// For a bucket, AWS's own examples sign "/bucket/" for virtual-hosted
	// requests, and boto signs it for path-style ones too.
	if req.level == levelBucket {
		if strings.HasSuffix(req.routePath, "/") {
			paths = append(paths, strings.TrimSuffix(req.routePath, "/"))
		} else {
			paths = append(paths, req.routePath+"/")
		}
	}
	out := make([]string, 0, len(paths)*len(subs))
	for _, sub := range subs {
		for _, p := range paths {
			out = append(out, p+sub)
		}
	}
	return out
}

func signV2(secret, sts string) []byte {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts))
	return m.Sum(nil)
}

// verifyV2 checks a base64 signature against every candidate resource.
func verifyV2(req *request, secret, date, signature, accessKey string) error {
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return errSignatureDoesNotMatch.with("The signature is not valid base64.")
	}
	var first string
	for i, res := range resourcesV2(req) {
		sts := stringToSignV2(req.r, date, res)
		if hmac.Equal(signV2(secret, sts), got) {
			return nil
		}
		if i == 0 {
			first = sts
		}
	}
	return errSignatureDoesNotMatch.
		withField("AWSAccessKeyId", accessKey).
		withField("StringToSign", first).
		withField("SignatureProvided", signature)
}

// parseSigV2Authorization splits "AWS <key>:<signature>".
func parseSigV2Authorization(v string) (accessKey, signature string, err error) {
	rest, ok := strings.CutPrefix(v, "AWS ")
	if !ok {
		return "", "", errInvalidArgument.with("Unsupported Authorization Type")
	}
	key, sig, ok := strings.Cut(rest, ":")
	key, sig = strings.TrimSpace(key), strings.TrimSpace(sig)
	if !ok || key == "" || sig == "" {
		return "", "", errInvalidArgument.with("The authorization header is malformed; expecting \"AWS AccessKeyId:Signature\".")
	}
	return key, sig, nil
}

// authSigV2Header authenticates "Authorization: AWS key:signature".
func (s *Server) authSigV2Header(req *request, authz string) error {
	r := req.r
	accessKey, signature, err := parseSigV2Authorization(authz)
	if err != nil {
		return err
	}
	var t time.Time
	date := ""
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err = parseHTTPDate(v)
	} else if v := r.Header.Get("Date"); v != "" {
		t, err = parseHTTPDate(v)
		date = v
	} else {
		return errAccessDenied.with("AWS authentication requires a valid Date or x-amz-date header")
	}
	if err != nil {
		return errAccessDenied.with("AWS authentication requires a valid Date or x-amz-date header")
	}
	if err := s.checkSkew(t); err != nil {
		return err
	}
	access, err := s.lookupKey(req.ctx, accessKey)
	if err != nil {
		return err
	}
	if err := verifyV2(req, access.SecretKey, date, signature, accessKey); err != nil {
		return err
	}
	req.access = access
	return s.setupPayload(req, "", nil)
}

// authSigV2Query authenticates a SigV2 presigned URL (AWSAccessKeyId,
// Expires, Signature).
func (s *Server) authSigV2Query(req *request) error {
	q := req.query
	accessKey, expires := q.Get("AWSAccessKeyId"), q.Get("Expires")
	// A "+" left unescaped in the URL decodes as a space.
	signature := strings.ReplaceAll(q.Get("Signature"), " ", "+")
	if accessKey == "" || expires == "" || signature == "" {
		return errAccessDenied.with("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters")
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return errAccessDenied.with("Invalid date (should be seconds since epoch): %s", expires)
	}
	if s.opts.Now().Unix() > exp {
		return errAccessDenied.with("Request has expired").
			withField("Expires", time.Unix(exp, 0).UTC().Format(iso8601Millis)).
			withField("ServerTime", s.opts.Now().UTC().Format(iso8601Millis))
	}
	access, err := s.lookupKey(req.ctx, accessKey)
	if err != nil {
		return err
	}
	if err := verifyV2(req, access.SecretKey, expires, signature, accessKey); err != nil {
		return err
	}
	req.access = access
	return s.setupPayload(req, "", nil)
}
