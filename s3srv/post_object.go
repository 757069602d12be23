package s3srv

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shallot-storage/shallot/objstore"
)

// PostObject: an upload from an HTML form (multipart/form-data POST to
// the bucket), authorised by a policy document signed with the uploader's
// key (SigV4: x-amz-algorithm, x-amz-credential, x-amz-date,
// x-amz-signature; SigV2: AWSAccessKeyId, signature). The form fields come
// first and are read into memory (at most maxPostFields bytes); the file,
// the last field, streams into the store, bounded by the policy's
// content-length-range. Fields after the file are ignored, as in AWS.

const maxPostFields = 20 << 10

var (
	errMalformedPOST = newAPIError("MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data.")
	errPostTooLarge  = newAPIError("MaxPostPreDataLengthExceeded", http.StatusBadRequest, "Your POST request fields preceding the upload file were too large.")
	errPostNoKey     = errInvalidArgument.with("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	errPostNoFile    = errInvalidArgument.with("POST requires exactly one file upload per request.")
)

// isPostObject reports whether req is a browser upload: a POST of a form
// to a bucket, which carries its own authentication.
func isPostObject(req *request) bool {
	if req.r.Method != http.MethodPost || req.level != levelBucket || subResource(req, bucketSubResources) != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(req.r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// postForm is a parsed form: the fields before the file (lower-case
// names; values as sent) and the file part, positioned at its content.
type postForm struct {
	fields   map[string]string
	file     *multipart.Part
	filename string
}

func readPostForm(r *http.Request) (*postForm, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return nil, errMalformedPOST
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	f := &postForm{fields: map[string]string{}}
	total := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return f, nil // no file
		}
		if err != nil {
			return nil, errMalformedPOST
		}
		name := strings.ToLower(part.FormName())
		if name == "" {
			return nil, errMalformedPOST
		}
		if name == "file" {
			f.file, f.filename = part, part.FileName()
			return f, nil
		}
		if _, dup := f.fields[name]; dup {
			return nil, errInvalidArgument.with("The form field %q appears more than once.", name)
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(maxPostFields-total)+1))
		if err != nil {
			return nil, errMalformedPOST
		}
		total += len(name) + len(v)
		if total > maxPostFields {
			return nil, errPostTooLarge
		}
		f.fields[name] = string(v)
	}
}

// authPostForm verifies the policy signature and returns the key and the
// decoded policy.
func (s *Server) authPostForm(req *request, f map[string]string) (objstore.AccessKey, []byte, error) {
	policyB64 := f["policy"]
	var access objstore.AccessKey
	var err error
	switch {
	case f["x-amz-signature"] != "" || f["x-amz-algorithm"] != "":
		if f["x-amz-algorithm"] != sigV4Algorithm {
			return access, nil, errInvalidArgument.with("Only the AWS4-HMAC-SHA256 algorithm is supported for POST.")
		}
		cred, cerr := parseCredential(f["x-amz-credential"])
		if cerr != nil {
			return access, nil, errInvalidArgument.with("Invalid x-amz-credential: %s", cerr.(*apiError).Message)
		}
		t, terr := time.Parse(amzDateFormat, f["x-amz-date"])
		if terr != nil || t.UTC().Format(scopeDateFmt) != cred.date {
			return access, nil, errInvalidArgument.with("x-amz-date must be an ISO 8601 time on the day of x-amz-credential.")
		}
		if policyB64 == "" {
			return access, nil, errInvalidArgument.with("Bucket POST must contain a field named 'policy'.")
		}
		if access, err = s.lookupKey(req.ctx, cred.accessKey); err != nil {
			return access, nil, err
		}
		want := hex.EncodeToString(hmacSHA256(signingKey(access.SecretKey, cred.date, cred.region), policyB64))
		if !signaturesEqual(strings.ToLower(f["x-amz-signature"]), want) {
			return access, nil, errSignatureDoesNotMatch.withField("AWSAccessKeyId", cred.accessKey).withField("StringToSign", policyB64)
		}
	case f["signature"] != "" || f["awsaccesskeyid"] != "":
		if policyB64 == "" {
			return access, nil, errInvalidArgument.with("Bucket POST must contain a field named 'policy'.")
		}
		if access, err = s.lookupKey(req.ctx, f["awsaccesskeyid"]); err != nil {
			return access, nil, err
		}
		m := hmac.New(sha1.New, []byte(access.SecretKey))
		m.Write([]byte(policyB64))
		got, derr := base64.StdEncoding.DecodeString(f["signature"])
		if derr != nil || !hmac.Equal(got, m.Sum(nil)) {
			return access, nil, errSignatureDoesNotMatch.withField("AWSAccessKeyId", f["awsaccesskeyid"]).withField("StringToSign", policyB64)
		}
	default:
		// Anonymous uploads would need a public bucket: there are none.
		return access, nil, errAccessDenied
	}
	doc, err := base64.StdEncoding.DecodeString(policyB64)
	if err != nil {
		return access, nil, errInvalidPolicy.with("Invalid Policy: Invalid Base64 Encoding.")
	}
	return access, doc, nil
}

