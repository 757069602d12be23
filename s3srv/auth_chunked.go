package s3srv

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
)

// aws-chunked, as S3 defines it ("Transferring Payload in Multiple Chunks"
// and "Including Trailing Headers"):
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n   ... repeated
//	0[;chunk-signature=<sig>]\r\n                      final chunk
//	[<trailer>:<value>\r\n ... [x-amz-trailer-signature:<sig>\r\n]]
//	\r\n
//
// Each chunk signature signs the SHA-256 of the chunk's data and chains on
// the previous signature, starting from the request's own ("seed")
// signature; the trailer signature chains on the final chunk's.

// chunkSigner holds the chain of a signed aws-chunked body.
type chunkSigner struct {
	key     []byte
	amzDate string
	scope   string
	prev    string // signature of the previous element, hex
}

func (c *chunkSigner) chunkSignature(dataSHA256 []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" +
		emptySHA256 + "\n" + hex.EncodeToString(dataSHA256)
	return hex.EncodeToString(hmacSHA256(c.key, sts))
}

func (c *chunkSigner) trailerSignature(canonicalTrailers string) string {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" +
		sha256Hex(canonicalTrailers)
	return hex.EncodeToString(hmacSHA256(c.key, sts))
}

// verify checks a claimed signature and advances the chain.
func (c *chunkSigner) verify(claimed, computed string) error {
	if !signaturesEqual(claimed, computed) {
		return errSignatureDoesNotMatch.with("The chunk signature does not match: the body was altered or signed with another key.")
	}
	c.prev = computed
	return nil
}

// Limits of the framing, generous for every client seen.
const (
	chunkLineMax   = 4096 // bytes of one header or trailer line (bufio size)
	trailerLineMax = 32   // trailer lines
)

var errMalformedChunk = errIncompleteBody.with("The aws-chunked body is malformed.")

// chunkedReader decodes aws-chunked, verifying chunk signatures (when
// signer is set), the trailer signature, the checksums and the decoded
// length. It keeps payload's promise: the Read that completes a chunk
// reads the next chunk header too, and when that is the final chunk it
// verifies everything before returning the last bytes.
type chunkedReader struct {
	p        *payload
	br       *bufio.Reader
	signer   *chunkSigner // nil: unsigned chunks
	trailer  bool         // trailers follow the final chunk
	sums     []*checksum
	declared int64 // x-amz-decoded-content-length, or -1

	sha     hash.Hash
	inChunk int64  // bytes of the current chunk not yet read
	claimed string // signature claimed by the current chunk
	total   int64
	started bool
	done    bool
}

func newChunkedReader(p *payload, r io.Reader, signer *chunkSigner, trailer bool, declared int64, sums []*checksum) *chunkedReader {
	c := &chunkedReader{
		p:        p,
		br:       bufio.NewReaderSize(r, chunkLineMax),
		signer:   signer,
		trailer:  trailer,
		sums:     sums,
		declared: declared,
	}
	if signer != nil {
		c.sha = sha256.New()
	}
	return c
}

func (c *chunkedReader) Read(b []byte) (int, error) {
	if c.p.failed != nil {
		return 0, c.p.failed
	}
	if !c.started {
		c.started = true
		if err := c.nextChunk(); err != nil {
			return 0, c.p.fail(err)
		}
	}
	if c.done {
		return 0, io.EOF
	}
	if len(b) == 0 {
		return 0, nil
	}
	if int64(len(b)) > c.inChunk {
		b = b[:c.inChunk]
	}
	n, err := c.br.Read(b)
	if n > 0 {
		if c.sha != nil {
			c.sha.Write(b[:n])
		}
		for _, s := range c.sums {
			s.h.Write(b[:n])
		}
		c.inChunk -= int64(n)
		c.total += int64(n)
		if c.declared >= 0 && c.total > c.declared {
			return 0, c.p.fail(errInvalidRequest.with("The aws-chunked body is longer than x-amz-decoded-content-length."))
		}
	}
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = errIncompleteBody
		}
		return 0, c.p.fail(err)
	}
	if c.inChunk == 0 {
		if err := c.endChunk(); err != nil {
			return 0, c.p.fail(err)
		}
		if err := c.nextChunk(); err != nil {
			return 0, c.p.fail(err)
		}
	}
	return n, nil
}

