package objstore

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strconv"
)

// Checksums of S3 objects and parts. The store keeps them as the writer's
// door verified them (base64 of the big-endian digest, by lower-case
// algorithm name) and derives the checksum of a multipart object from its
// parts' checksums, in one of two ways:
//
//	ChecksumComposite   the algorithm over the concatenated binary part
//	                    checksums, then "-N" (N parts); any algorithm.
//	ChecksumFullObject  the checksum of the whole object, combined from the
//	                    parts' CRCs and lengths without reading the data;
//	                    CRC algorithms only.
const (
	ChecksumComposite  = "COMPOSITE"
	ChecksumFullObject = "FULL_OBJECT"
)

// ChecksumAlgorithm is one checksum algorithm the store knows.
type ChecksumAlgorithm struct {
	Name string // lower case, as in x-amz-checksum-NAME
	Size int    // digest length in bytes
	New  func() hash.Hash
	// crcPoly is the reflected polynomial of a CRC whose initial value
	// and final XOR are all ones (so that CRCs of pieces combine); 0 for
	// the SHA algorithms.
	crcPoly uint64
	crcBits int
}

// crc64NVME is CRC-64/NVME: polynomial 0xAD93D23594C93659, reflected
// (0x9A6C9329AC4BC9B5 in the LSB-first form hash/crc64 wants), initial value
// and final XOR all ones, which hash/crc64 applies itself.
const crc64NVMEPoly = 0x9A6C9329AC4BC9B5

var (
	crc64NVMETable = crc64.MakeTable(crc64NVMEPoly)
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
)

// checksumAlgorithms is read-only after initialisation.
var checksumAlgorithms = [...]ChecksumAlgorithm{
	{Name: "crc32", Size: 4, New: func() hash.Hash { return crc32.NewIEEE() }, crcPoly: crc32.IEEE, crcBits: 32},
	{Name: "crc32c", Size: 4, New: func() hash.Hash { return crc32.New(crc32cTable) }, crcPoly: crc32.Castagnoli, crcBits: 32},
	{Name: "crc64nvme", Size: 8, New: func() hash.Hash { return crc64.New(crc64NVMETable) }, crcPoly: crc64NVMEPoly, crcBits: 64},
	{Name: "sha1", Size: sha1.Size, New: sha1.New},
	{Name: "sha256", Size: sha256.Size, New: sha256.New},
}

// ChecksumAlgorithmNamed returns the algorithm of that lower-case name, or
// nil.
func ChecksumAlgorithmNamed(name string) *ChecksumAlgorithm {
	for i := range checksumAlgorithms {
		if checksumAlgorithms[i].Name == name {
			return &checksumAlgorithms[i]
		}
	}
	return nil
}

// Supports reports whether multipart objects can carry a checksum of this
// type made with this algorithm: full-object checksums need a CRC, and
// CRC-64/NVME is full-object only, as in S3.
func (a *ChecksumAlgorithm) Supports(typ string) bool {
	switch typ {
	case ChecksumFullObject:
		return a.crcPoly != 0
	case ChecksumComposite:
		return a.Name != "crc64nvme"
	}
	return false
}

// DefaultType is the checksum type of a multipart upload that names only
// the algorithm: full-object for CRC-64/NVME, composite for the others.
func (a *ChecksumAlgorithm) DefaultType() string {
	if a.Name == "crc64nvme" {
		return ChecksumFullObject
	}
	return ChecksumComposite
}

// partSum is what a multipart object's checksum is made of: one part's
// checksum and length.
type partSum struct {
	sum  []byte
	size uint64
}

// multipartChecksum derives the object's checksum from its parts'
// (base64 value; composite ones end in "-N").
func (a *ChecksumAlgorithm) multipartChecksum(typ string, parts []partSum) (string, error) {
	switch {
	case typ == ChecksumComposite && a.Supports(typ):
		h := a.New()
		for _, p := range parts {
			h.Write(p.sum)
		}
		return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts)), nil
	case typ == ChecksumFullObject && a.Supports(typ):
		var crc uint64
		for i, p := range parts {
			c := beUint(p.sum)
			if i == 0 {
				crc = c
				continue
			}
			crc = crcCombine(a.crcPoly, a.crcBits, crc, c, p.size)
		}
		out := make([]byte, a.Size)
		for i := range out {
			out[i] = byte(crc >> (8 * (a.Size - 1 - i)))
		}
		return base64.StdEncoding.EncodeToString(out), nil
	}
	return "", fmt.Errorf("%s checksum with %s: %w", typ, a.Name, ErrNotSupported)
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// crcCombine returns the CRC of A followed by B from crcA, crcB and the
// length of B (zlib's crc32_combine, for any width up to 64): appending
// len2 zero bytes to A is a linear map on its CRC, applied here by
// repeated squaring of the one-zero-bit operator over GF(2).
func crcCombine(poly uint64, bits int, crcA, crcB uint64, lenB uint64) uint64 {
	if lenB == 0 {
		return crcA
	}
	odd := make([]uint64, bits)  // operator for an odd power of two zero bits
	even := make([]uint64, bits) // and for an even power
	odd[0] = poly
	row := uint64(1)
	for n := 1; n < bits; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even, odd) // two zero bits
	gf2Square(odd, even) // four zero bits
	for {
		gf2Square(even, odd) // first pass: one zero byte
		if lenB&1 != 0 {
			crcA = gf2Times(even, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
		gf2Square(odd, even)
		if lenB&1 != 0 {
			crcA = gf2Times(odd, crcA)
		}
		if lenB >>= 1; lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}

func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}