// postHeaders turns the form fields that describe the object into the
// request headers PutObject would have had.
func postHeaders(fields map[string]string) http.Header {
	h := http.Header{}
	for k, v := range fields {
		switch {
		case k == "content-type", k == "cache-control", k == "content-disposition", k == "content-encoding",
			k == "expires", k == "content-language", k == "x-amz-storage-class",
			k == "x-amz-website-redirect-location", k == "acl",
			strings.HasPrefix(k, "x-amz-meta-"), strings.HasPrefix(k, "x-amz-checksum-"),
			strings.HasPrefix(k, "x-amz-server-side-encryption"), strings.HasPrefix(k, "x-amz-object-lock-"):
			if k == "acl" {
				k = "x-amz-acl"
			}
			h.Set(k, v)
		}
	}
	return h
}

// postObject is PostObject.
func (s *Server) postObject(req *request) (*response, error) {
	form, err := readPostForm(req.r)
	if err != nil {
		return nil, err
	}
	fields := form.fields
	access, doc, err := s.authPostForm(req, fields)
	if err != nil {
		return nil, err
	}
	req.access = access
	req.ctx = objstore.WithCaller(req.ctx, access.Owner)
	policy, err := parsePostPolicy(doc)
	if err != nil {
		return nil, err
	}
	if err := policy.check(fields, req.bucket, s.opts.Now()); err != nil {
		return nil, err
	}
	key, ok := fields["key"]
	if !ok || key == "" {
		return nil, errPostNoKey
	}
	if form.file == nil {
		return nil, errPostNoFile
	}
	key = strings.ReplaceAll(key, "${filename}", form.filename)
	req.key = key

	// The object's description is what PutObject takes from headers.
	h := postHeaders(fields)
	if err := checkUnsupportedPutHeaders(h); err != nil {
		return nil, err
	}
	opts := objstore.PutOptions{Owner: access.Owner, ContentType: h.Get("Content-Type")}
	if opts.Meta, err = userMetadata(h); err != nil {
		return nil, err
	}
	if opts.Headers, err = storedHeaders(h); err != nil {
		return nil, err
	}
	if v, ok := fields["tagging"]; ok {
		if opts.Tags, err = parseTaggingXML([]byte(v)); err != nil {
			return nil, err
		}
	}
	switch h.Get("X-Amz-Acl") {
	case "", "private", "bucket-owner-full-control", "bucket-owner-read":
	default:
		return nil, errNotImplemented.with("The canned ACL %q is not supported; only \"private\".", h.Get("X-Amz-Acl"))
	}
	sums, err := headerChecksums(h)
	if err != nil {
		return nil, err
	}
	p := &payload{size: -1}
	if len(sums) > 0 {
		p.stored = map[string]string{}
	}
	body := &postFileReader{p: p, r: form.file, min: 0, max: -1}
	if policy.hasLength {
		body.min, body.max = policy.minLength, policy.maxLength
	}
	p.r = newVerifyingReader(p, body, -1, nil, sums)
	req.body = p
	opts.Checksums = p.stored
	info, err := s.store.PutObject(req.ctx, req.bucket, key, p, -1, opts)
	if err != nil {
		return nil, req.bodyErr(err)
	}
	return postResponse(req, fields, info), nil
}

// postFileReader bounds the file by content-length-range; the error for a
// file too small comes instead of the end, so the store never commits it.
type postFileReader struct {
	p        *payload
	r        io.Reader
	n        int64
	min, max int64 // max < 0: no bound
}

func (f *postFileReader) Read(b []byte) (int, error) {
	n, err := f.r.Read(b)
	f.n += int64(n)
	if f.max >= 0 && f.n > f.max {
		return 0, f.p.fail(errEntityTooLarge)
	}
	switch {
	case err == io.EOF && f.n < f.min:
		return 0, f.p.fail(errEntityTooSmall)
	case err == io.EOF:
		return n, io.EOF
	case err != nil:
		// Including io.ErrUnexpectedEOF: the form ended before its
		// closing boundary, so the file may be cut short.
		return 0, f.p.fail(errIncompleteBody.with("The POST body ended before the end of the file."))
	}
	return n, nil
}

type xmlPostResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postResponse answers a successful upload: a redirect when the form asks
// for one, else the status it asks for (204 by default).
func postResponse(req *request, fields map[string]string, info objstore.ObjectInfo) *response {
	etag := quoteETag(info.ETag)
	location := objectURL(req, info.Key)
	redirect := fields["success_action_redirect"]
	if redirect == "" {
		redirect = fields["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && u.Scheme != "" {
		q := u.Query()
		q.Set("bucket", req.bucket)
		q.Set("key", info.Key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		resp := &response{status: http.StatusSeeOther}
		resp.set("Location", u.String())
		resp.set("ETag", etag)
		return resp
	}
	resp := &response{}
	resp.set("ETag", etag)
	resp.set("Location", location)
	switch fields["success_action_status"] {
	case "200":
		resp.status = http.StatusOK
	case "201":
		resp.status = http.StatusCreated
		resp.xml = xmlPostResponse{Location: location, Bucket: req.bucket, Key: info.Key, ETag: etag}
	default:
		resp.status = http.StatusNoContent
	}
	return resp
}

// objectURL is the address of bucket/key as the client reached this
// server.
func objectURL(req *request, key string) string {
	scheme := "http"
	if req.r.TLS != nil {
		scheme = "https"
	}
	if req.path != req.routePath { // virtual-hosted: the host names the bucket
		return scheme + "://" + req.r.Host + "/" + uriEncode(key, true)
	}
	return scheme + "://" + req.r.Host + "/" + req.bucket + "/" + uriEncode(key, true)
}
