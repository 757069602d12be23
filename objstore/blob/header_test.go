package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// goldenBlob is the fixed input of the golden vectors: 9000 bytes in 4+2
// shards of 2250 bytes, 512-byte checksum blocks (the last one short).
func goldenBlob() (ID, []byte) { return 0x0123456789abcdef, selfTestInput(9)[:9000] }

// Changing any of these means the on-disk format changed: bump
// formatVersion and keep reading version 1.
const goldenHeader0 = "" +
	"53485244" + "0100" + "0000" + "0400" + "0200" + "00020000" +
	"efcdab8967452301" + "2823000000000000" + "ca08000000000000"

var goldenShardSHA256 = [6]string{
	"eff431db05c71a449b01fec13606eb7330121ca41feeda857b3b9658438b1462",
	"4925af9bf4729b6caed7b56fb1a125762541be8ff81e6fcc2540dcff0318cedb",
	"f9867c78f9531856e0798e24be9586ba47788e18f0946144c966f2a34e1d1e86",
	"3948f7c6777a854711f07a79491f820aa39244ba380fd0079ca997f12539b9d1",
	"2646622a18e9099b1e6f6ecd59590d29340bf6ec02f8a9c02169d7000767b805",
	"9c1461d9a8a3361f069bf7b1fe73535cc59856c9c2cef3ba76d85f77408fe7b6",
}

func TestGoldenShards(t *testing.T) {
	mems := make([]disk.Disk, 6)
	for i := range mems {
		mems[i] = disk.NewMem("golden", 0)
	}
	s, err := New(mems, Options{BlockSize: 512})
	if err != nil {
		t.Fatal(err)
	}
	id, data := goldenBlob()
	ctx := context.Background()
	if err := s.Put(ctx, id, data); err != nil {
		t.Fatal(err)
	}
	for i, d := range mems {
		file := make([]byte, 4096)
		n, _ := d.ReadAt(ctx, shardName(id, i), file, 0)
		file = file[:n]
		if want := 40 + 5*4 + 4 + 2250; n != want {
			t.Fatalf("shard %d file is %d bytes, want %d", i, n, want)
		}
		sum := sha256.Sum256(file)
		if got := hex.EncodeToString(sum[:]); got != goldenShardSHA256[i] {
			t.Errorf("shard %d SHA-256 %s, want %s", i, got, goldenShardSHA256[i])
		}
		if i == 0 {
			if got := hex.EncodeToString(file[:fixedLen]); got != goldenHeader0 {
				t.Errorf("shard 0 fixed header\n got %s\nwant %s", got, goldenHeader0)
			}
			if !bytes.Equal(file[64:64+2250], data[:2250]) {
				t.Error("data shard 0 does not hold the blob's first 2250 bytes")
			}
			for j := 0; j < 5; j++ {
				blk := data[j*512 : min((j+1)*512, 2250)]
				want := crc32.Checksum(blk, crc32.MakeTable(crc32.Castagnoli))
				if got := binary.LittleEndian.Uint32(file[fixedLen+4*j:]); got != want {
					t.Errorf("block %d CRC32C %08x, want %08x", j, got, want)
				}
			}
			if got, want := binary.LittleEndian.Uint32(file[60:]), crc32.Checksum(file[:60], crc32.MakeTable(crc32.Castagnoli)); got != want {
				t.Errorf("header CRC32C %08x, want %08x", got, want)
			}
		}
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, g := range []geometry{
		{size: 0, k: 4, m: 2, blockSize: 4096},
		{size: 1, k: 1, m: 1, blockSize: 512},
		{size: 4 << 20, k: 4, m: 2, blockSize: 4096},
		{size: 12345, k: 10, m: 4, blockSize: 16384},
	} {
		data := make([]byte, g.shardLen())
		for i := range data {
			data[i] = byte(i * 31)
		}
		b := appendHeader(nil, 42, g.k+g.m-1, g, data)
		if len(b) != g.headerLen() {
			t.Fatalf("%+v: header %d bytes, headerLen says %d", g, len(b), g.headerLen())
		}
		h, err := decodeHeader(b)
		if err != nil {
			t.Fatalf("%+v: %v", g, err)
		}
		if h.id != 42 || h.shard != g.k+g.m-1 || h.geometry != g {
			t.Fatalf("decoded %+v from %+v", h, g)
		}
		var short *shortHeaderError
		if _, err := decodeHeader(b[:len(b)-1]); !errors.As(err, &short) || short.need != len(b) {
			t.Fatalf("%+v: short header: %v", g, err)
		}
	}
}

func TestHeaderRejects(t *testing.T) {
	g := geometry{size: 9000, k: 4, m: 2, blockSize: 512}
	good := appendHeader(nil, 1, 0, g, make([]byte, g.shardLen()))
	for _, tc := range []struct {
		name string
		off  int
		val  byte
	}{
		{"magic", 0, 'X'},
		{"version", 4, 2},
		{"shardIndex", 6, 6},
		{"zeroK", 8, 0},
		{"blockSize", 13, 0x03},
		{"shardLength", 32, 0xff},
		{"blockTable", 45, 0x99},
		{"headerChecksum", len(good) - 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(good)
			b[tc.off] = tc.val
			if _, err := decodeHeader(b); !errors.Is(err, errCorrupt) {
				t.Fatalf("decodeHeader = %v, want errCorrupt", err)
			}
		})
	}
}

// FuzzShardHeader checks that the decoder never panics or over-reads, and
// that whatever it accepts re-encodes to the same bytes.
func FuzzShardHeader(f *testing.F) {
	for _, g := range []geometry{
		{size: 9000, k: 4, m: 2, blockSize: 512},
		{size: 0, k: 4, m: 2, blockSize: 4096},
		{size: 70000, k: 3, m: 3, blockSize: 4096},
	} {
		f.Add(appendHeader(nil, 7, 1, g, make([]byte, g.shardLen())))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHeader(b)
		var short *shortHeaderError
		if errors.As(err, &short) {
			if short.need <= len(b) || short.need > maxHeaderLen {
				t.Fatalf("asks for %d bytes having %d", short.need, len(b))
			}
			return
		}
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error not marked corrupt: %v", err)
			}
			return
		}
		// Rebuild the header from the decoded fields and the stored table.
		re := appendHeader(nil, h.id, h.shard, h.geometry, nil)
		re = append(re[:fixedLen], h.table...)
		re = appendCRC(re)
		if !bytes.Equal(re, b[:h.headerLen()]) {
			t.Fatalf("re-encoded header differs")
		}
	})
}
