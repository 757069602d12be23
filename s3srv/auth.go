package s3srv

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/shallot-storage/shallot/objstore"
)

// authenticate identifies the caller of req and sets req.access and
// req.body. Every request must be signed: anonymous access is denied.
func (s *Server) authenticate(req *request) error {
	r := req.r
	authz := r.Header.Get("Authorization")
	q := req.query
	switch {
	case strings.HasPrefix(authz, sigV4Algorithm+" "):
		return s.authSigV4Header(req, authz)
	case strings.HasPrefix(authz, "AWS "):
		return s.authSigV2Header(req, authz)
	case strings.HasPrefix(authz, "AWS4-ECDSA-P256-SHA256"):
		return errNotImplemented.with("Signature Version 4A is not supported.")
	case authz != "":
		return errInvalidArgument.with("Unsupported Authorization Type")
	case q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Signature"):
		return s.authSigV4Query(req)
	case q.Has("AWSAccessKeyId") || q.Has("Signature"):
		return s.authSigV2Query(req)
	}
	return errAccessDenied
}

// lookupKey returns the secret and identity of an access key. A disabled
// key is refused with InvalidAccessKeyId, the code AWS uses for inactive
// keys, so a client cannot tell a disabled key from a deleted one.
func (s *Server) lookupKey(ctx context.Context, accessKey string) (objstore.AccessKey, error) {
	k, err := s.store.LookupKey(ctx, accessKey)
	switch {
	case errors.Is(err, objstore.ErrNotExist), errors.Is(err, objstore.ErrKeyDisabled):
		return k, errInvalidAccessKeyID
	case err != nil:
		return k, err
	case k.Disabled:
		return k, errInvalidAccessKeyID
	}
	return k, nil
}

// checkSkew refuses a request signed too far from the server's clock.
func (s *Server) checkSkew(t time.Time) error {
	d := s.opts.Now().Sub(t)
	if d < 0 {
		d = -d
	}
	if d > s.opts.MaxSkew {
		return errRequestTimeTooSkewed.
			withField("RequestTime", t.UTC().Format(amzDateFormat)).
			withField("ServerTime", s.opts.Now().UTC().Format(amzDateFormat)).
			withField("MaxAllowedSkewMilliseconds", itoa64(s.opts.MaxSkew.Milliseconds()))
	}
	return nil
}

// parseHTTPDate accepts the date formats clients put in the Date header:
// HTTP's three, a numeric zone (RFC 1123Z), and "UTC" in place of "GMT"
// (rclone's SigV2 signer).
func parseHTTPDate(v string) (time.Time, error) {
	if t, err := http.ParseTime(v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC1123Z, v); err == nil {
		return t, nil
	}
	if rest, ok := strings.CutSuffix(v, " UTC"); ok {
		return time.Parse(time.RFC1123, rest+" GMT")
	}
	return time.Time{}, errors.New("unrecognised date format")
}
