package s3srv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/julienschmidt/httprouter"
	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore"
)

// Options configure a Server.
type Options struct {
	// Region is reported by GetBucketLocation; default "us-east-1".
	// Requests signed for another region are accepted (see doc.go).
	Region string
	// Domain enables virtual-hosted style requests: a Host of
	// "<bucket>.<Domain>" addresses that bucket. Empty disables it.
	Domain string
	// Log receives one line per failed request at debug level and every
	// internal error; default: logrus' standard logger.
	Log *logrus.Entry
	// Now is the clock used for signature freshness; default time.Now.
	Now func() time.Time
	// MaxSkew bounds the difference between a request's signing time and
	// Now; default 15 minutes, as AWS.
	MaxSkew time.Duration
	// ServerName is sent in the Server header; default "shallot".
	ServerName string
}

// Server is the S3 door. It is an http.Handler; every method is safe for
// concurrent use.
type Server struct {
	store  *objstore.Store
	opts   Options
	log    *logrus.Entry
	router *httprouter.Router
	// reqPrefix and reqSeq make request ids unique per server without a
	// random read per request.
	reqPrefix string
	reqSeq    atomic.Uint64
	// copyBufs holds *[]byte of copyBufSize for streaming object bodies.
	copyBufs sync.Pool
}

var _ http.Handler = (*Server)(nil)

// New returns a Server over store.
func New(store *objstore.Store, opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Log == nil {
		opts.Log = logrus.NewEntry(logrus.StandardLogger()).WithField("component", "s3")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxSkew == 0 {
		opts.MaxSkew = 15 * time.Minute
	}
	if opts.ServerName == "" {
		opts.ServerName = "shallot"
	}
	opts.Domain = strings.ToLower(strings.TrimSuffix(opts.Domain, "."))
	var seed [6]byte
	_, _ = rand.Read(seed[:])
	s := &Server{
		store:     store,
		opts:      opts,
		log:       opts.Log,
		reqPrefix: strings.ToUpper(hex.EncodeToString(seed[:])),
	}
	s.router = s.newRouter()
	s.copyBufs.New = func() any { b := make([]byte, copyBufSize); return &b }
	return s
}

// Route levels: the service (no bucket), a bucket, an object.
type level uint8

const (
	levelService level = iota
	levelBucket
	levelObject
)

func (s *Server) newRouter() *httprouter.Router {
	r := httprouter.New()
	// Keys may end in "/" or contain "//": never redirect to a "clean" path.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = false
	r.HandleOPTIONS = false
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete} {
		r.Handle(m, "/", routeMarker)
		r.Handle(m, "/:bucket", routeMarker)
		r.Handle(m, "/:bucket/*key", routeMarker)
	}
	return r
}

// request is everything a handler needs about one S3 call.
type request struct {
	r      *http.Request
	ctx    context.Context
	id     string
	hostID string
	log    *logrus.Entry

	level  level
	bucket string
	key    string
	// path is the escaped path as the client sent it (before any
	// virtual-host rewrite): what SigV4 signs.
	path string
	// routePath is path in path style ("/bucket/key", escaped): what
	// SigV2 signs.
	routePath string
	// query is the parsed query string.
	query url.Values

	// Set by authentication.
	access objstore.AccessKey
	body   *payload
}

// owner is the POSIX identity the request acts as.
func (q *request) owner() objstore.Owner { return q.access.Owner }

// resource is the Resource element of error documents.
func (q *request) resource() string {
	switch {
	case q.bucket == "":
		return "/"
	case q.key == "":
		return "/" + q.bucket
	}
	return "/" + q.bucket + "/" + q.key
}

func (s *Server) newRequestID() string {
	return s.reqPrefix + strings.ToUpper(hexUint(s.reqSeq.Add(1)))
}

func hexUint(v uint64) string {
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return hex.EncodeToString(b[:])
}

