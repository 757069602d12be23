package s3srv

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

// AWS's "Transferring Payload in Multiple Chunks" example: 66560 bytes of
// 'a' in chunks of 65536, 1024 and 0 bytes.
const (
	chunkedSeedSignature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	chunkedSig1          = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
	chunkedSig2          = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
	chunkedSigFinal      = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
)

func awsChunkedExampleBody() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "10000;chunk-signature=%s\r\n%s\r\n", chunkedSig1, strings.Repeat("a", 65536))
	fmt.Fprintf(&b, "400;chunk-signature=%s\r\n%s\r\n", chunkedSig2, strings.Repeat("a", 1024))
	fmt.Fprintf(&b, "0;chunk-signature=%s\r\n\r\n", chunkedSigFinal)
	return b.Bytes()
}

func exampleChunkSigner() *chunkSigner {
	return &chunkSigner{
		key:     signingKey(exampleSecret, "20130524", "us-east-1"),
		amzDate: exampleDate,
		scope:   "20130524/us-east-1/s3/aws4_request",
		prev:    chunkedSeedSignature,
	}
}

func TestChunkedSeedSignatureAWSExample(t *testing.T) {
	r := httptest.NewRequest("PUT", "/examplebucket/chunkObject.txt", nil)
	r.Host = "s3.amazonaws.com"
	r.Header.Set("X-Amz-Date", exampleDate)
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", streamingSigned)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	hs, _ := parseSignedHeaders("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class")
	cr := canonicalRequestV4(r, canonicalURI(r.URL.EscapedPath()), "", hs, streamingSigned)
	key := signingKey(exampleSecret, "20130524", "us-east-1")
	got := fmt.Sprintf("%x", hmacSHA256(key, stringToSignV4(exampleDate, "20130524/us-east-1/s3/aws4_request", cr)))
	if got != chunkedSeedSignature {
		t.Fatalf("seed signature %s, want %s", got, chunkedSeedSignature)
	}
	if n := len(awsChunkedExampleBody()); n != 66824 {
		t.Fatalf("example body is %d bytes, want 66824", n)
	}
}

// signedChunks frames data as signed aws-chunked with the given chunk
// size, optionally with a signed trailer.
func signedChunks(s *chunkSigner, data []byte, chunk int, trailers string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunk, len(data))
		sig := s.chunkSignature(sha256Sum(data[:n]))
		s.prev = sig
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", n, sig)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	sig := s.chunkSignature(sha256Sum(nil))
	s.prev = sig
	fmt.Fprintf(&b, "0;chunk-signature=%s\r\n", sig)
	if trailers != "" {
		b.WriteString(strings.ReplaceAll(trailers, "\n", "\r\n"))
		fmt.Fprintf(&b, "x-amz-trailer-signature:%s\r\n", s.trailerSignature(trailers))
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// unsignedChunks frames data as STREAMING-UNSIGNED-PAYLOAD-TRAILER does.
func unsignedChunks(data []byte, chunk int, trailers string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunk, len(data))
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n")
	b.WriteString(strings.ReplaceAll(trailers, "\n", "\r\n"))
	b.WriteString("\r\n")
	return b.Bytes()
}

func sha256Sum(b []byte) []byte {
	h := sha256New()
	h.Write(b)
	return h.Sum(nil)
}

func crc32Base64(b []byte) string {
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(out[:])
}

