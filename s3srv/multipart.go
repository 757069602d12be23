package s3srv

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// maxPartNumber is AWS's limit on part numbers (1..10000).
const maxPartNumber = 10000

// maxCompleteBody bounds the CompleteMultipartUpload document: 10000
// parts with checksums fit well below it.
const maxCompleteBody = 8 << 20

// createMultipartUpload is CreateMultipartUpload (POST ?uploads); the
// object's metadata is given now and applied at completion.
func (s *Server) createMultipartUpload(req *request) (*response, error) {
	opts, err := putOptions(req)
	if err != nil {
		return nil, err
	}
	// Content-MD5 and checksums describe this request's (empty) body.
	opts.ContentMD5, opts.Checksums = nil, nil
	alg, typ, err := multipartChecksum(req.r.Header)
	if err != nil {
		return nil, err
	}
	if alg != nil {
		opts.ChecksumAlgorithm, opts.ChecksumType = alg.key(), typ
	}
	id, err := s.store.CreateMultipartUpload(req.ctx, req.bucket, req.key, opts)
	if err != nil {
		return nil, err
	}
	resp := &response{xml: xmlInitiateMultipartUploadResult{Bucket: req.bucket, Key: req.key, UploadID: id}}
	if alg != nil {
		setRaw(resp, "x-amz-checksum-algorithm", alg.name)
		setRaw(resp, "x-amz-checksum-type", typ)
	}
	return resp, nil
}

