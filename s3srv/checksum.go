package s3srv

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
)

// checksumAlg is one of the algorithms of S3's x-amz-checksum-* headers
// and trailers. Values travel as base64 of the big-endian digest.
type checksumAlg struct {
	name   string // as in x-amz-sdk-checksum-algorithm, upper case
	header string // lower case header / trailer name
	size   int    // digest length in bytes
	new    func() hash.Hash
}

// crc64NVMETable is CRC-64/NVME: polynomial 0xAD93D23594C93659, reflected
// (0x9A6C9329AC4BC9B5 in the LSB-first form hash/crc64 wants), initial value
// and final XOR all ones, which hash/crc64 applies itself.
var crc64NVMETable = crc64.MakeTable(0x9A6C9329AC4BC9B5)

var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

// checksumAlgs is read-only after initialisation.
var checksumAlgs = [...]checksumAlg{
	{"CRC32", "x-amz-checksum-crc32", 4, func() hash.Hash { return crc32.NewIEEE() }},
	{"CRC32C", "x-amz-checksum-crc32c", 4, func() hash.Hash { return crc32.New(crc32cTable) }},
	{"CRC64NVME", "x-amz-checksum-crc64nvme", 8, func() hash.Hash { return crc64.New(crc64NVMETable) }},
	{"SHA1", "x-amz-checksum-sha1", sha1.Size, sha1.New},
	{"SHA256", "x-amz-checksum-sha256", sha256.Size, sha256.New},
}

// key names the algorithm in objstore's Checksums maps: "crc32", "sha256"...
func (a *checksumAlg) key() string { return a.header[len("x-amz-checksum-"):] }

func checksumByHeader(name string) *checksumAlg {
	for i := range checksumAlgs {
		if checksumAlgs[i].header == name {
			return &checksumAlgs[i]
		}
	}
	return nil
}

// checksum is one running checksum of a request body.
type checksum struct {
	alg  *checksumAlg
	h    hash.Hash
	want string // base64 value the client sent; "" until a trailer gives it
	got  string // base64 value computed, set by verify
}

func (a *checksumAlg) newChecksum() *checksum { return &checksum{alg: a, h: a.new()} }

// expect records the value the client sent, refusing a malformed one.
func (c *checksum) expect(v string) error {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != c.alg.size {
		return errInvalidRequest.with("Value for %s header is invalid.", c.alg.header)
	}
	c.want = v
	return nil
}

func (c *checksum) sum() string { return base64.StdEncoding.EncodeToString(c.h.Sum(nil)) }

// verifyChecksums compares every running checksum with what the client
// sent. A checksum announced in x-amz-trailer but never sent fails too.
func verifyChecksums(sums []*checksum) error {
	for _, c := range sums {
		if c.want == "" {
			return errInvalidRequest.with("The trailing header %s was announced but not sent.", c.alg.header)
		}
		c.got = c.sum()
		if c.got != c.want {
			return errBadDigest.with("The %s you specified did not match the calculated checksum.", c.alg.name)
		}
	}
	return nil
}
