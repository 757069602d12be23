package blob

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A shard file is a header followed by the shard's bytes. All integers are
// little-endian:
//
//	off  len  field
//	  0    4  magic "SHRD"
//	  4    2  format version (1)
//	  6    2  shard index
//	  8    2  data shards k
//	 10    2  parity shards m
//	 12    4  checksum block size
//	 16    8  blob id
//	 24    8  blob size in bytes
//	 32    8  shard length (ceil(blob size / k))
//	 40  4*n  CRC32C of each checksum block of the shard, n = ceil(shard length / block size)
//	 ...   4  CRC32C of every header byte before it
//
// The per-block table lets a partial read verify only the blocks it
// touches; the trailing checksum covers the geometry and the table, so a
// damaged header is detected before it is believed.

const (
	headerMagic   = "SHRD"
	formatVersion = 1
	fixedLen      = 40

	// Limits a decoder enforces so that a damaged header can never make it
	// allocate or read absurd amounts.
	maxTotalShards = 256
	minBlockSize   = 512
	maxBlockSize   = 1 << 24
	maxBlobBytes   = 1 << 36
	maxHeaderLen   = fixedLen + 4*(1<<22) + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks shard content that fails its checks.
var errCorrupt = errors.New("corrupt shard")

// geometry is what every shard of a blob agrees on.
type geometry struct {
	size      int64
	k, m      int
	blockSize int
}

func (g geometry) shardLen() int64 { return (g.size + int64(g.k) - 1) / int64(g.k) }

func (g geometry) nBlocks() int {
	return int((g.shardLen() + int64(g.blockSize) - 1) / int64(g.blockSize))
}

func (g geometry) headerLen() int { return fixedLen + 4*g.nBlocks() + 4 }

// blockLen is the length of block j; only the last block may be short.
func (g geometry) blockLen(j int) int {
	return int(min(int64(g.blockSize), g.shardLen()-int64(j)*int64(g.blockSize)))
}

// header is a decoded, checksum-verified shard header. table aliases the
// buffer it was decoded from.
type header struct {
	id    ID
	shard int
	geometry
	table []byte
}

// blockCRC is the stored checksum of block j.
func (h *header) blockCRC(j int) uint32 { return binary.LittleEndian.Uint32(h.table[4*j:]) }

// appendHeader appends the header of one shard, computing its block table
// from data.
func appendHeader(dst []byte, id ID, shard int, g geometry, data []byte) []byte {
	start := len(dst)
	dst = append(dst, headerMagic...)
	dst = binary.LittleEndian.AppendUint16(dst, formatVersion)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(shard))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(g.k))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(g.m))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(g.blockSize))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(id))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(g.size))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(g.shardLen()))
	for off := 0; off < len(data); off += g.blockSize {
		end := min(off+g.blockSize, len(data))
		dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(data[off:end], castagnoli))
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// shortHeaderError says how many bytes a header needs when given fewer.
type shortHeaderError struct{ need int }

func (e *shortHeaderError) Error() string {
	return fmt.Sprintf("shard header needs %d bytes", e.need)
}

// decodeHeader decodes and verifies the header at the start of b. When b
// is too short it returns a *shortHeaderError with the length needed (at
// most maxHeaderLen). Other failures wrap errCorrupt.
func decodeHeader(b []byte) (header, error) {
	if len(b) < fixedLen {
		return header{}, &shortHeaderError{need: fixedLen}
	}
	if string(b[:4]) != headerMagic {
		return header{}, fmt.Errorf("%w: bad magic %q", errCorrupt, b[:4])
	}
	le := binary.LittleEndian
	if v := le.Uint16(b[4:]); v != formatVersion {
		return header{}, fmt.Errorf("%w: format version %d", errCorrupt, v)
	}
	h := header{
		shard: int(le.Uint16(b[6:])),
		id:    ID(le.Uint64(b[16:])),
		geometry: geometry{
			k:         int(le.Uint16(b[8:])),
			m:         int(le.Uint16(b[10:])),
			blockSize: int(le.Uint32(b[12:])),
		},
	}
	size, shardLen := le.Uint64(b[24:]), le.Uint64(b[32:])
	switch {
	case h.k < 1 || h.k+h.m > maxTotalShards:
		return header{}, fmt.Errorf("%w: %d+%d shards", errCorrupt, h.k, h.m)
	case h.shard >= h.k+h.m:
		return header{}, fmt.Errorf("%w: shard index %d of %d", errCorrupt, h.shard, h.k+h.m)
	case h.blockSize < minBlockSize || h.blockSize > maxBlockSize || h.blockSize&(h.blockSize-1) != 0:
		return header{}, fmt.Errorf("%w: block size %d", errCorrupt, h.blockSize)
	case size > maxBlobBytes:
		return header{}, fmt.Errorf("%w: blob size %d", errCorrupt, size)
	}
	h.size = int64(size)
	if uint64(h.shardLen()) != shardLen {
		return header{}, fmt.Errorf("%w: shard length %d for %d bytes in %d shards", errCorrupt, shardLen, size, h.k)
	}
	hl := h.headerLen()
	if hl > maxHeaderLen {
		return header{}, fmt.Errorf("%w: header of %d bytes", errCorrupt, hl)
	}
	if len(b) < hl {
		return header{}, &shortHeaderError{need: hl}
	}
	if got, want := crc32.Checksum(b[:hl-4], castagnoli), le.Uint32(b[hl-4:]); got != want {
		return header{}, fmt.Errorf("%w: header checksum %08x, want %08x", errCorrupt, got, want)
	}
	h.table = b[fixedLen : hl-4]
	return h, nil
}

// appendCRC appends the header checksum of b.
func appendCRC(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}
