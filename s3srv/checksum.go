package s3srv

import (
	"encoding/base64"
	"hash"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// checksumAlg is one of the algorithms of S3's x-amz-checksum-* headers
// and trailers. Values travel as base64 of the big-endian digest.
type checksumAlg struct {
	name   string // as in x-amz-sdk-checksum-algorithm, upper case
	header string // lower case header / trailer name
	size   int    // digest length in bytes
	new    func() hash.Hash
}

// checksumAlgs is read-only after initialisation; the store defines the
// algorithms.
var checksumAlgs = func() (out [5]checksumAlg) {
	for i, name := range []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"} {
		a := objstore.ChecksumAlgorithmNamed(strings.ToLower(name))
		out[i] = checksumAlg{name: name, header: "x-amz-checksum-" + a.Name, size: a.Size, new: a.New}
	}
	return out
}()

// checksumByName returns the algorithm named as in x-amz-checksum-algorithm
// (any case), or nil.
func checksumByName(name string) *checksumAlg {
	for i := range checksumAlgs {
		if strings.EqualFold(checksumAlgs[i].name, name) {
			return &checksumAlgs[i]
		}
	}
	return nil
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