func TestChunkedReader(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000) // 80000 bytes
	crcTrailer := "x-amz-checksum-crc32:" + crc32Base64(data) + "\n"
	badTrailer := "x-amz-checksum-crc32:" + crc32Base64([]byte("other")) + "\n"
	tamper := func(b []byte) []byte {
		c := append([]byte(nil), b...)
		i := bytes.Index(c, []byte("0123"))
		c[i] = 'X'
		return c
	}
	tests := []struct {
		name     string
		body     func() []byte
		signer   func() *chunkSigner
		trailer  bool
		declared int64
		announce string // x-amz-trailer
		want     []byte
		wantErr  string
	}{
		{
			name: "AWS example", body: awsChunkedExampleBody, signer: exampleChunkSigner,
			declared: 66560, want: bytes.Repeat([]byte("a"), 66560),
		},
		{
			name: "AWS example with unknown length", body: awsChunkedExampleBody, signer: exampleChunkSigner,
			declared: -1, want: bytes.Repeat([]byte("a"), 66560),
		},
		{
			name:     "AWS example, declared length too short",
			body:     awsChunkedExampleBody,
			signer:   exampleChunkSigner,
			declared: 66000, wantErr: "InvalidRequest",
		},
		{
			name:     "AWS example, declared length too long",
			body:     awsChunkedExampleBody,
			signer:   exampleChunkSigner,
			declared: 70000, wantErr: "IncompleteBody",
		},
		{
			name:     "AWS example, data altered",
			body:     func() []byte { b := awsChunkedExampleBody(); b[200] = 'b'; return b },
			signer:   exampleChunkSigner,
			declared: 66560, wantErr: "SignatureDoesNotMatch",
		},
		{
			name:     "AWS example, wrong seed",
			body:     awsChunkedExampleBody,
			signer:   func() *chunkSigner { s := exampleChunkSigner(); s.prev = strings.Repeat("0", 64); return s },
			declared: 66560, wantErr: "SignatureDoesNotMatch",
		},
		{
			name:     "AWS example, truncated before the final chunk",
			body:     func() []byte { b := awsChunkedExampleBody(); return b[:len(b)-90] },
			signer:   exampleChunkSigner,
			declared: 66560, wantErr: "IncompleteBody",
		},
		{
			name: "AWS example, chunks swapped signatures",
			body: func() []byte {
				return bytes.Replace(awsChunkedExampleBody(), []byte(chunkedSig2), []byte(chunkedSig1), 1)
			},
			signer:   exampleChunkSigner,
			declared: 66560, wantErr: "SignatureDoesNotMatch",
		},
		{
			name:   "signed with trailer",
			body:   func() []byte { return signedChunks(exampleChunkSigner(), data, 8192, crcTrailer) },
			signer: exampleChunkSigner, trailer: true, announce: "x-amz-checksum-crc32",
			declared: int64(len(data)), want: data,
		},
		{
			name:   "signed with trailer, wrong checksum",
			body:   func() []byte { return signedChunks(exampleChunkSigner(), data, 8192, badTrailer) },
			signer: exampleChunkSigner, trailer: true, announce: "x-amz-checksum-crc32",
			declared: int64(len(data)), wantErr: "BadDigest",
		},
		{
			name: "signed with trailer, trailer altered",
			body: func() []byte {
				b := signedChunks(exampleChunkSigner(), data, 8192, crcTrailer)
				return bytes.Replace(b, []byte(crcTrailer[:len(crcTrailer)-1]), []byte(badTrailer[:len(badTrailer)-1]), 1)
			},
			signer: exampleChunkSigner, trailer: true, announce: "x-amz-checksum-crc32",
			declared: int64(len(data)), wantErr: "SignatureDoesNotMatch",
		},
		{
			name:   "signed, empty object",
			body:   func() []byte { return signedChunks(exampleChunkSigner(), nil, 8192, "") },
			signer: exampleChunkSigner, declared: 0, want: []byte{},
		},
		{
			name:    "unsigned with trailer",
			body:    func() []byte { return unsignedChunks(data, 65536, crcTrailer) },
			trailer: true, announce: "x-amz-checksum-crc32",
			declared: int64(len(data)), want: data,
		},
		{
			name:    "unsigned with trailer, data altered",
			body:    func() []byte { return tamper(unsignedChunks(data, 65536, crcTrailer)) },
			trailer: true, announce: "x-amz-checksum-crc32",
			declared: int64(len(data)), wantErr: "BadDigest",
		},
		{
			name:    "unsigned, trailer missing",
			body:    func() []byte { return unsignedChunks(data, 65536, "") },
			trailer: true, announce: "x-amz-checksum-crc32",
			declared: int64(len(data)), wantErr: "InvalidRequest",
		},
		{
			name:     "unsigned, trailer not announced",
			body:     func() []byte { return unsignedChunks(data, 65536, crcTrailer) },
			trailer:  true,
			declared: int64(len(data)), wantErr: "InvalidRequest",
		},
		{
			name:    "unsigned, empty object",
			body:    func() []byte { return unsignedChunks(nil, 65536, "x-amz-checksum-crc32:AAAAAA==\n") },
			trailer: true, announce: "x-amz-checksum-crc32",
			declared: 0, want: []byte{},
		},
		{
			name:    "unsigned, no final empty line",
			body:    func() []byte { b := unsignedChunks(data, 65536, crcTrailer); return b[:len(b)-2] },
			trailer: true, announce: "x-amz-checksum-crc32",
			declared: int64(len(data)), want: data,
		},
		{
			name:    "garbage chunk size",
			body:    func() []byte { return []byte("zz\r\nabc\r\n0\r\n\r\n") },
			trailer: true, declared: -1, wantErr: "IncompleteBody",
		},
	}
	for _, tc := range tests {
		for _, oneByte := range []bool{false, true} {
			name := tc.name
			if oneByte {
				name += "/one byte reads"
			}
			t.Run(name, func(t *testing.T) {
				var signer *chunkSigner
				if tc.signer != nil {
					signer = tc.signer()
				}
				sums, err := trailerChecksums(tc.announce)
				if err != nil {
					t.Fatal(err)
				}
				var src io.Reader = bytes.NewReader(tc.body())
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				p := &payload{size: tc.declared}
				cr := newChunkedReader(p, src, signer, tc.trailer, tc.declared, sums)
				p.r = cr
				// io.ReadFull into an exactly-sized buffer, as a store
				// that trusts the declared size would read.
				got, err := io.ReadAll(p)
				if tc.wantErr != "" {
					api, _ := toAPIError(err)
					if err == nil || api.Code != tc.wantErr {
						t.Fatalf("err %v, want %s", err, tc.wantErr)
					}
					if int64(len(got)) >= int64(len(tc.want)) && tc.want != nil {
						t.Fatalf("delivered the whole body (%d bytes) despite %v", len(got), err)
					}
					if !errors.Is(p.failed, err) {
						t.Errorf("payload.failed = %v, want %v", p.failed, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tc.want) {
					t.Fatalf("decoded %d bytes, want %d", len(got), len(tc.want))
				}
			})
		}
	}
}

// A store that reads exactly the declared size must never see all of it
// when verification fails.
func TestChunkedReaderWithholdsLastByte(t *testing.T) {
	body := awsChunkedExampleBody()
	body = bytes.Replace(body, []byte(chunkedSigFinal), []byte(strings.Repeat("0", 64)), 1)
	p := &payload{}
	p.r = newChunkedReader(p, bytes.NewReader(body), exampleChunkSigner(), false, 66560, nil)
	buf := make([]byte, 66560)
	n, err := io.ReadFull(p, buf)
	if err == nil || n == len(buf) {
		t.Fatalf("ReadFull got %d bytes, err %v: the final signature was not checked before the last byte", n, err)
	}
}

func TestVerifyingReader(t *testing.T) {
	data := []byte("Welcome to Amazon S3.")
	good := sha256Sum(data)
	bad := sha256Sum([]byte("other"))
	crc := checksumByHeader("x-amz-checksum-crc32")
	tests := []struct {
		name    string
		size    int64
		sha     []byte
		crc     string
		wantErr string
	}{
		{"hash matches", int64(len(data)), good, "", ""},
		{"hash differs", int64(len(data)), bad, "", "XAmzContentSHA256Mismatch"},
		{"unknown length, hash matches", -1, good, "", ""},
		{"unknown length, hash differs", -1, bad, "", "XAmzContentSHA256Mismatch"},
		{"crc32 matches", int64(len(data)), nil, crc32Base64(data), ""},
		{"crc32 differs", int64(len(data)), nil, crc32Base64([]byte("x")), "BadDigest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sums []*checksum
			if tc.crc != "" {
				c := crc.newChecksum()
				if err := c.expect(tc.crc); err != nil {
					t.Fatal(err)
				}
				sums = append(sums, c)
			}
			p := &payload{size: tc.size}
			p.r = newVerifyingReader(p, iotest.OneByteReader(bytes.NewReader(data)), tc.size, tc.sha, sums)
			buf := make([]byte, len(data))
			n, err := io.ReadFull(p, buf)
			if tc.wantErr == "" {
				if err != nil || n != len(data) {
					t.Fatalf("n %d err %v", n, err)
				}
				if n, err := p.Read(buf); n != 0 || err != io.EOF {
					t.Fatalf("after the body: n %d err %v", n, err)
				}
				return
			}
			if tc.size < 0 {
				// Without a length the error takes the place of EOF.
				_, err = io.ReadAll(p)
				n = 0
			}
			api, _ := toAPIError(err)
			if err == nil || api.Code != tc.wantErr || n == len(data) {
				t.Fatalf("n %d err %v, want %s before the last byte", n, err, tc.wantErr)
			}
		})
	}
}

func TestChecksumVectors(t *testing.T) {
	check := []byte("123456789")
	zeros := make([]byte, 32)
	tests := []struct {
		header string
		in     []byte
		want   uint64
	}{
		{"x-amz-checksum-crc32", check, 0xCBF43926},
		{"x-amz-checksum-crc32c", check, 0xE3069283},
		// CRC-64/NVME: the catalogue's check value, and AWS's
		// aws-checksums test of 32 zero bytes.
		{"x-amz-checksum-crc64nvme", check, 0xAE8B14860A799888},
		{"x-amz-checksum-crc64nvme", zeros, 0xCF3473434D4ECF3B},
	}
	for _, tc := range tests {
		t.Run(tc.header+"/"+string(tc.in[:1]), func(t *testing.T) {
			c := checksumByHeader(tc.header).newChecksum()
			c.h.Write(tc.in)
			sum := c.h.Sum(nil)
			var got uint64
			for _, b := range sum {
				got = got<<8 | uint64(b)
			}
			if got != tc.want {
				t.Errorf("%s = %#x, want %#x", tc.header, got, tc.want)
			}
		})
	}
}

func sha256New() interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
} {
	return sha256.New()
}
