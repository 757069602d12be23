package s3srv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Values of x-amz-content-sha256 other than a hex digest.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSAPrefix     = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
)

// payload is a request body after authentication: the bytes the client
// meant (aws-chunked framing removed) and their exact size.
//
// Every verifying reader keeps the same promise: when the content does not
// verify (hash, chunk signature, checksum, length), the Read that would
// deliver the last byte returns the error instead, and every later Read
// returns it again. A store that reads the body to its declared size
// therefore never sees a complete body that did not verify, and aborts.
type payload struct {
	r io.Reader
	// size is the length of the content, or -1 when unknown.
	size int64
	// failed is the verification error, kept so that the handler can
	// report it even if the store wraps it beyond recognition.
	failed error
	// sums are the checksums the client sent and this server verified;
	// they are echoed in the response headers.
	sums []*checksum
	// stored is filled with the verified checksums (lower-case algorithm
	// -> base64) by the Read that completes the body, before the store
	// sees its end; nil when the client sent none. It is passed to the
	// store as PutOptions.Checksums, which the store reads only after the
	// body, so a checksum is stored exactly when it verified.
	stored map[string]string
}

func (p *payload) Read(b []byte) (int, error) { return p.r.Read(b) }

func (p *payload) fail(err error) error {
	if p.failed == nil {
		p.failed = err
	}
	return p.failed
}

// bodyErr prefers the verification error of the request body over what
// the store made of it.
func (q *request) bodyErr(err error) error {
	if q.body != nil && q.body.failed != nil {
		return q.body.failed
	}
	return err
}

// verified records the checksums that matched the body.
func (p *payload) verified(sums []*checksum) {
	p.sums = sums
	for _, c := range sums {
		if p.stored != nil {
			p.stored[c.alg.key()] = c.got
		}
	}
}

// setChecksumHeaders echoes the verified checksums in a response.
func (p *payload) setChecksumHeaders(resp *response) {
	for _, c := range p.sums {
		resp.set(c.alg.header, c.got)
	}
}

var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

// setupPayload builds req.body from the x-amz-content-sha256 mode. chain is
// the signing state of a SigV4 request, needed for signed chunks; nil for
// SigV2.
func (s *Server) setupPayload(req *request, mode string, chain *chunkSigner) error {
	r := req.r
	p := &payload{size: r.ContentLength}
	req.body = p
	var headerSums []*checksum
	var err error
	if !isCompleteMultipartUpload(req) {
		if headerSums, err = headerChecksums(r.Header); err != nil {
			return err
		}
	}
	if len(headerSums) > 0 || r.Header.Get("X-Amz-Trailer") != "" {
		p.stored = make(map[string]string)
	}
	switch {
	case mode == unsignedPayload:
		p.r = newVerifyingReader(p, r.Body, r.ContentLength, nil, headerSums)
		return nil
	case mode == streamingSigned, mode == streamingSignedTrailer, mode == streamingUnsignedTrailer:
		size := int64(-1)
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n < 0 {
				return errInvalidArgument.with("Invalid x-amz-decoded-content-length.")
			}
			size = n
		}
		trailerSums, terr := trailerChecksums(r.Header.Get("X-Amz-Trailer"))
		if terr != nil {
			return terr
		}
		if mode == streamingSigned {
			if len(trailerSums) > 0 {
				return errInvalidRequest.with("x-amz-trailer needs a -TRAILER x-amz-content-sha256 mode.")
			}
		}
		if mode == streamingUnsignedTrailer {
			chain = nil
		}
		p.size = size
		p.r = newChunkedReader(p, r.Body, chain, mode != streamingSigned, size, append(headerSums, trailerSums...))
		return nil
	case strings.HasPrefix(mode, streamingECDSAPrefix):
		return errNotImplemented.with("Signature Version 4A is not supported.")
	case mode == "":
		// SigV2 and requests without a body hash: nothing to verify but
		// the length and the checksums the client declared.
		p.r = newVerifyingReader(p, r.Body, r.ContentLength, nil, headerSums)
		return nil
	}
	want, err := hex.DecodeString(mode)
	if err != nil || len(want) != sha256.Size {
		return errInvalidArgument.with("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.")
	}
	p.r = newVerifyingReader(p, r.Body, r.ContentLength, want, headerSums)
	return nil
}