// readLine returns one CRLF-terminated line without its terminator. A
// bare LF is accepted as well.
func (c *chunkedReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return "", errIncompleteBody
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", errMalformedChunk
		}
		return "", err
	}
	s := strings.TrimSuffix(string(line[:len(line)-1]), "\r")
	return s, nil
}

// endChunk consumes the CRLF after a chunk's data and verifies its
// signature.
func (c *chunkedReader) endChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	if line != "" {
		return errMalformedChunk
	}
	if c.signer != nil {
		return c.signer.verify(c.claimed, c.signer.chunkSignature(c.sha.Sum(nil)))
	}
	return nil
}

// nextChunk reads a chunk header; on the final chunk it reads the
// trailers and verifies the whole body.
func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	size, sig, err := parseChunkHeader(line)
	if err != nil {
		return err
	}
	if c.signer != nil && sig == "" {
		return errSignatureDoesNotMatch.with("A signed aws-chunked body has a chunk without chunk-signature.")
	}
	if c.declared >= 0 && size > c.declared-c.total {
		return errInvalidRequest.with("The aws-chunked body is longer than x-amz-decoded-content-length.")
	}
	c.claimed = sig
	if c.sha != nil {
		c.sha.Reset()
	}
	if size > 0 {
		c.inChunk = size
		return nil
	}
	return c.finish()
}

// parseChunkHeader parses "<hex size>[;chunk-signature=<sig>]".
func parseChunkHeader(line string) (size int64, sig string, err error) {
	sizeStr, ext, hasExt := strings.Cut(line, ";")
	sizeStr = strings.TrimSpace(sizeStr)
	if sizeStr == "" || len(sizeStr) > 15 {
		return 0, "", errMalformedChunk
	}
	size, perr := strconv.ParseInt(sizeStr, 16, 64)
	if perr != nil || size < 0 {
		return 0, "", errMalformedChunk
	}
	if hasExt {
		name, value, ok := strings.Cut(strings.TrimSpace(ext), "=")
		if !ok || name != "chunk-signature" || !isHexSignature(value) {
			return 0, "", errMalformedChunk
		}
		sig = value
	}
	return size, sig, nil
}

func (c *chunkedReader) finish() error {
	if c.signer != nil {
		if err := c.signer.verify(c.claimed, c.signer.chunkSignature(c.sha.Sum(nil))); err != nil {
			return err
		}
	}
	if c.trailer {
		if err := c.readTrailers(); err != nil {
			return err
		}
	} else {
		// The final CRLF; some clients end the body without it.
		if line, err := c.readLine(); err == nil && line != "" {
			return errMalformedChunk
		}
	}
	if c.declared >= 0 && c.total != c.declared {
		return errIncompleteBody.with("The aws-chunked body is shorter than x-amz-decoded-content-length.")
	}
	if err := verifyChecksums(c.sums); err != nil {
		return err
	}
	c.p.verified(c.sums)
	c.done = true
	return nil
}

// readTrailers reads "name:value" lines up to an empty line (or the end of
// the body), fills in the announced checksums and verifies the trailer
// signature of a signed body.
func (c *chunkedReader) readTrailers() error {
	var canonical strings.Builder
	var claimed string
	for i := 0; ; i++ {
		if i == trailerLineMax {
			return errMalformedChunk
		}
		line, err := c.readLine()
		if err == errIncompleteBody {
			break // the body ended without the closing empty line
		}
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return errMalformedChunk
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			claimed = value
			continue
		}
		sum := c.sumFor(name)
		if sum == nil {
			return errInvalidRequest.with("The trailing header %q was not announced in x-amz-trailer.", name)
		}
		if err := sum.expect(value); err != nil {
			return err
		}
		canonical.WriteString(name + ":" + value + "\n")
	}
	if c.signer != nil {
		if claimed == "" {
			return errSignatureDoesNotMatch.with("The signed aws-chunked body has no x-amz-trailer-signature.")
		}
		return c.signer.verify(claimed, c.signer.trailerSignature(canonical.String()))
	}
	return nil
}

func (c *chunkedReader) sumFor(header string) *checksum {
	for _, s := range c.sums {
		if s.alg.header == header && s.want == "" {
			return s
		}
	}
	return nil
}
