package s3srv

import (
	"strconv"
	"time"
)

// maxPresignExpiry is AWS's limit on X-Amz-Expires: seven days.
const maxPresignExpiry = 7 * 24 * time.Hour

// authSigV4Query authenticates a presigned URL (X-Amz-* query parameters).
func (s *Server) authSigV4Query(req *request) error {
	q := req.query
	if q.Get("X-Amz-Algorithm") != sigV4Algorithm {
		return errAuthQueryMalformed.with("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".")
	}
	cred, err := parseCredential(q.Get("X-Amz-Credential"))
	if err != nil {
		return errAuthQueryMalformed.with("Error parsing the X-Amz-Credential parameter: %s", err.(*apiError).Message)
	}
	amzDate := q.Get("X-Amz-Date")
	t, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return errAuthQueryMalformed.with("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".")
	}
	expires, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	switch {
	case err != nil:
		return errAuthQueryMalformed.with("X-Amz-Expires should be a number.")
	case expires < 0:
		return errAuthQueryMalformed.with("X-Amz-Expires must be non-negative.")
	case expires > int64(maxPresignExpiry/time.Second):
		return errAuthQueryMalformed.with("X-Amz-Expires must be less than a week (in seconds) that is 604800.")
	}
	signedHeaders, err := parseSignedHeaders(q.Get("X-Amz-SignedHeaders"))
	if err != nil {
		return errAuthQueryMalformed.with("%s", err.(*apiError).Message)
	}
	signature := q.Get("X-Amz-Signature")
	if !isHexSignature(signature) {
		return errAuthQueryMalformed.with("X-Amz-Signature is not 64 lower-case hex digits.")
	}
	if cred.date != t.UTC().Format(scopeDateFmt) {
		return errAuthQueryMalformed.with("Invalid credential date %q: it is not the date of X-Amz-Date %q.", cred.date, amzDate)
	}
	now := s.opts.Now()
	if t.Sub(now) > s.opts.MaxSkew {
		return errAccessDenied.with("Request is not valid yet")
	}
	if now.After(t.Add(time.Duration(expires) * time.Second)) {
		return errAccessDenied.with("Request has expired").
			withField("X-Amz-Expires", strconv.FormatInt(expires, 10)).
			withField("Expires", t.Add(time.Duration(expires)*time.Second).UTC().Format(iso8601Millis)).
			withField("ServerTime", now.UTC().Format(iso8601Millis))
	}
	// A presigned URL cannot know its body: the hash is UNSIGNED-PAYLOAD
	// unless the signer pinned one.
	payloadHash := unsignedPayload
	if v := q.Get("X-Amz-Content-Sha256"); v != "" {
		payloadHash = v
	} else if v := req.r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		payloadHash = v
	}
	access, err := s.lookupKey(req.ctx, cred.accessKey)
	if err != nil {
		return err
	}
	key := signingKey(access.SecretKey, cred.date, cred.region)
	if err := verifyV4(req, key, cred, amzDate, canonicalQuery(req.r.URL.RawQuery, "X-Amz-Signature"), signedHeaders, payloadHash, signature); err != nil {
		return err
	}
	req.access = access
	chain := &chunkSigner{key: key, amzDate: amzDate, scope: cred.scope(), prev: signature}
	return s.setupPayload(req, payloadHash, chain)
}