// ServeHTTP routes on the escaped path so that a key's "%2F", "+" and "//"
// survive exactly, then authenticates and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := s.newRequestID()
	// Go sends "100 Continue" only when a handler reads the body; for an
	// empty body it never does, and botocore then takes the final status
	// line for the interim one and stalls the next request on the
	// connection. Say it explicitly.
	if r.ContentLength == 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		w.WriteHeader(http.StatusContinue)
	}
	h := w.Header()
	h.Set("Server", s.opts.ServerName)
	h.Set("x-amz-request-id", id)
	h.Set("x-amz-id-2", id)

	rawPath := r.URL.EscapedPath()
	if rawPath == "" {
		rawPath = "/"
	}
	routePath := rawPath
	if b := s.virtualHostBucket(r.Host); b != "" {
		routePath = "/" + b + rawPath
	}
	req := &request{
		r:      r,
		ctx:    objstore.WithOrigin(r.Context(), objstore.OriginS3),
		id:     id,
		hostID: id,
		log:    s.log.WithField("request", id),
		path:   rawPath,
	}
	req.routePath = routePath
	if headerSectionSize(r.Header) > maxHeaderSection {
		s.writeError(w, req, errHeaderTooLarge)
		return
	}
	handle, ps, _ := s.router.Lookup(r.Method, routePath)
	if handle == nil {
		s.writeError(w, req, errMethodNotAllowed)
		return
	}
	switch {
	case ps.ByName("key") != "":
		req.level = levelObject
	case ps.ByName("bucket") != "":
		req.level = levelBucket
	}
	resp, err := s.serve(req, ps)
	s.writeResponse(w, req, resp, err)
}

// routeMarker is registered for every route: the router is used only to
// match (Lookup), and the parameters it returns tell the route level.
func routeMarker(http.ResponseWriter, *http.Request, httprouter.Params) {}

func (s *Server) serve(req *request, ps httprouter.Params) (*response, error) {
	var err error
	if req.bucket, err = url.PathUnescape(ps.ByName("bucket")); err != nil {
		return nil, errInvalidURI
	}
	if req.level == levelObject {
		key := strings.TrimPrefix(ps.ByName("key"), "/")
		if req.key, err = url.PathUnescape(key); err != nil {
			return nil, errInvalidURI
		}
		// "/bucket/" addresses the bucket, as S3 treats it.
		if req.key == "" {
			req.level = levelBucket
		}
	}
	if req.query, err = url.ParseQuery(req.r.URL.RawQuery); err != nil {
		return nil, errInvalidURI
	}
	if isPostObject(req) {
		// A browser upload authenticates with its form's signed policy.
		return s.postObject(req)
	}
	if err := s.authenticate(req); err != nil {
		return nil, err
	}
	// The store checks POSIX permissions for this identity, as the mount
	// does for the same uid.
	req.ctx = objstore.WithCaller(req.ctx, req.access.Owner)
	// Objects have one version, "null": any other is absent, whatever
	// the operation.
	if req.level == levelObject {
		if err := errNoSuchVersionIfSet(req.query.Get("versionId")); err != nil {
			return nil, err
		}
	}
	op := s.operation(req)
	if req.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		req.log = req.log.WithFields(logrus.Fields{"op": op.name, "bucket": req.bucket, "key": req.key})
	}
	resp, err := op.fn(req)
	// At bucket level the only thing that can be missing is the bucket.
	if err != nil && req.level == levelBucket && errors.Is(err, objstore.ErrNotExist) {
		var api *apiError
		if !errors.As(err, &api) {
			err = errNoSuchBucket
		}
	}
	return resp, err
}

var errInvalidURI = newAPIError("InvalidURI", http.StatusBadRequest, "Couldn't parse the specified URI.")

// maxHeaderSection is AWS's limit on a request's headers (names and
// values); the http.Server's own, larger limit answers in plain text.
const maxHeaderSection = 8 << 10

var errHeaderTooLarge = newAPIError("RequestHeaderSectionTooLarge", http.StatusBadRequest, "Your request header section exceeds the maximum allowed size.")

func headerSectionSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	return n
}

// virtualHostBucket returns the bucket named by a virtual-hosted style
// Host header, or "" for path style.
func (s *Server) virtualHostBucket(host string) string {
	if s.opts.Domain == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	suffix := "." + s.opts.Domain
	if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
		return host[:len(host)-len(suffix)]
	}
	return ""
}