// verifyingReader checks a plain body against its Content-Length, a
// SHA-256 (the signed x-amz-content-sha256) and the x-amz-checksum-*
// headers, hashing each byte once per algorithm as it streams. Every body
// goes through one, even with nothing to hash: net/http reports a client
// that sent less than its Content-Length as io.ErrUnexpectedEOF, which a
// reader of the body could take for a clean end; here it is IncompleteBody.
type verifyingReader struct {
	p         *payload
	r         io.Reader
	remaining int64 // -1 when the length is unknown
	sha       hash.Hash
	wantSHA   []byte
	sums      []*checksum
	done      bool
}

func newVerifyingReader(p *payload, r io.Reader, size int64, wantSHA []byte, sums []*checksum) *verifyingReader {
	v := &verifyingReader{p: p, r: r, remaining: size, wantSHA: wantSHA, sums: sums}
	if wantSHA != nil {
		v.sha = sha256.New()
	}
	return v
}

func (v *verifyingReader) Read(b []byte) (int, error) {
	if v.p.failed != nil {
		return 0, v.p.failed
	}
	if v.done {
		return 0, io.EOF
	}
	if v.remaining >= 0 && int64(len(b)) > v.remaining {
		b = b[:v.remaining]
	}
	var n int
	var err error
	if len(b) > 0 || v.remaining != 0 {
		n, err = v.r.Read(b)
	}
	if n > 0 {
		if v.sha != nil {
			v.sha.Write(b[:n])
		}
		for _, c := range v.sums {
			c.h.Write(b[:n])
		}
		if v.remaining >= 0 {
			v.remaining -= int64(n)
		}
	}
	atEnd := v.remaining == 0 || (v.remaining < 0 && err == io.EOF)
	if err == io.ErrUnexpectedEOF {
		return 0, v.p.fail(errIncompleteBody)
	}
	if err != nil && err != io.EOF {
		return 0, v.p.fail(err)
	}
	if err == io.EOF && v.remaining > 0 {
		return 0, v.p.fail(errIncompleteBody)
	}
	if !atEnd {
		return n, nil
	}
	if ferr := v.finish(); ferr != nil {
		return 0, v.p.fail(ferr)
	}
	v.done = true
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (v *verifyingReader) finish() error {
	if v.sha != nil && !bytes.Equal(v.sha.Sum(nil), v.wantSHA) {
		return errContentSHA256Mismatch
	}
	if err := verifyChecksums(v.sums); err != nil {
		return err
	}
	v.p.verified(v.sums)
	return nil
}

// isCompleteMultipartUpload: the x-amz-checksum-* headers of a
// CompleteMultipartUpload name the object's checksum, not its body's.
func isCompleteMultipartUpload(req *request) bool {
	return req.r.Method == http.MethodPost && req.level == levelObject && req.query.Has("uploadId")
}

// headerChecksums returns the x-amz-checksum-* headers of h, to verify.
func headerChecksums(h http.Header) ([]*checksum, error) {
	var sums []*checksum
	for i := range checksumAlgs {
		a := &checksumAlgs[i]
		v := h.Get(a.header)
		if v == "" {
			continue
		}
		c := a.newChecksum()
		if err := c.expect(v); err != nil {
			return nil, err
		}
		sums = append(sums, c)
	}
	return sums, nil
}

// trailerChecksums returns the checksums announced by x-amz-trailer.
func trailerChecksums(trailer string) ([]*checksum, error) {
	var sums []*checksum
	for _, name := range strings.Split(trailer, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		a := checksumByHeader(name)
		if a == nil {
			return nil, errInvalidRequest.with("The trailer %q is not supported.", name)
		}
		sums = append(sums, a.newChecksum())
	}
	return sums, nil
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