// multipartChecksum reads x-amz-checksum-algorithm and x-amz-checksum-type
// of a CreateMultipartUpload: the algorithm every part must carry a
// checksum of, and how the object's checksum is made of them (by default
// full-object for CRC64NVME, composite for the others, as in AWS).
func multipartChecksum(h http.Header) (*checksumAlg, string, error) {
	name, typ := h.Get("X-Amz-Checksum-Algorithm"), h.Get("X-Amz-Checksum-Type")
	if name == "" {
		if typ != "" {
			return nil, "", errInvalidRequest.with("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return nil, "", nil
	}
	a := checksumByName(name)
	if a == nil {
		return nil, "", errInvalidRequest.with("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
	}
	sa := objstore.ChecksumAlgorithmNamed(a.key())
	switch typ {
	case "":
		typ = sa.DefaultType()
	case objstore.ChecksumComposite, objstore.ChecksumFullObject:
	default:
		return nil, "", errInvalidRequest.with("Value for x-amz-checksum-type header is invalid.")
	}
	if !sa.Supports(typ) {
		return nil, "", errInvalidRequest.with("The %s checksum type cannot be used with the %s checksum algorithm.", typ, a.key())
	}
	return a, typ, nil
}

func partNumber(q map[string][]string) (int, error) {
	v := ""
	if vs := q["partNumber"]; len(vs) > 0 {
		v = vs[0]
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, errInvalidArgument.with("Part number must be an integer between 1 and 10000, inclusive")
	}
	return n, nil
}

// uploadPart is UploadPart (PUT ?partNumber&uploadId).
func (s *Server) uploadPart(req *request) (*response, error) {
	n, err := partNumber(req.query)
	if err != nil {
		return nil, err
	}
	md5sum, err := contentMD5(req.r.Header)
	if err != nil {
		return nil, err
	}
	if req.body.size < 0 && len(req.r.TransferEncoding) == 0 &&
		!strings.Contains(req.r.Header.Get("Content-Encoding"), "aws-chunked") {
		return nil, errMissingContentLength
	}
	part, err := s.store.UploadPart(req.ctx, req.bucket, req.key, req.query.Get("uploadId"), n, req.body, req.body.size,
		objstore.PartOptions{ContentMD5: md5sum, Checksums: req.body.stored})
	if err != nil {
		return nil, req.bodyErr(err)
	}
	resp := &response{}
	resp.set("ETag", quoteETag(part.ETag))
	req.body.setChecksumHeaders(resp)
	return resp, nil
}

// uploadPartCopy is UploadPartCopy: a part taken from (a range of) an
// existing object, which is how clients copy objects above their
// multipart threshold.
func (s *Server) uploadPartCopy(req *request) (*response, error) {
	n, err := partNumber(req.query)
	if err != nil {
		return nil, err
	}
	h := req.r.Header
	src, err := parseCopySource(h.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	rd, err := s.store.OpenObject(req.ctx, src.bucket, src.key)
	if err != nil {
		return nil, readErr(err)
	}
	defer rd.Close()
	info := rd.Info()
	if err := checkCopySourceConditions(h, info); err != nil {
		return nil, err
	}
	start, length := int64(0), info.Size
	if v := h.Get("X-Amz-Copy-Source-Range"); v != "" {
		if start, length, err = parseCopyRange(v, info.Size); err != nil {
			return nil, err
		}
	}
	// The part gets a checksum of the upload's algorithm, computed here
	// as the bytes stream, as AWS does for a copied part.
	uploadID := req.query.Get("uploadId")
	up, err := s.store.ListParts(req.ctx, req.bucket, req.key, uploadID, 0, 0)
	if err != nil {
		return nil, err
	}
	var body io.Reader = io.NewSectionReader(rd, start, length)
	var sums map[string]string
	if alg := up.Upload.ChecksumAlgorithm; alg != "" {
		sums = map[string]string{}
		if body, err = objstore.ChecksumReader(body, []string{alg}, sums); err != nil {
			return nil, err
		}
	}
	part, err := s.store.UploadPart(req.ctx, req.bucket, req.key, uploadID, n, body, length, objstore.PartOptions{Checksums: sums})
	if err != nil {
		return nil, err
	}
	return &response{xml: xmlCopyPartResult{LastModified: xmlTime(part.LastModified), ETag: quoteETag(part.ETag),
		xmlChecksums: checksumsXML(part.Checksums)}}, nil
}

// parseCopyRange parses x-amz-copy-source-range: unlike Range, both ends
// are required and the range must lie within the source. AWS answers
// InvalidArgument for both kinds of mistake.
func parseCopyRange(v string, size int64) (start, length int64, err error) {
	bad := errInvalidArgument.with("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").
		withField("ArgumentName", "x-amz-copy-source-range").withField("ArgumentValue", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, bad
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok || !allDigits(first) || !allDigits(last) {
		return 0, 0, bad
	}
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || b < a {
		return 0, 0, bad
	}
	if b >= size {
		return 0, 0, errInvalidArgument.with("Range specified is not valid for source object of size: %d", size)
	}
	return a, b - a + 1, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseCompleteMultipartUpload parses a <CompleteMultipartUpload>
// document into the store's terms; ETags lose their quotes. Parts out of
// order are InvalidPartOrder before anything about the parts themselves is
// looked at, as in AWS.
func parseCompleteMultipartUpload(body []byte) ([]objstore.CompletePart, error) {
	var doc xmlCompleteMultipartUpload
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, errMalformedXML
	}
	if len(doc.Parts) == 0 {
		return nil, errMalformedXML.with("You must specify at least one part.")
	}
	if len(doc.Parts) > maxPartNumber {
		return nil, errMalformedXML.with("Too many parts.")
	}
	parts := make([]objstore.CompletePart, len(doc.Parts))
	for i, p := range doc.Parts {
		n, err := strconv.Atoi(strings.TrimSpace(p.PartNumber))
		if err != nil || n < 1 || n > maxPartNumber {
			return nil, errInvalidPart
		}
		parts[i] = objstore.CompletePart{Number: n, ETag: strings.Trim(strings.TrimSpace(p.ETag), `"`),
			Checksums: p.xmlChecksums.toMap()}
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].Number <= parts[i-1].Number {
			return nil, errInvalidPartOrder
		}
	}
	return parts, nil
}

// completeMultipartUpload is CompleteMultipartUpload (POST ?uploadId).
// The write conditions and the checksums the client states are checked
// by the store, in the transaction that commits the object.
func (s *Server) completeMultipartUpload(req *request) (*response, error) {
	body, err := readSmallBody(req.body, maxCompleteBody)
	if err != nil {
		return nil, req.bodyErr(malformedIfTooLarge(err))
	}
	parts, err := parseCompleteMultipartUpload(body)
	if err != nil {
		return nil, err
	}
	h := req.r.Header
	opts := objstore.CompleteOptions{ChecksumType: h.Get("X-Amz-Checksum-Type")}
	if opts.IfMatch, opts.IfNoneMatchStar, err = writeConditions(h); err != nil {
		return nil, err
	}
	if v := h.Get("X-Amz-Mp-Object-Size"); v != "" {
		size, err := strconv.ParseInt(v, 10, 64)
		if err != nil || size < 0 {
			return nil, errInvalidArgument.with("The x-amz-mp-object-size header is not a valid size.")
		}
		opts.ObjectSize = &size
	}
	for i := range checksumAlgs {
		if v := h.Get(checksumAlgs[i].header); v != "" {
			setKey(&opts.Checksums, checksumAlgs[i].key(), strings.TrimSpace(v))
		}
	}
	info, err := s.store.CompleteMultipartUpload(req.ctx, req.bucket, req.key, req.query.Get("uploadId"), parts, opts)
	if err != nil {
		return nil, err
	}
	doc := xmlCompleteMultipartUploadResult{
		Location:     "/" + req.bucket + "/" + uriEncode(req.key, true),
		Bucket:       req.bucket,
		Key:          req.key,
		ETag:         quoteETag(info.ETag),
		xmlChecksums: checksumsXML(info.Checksums),
	}
	for _, v := range info.Checksums {
		doc.ChecksumType = checksumType(v)
	}
	return &response{xml: doc}, nil
}

func setKey(m *map[string]string, k, v string) {
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
}

// abortMultipartUpload is AbortMultipartUpload (DELETE ?uploadId).
func (s *Server) abortMultipartUpload(req *request) (*response, error) {
	if err := s.store.AbortMultipartUpload(req.ctx, req.bucket, req.key, req.query.Get("uploadId")); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}
