package fuse

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
)

// TestLargeSparseFile writes 1 MiB at 4.5 GiB: offsets and sizes above
// 4 GiB must survive every 32-bit field on the way, and the hole below
// must read as zeros without being stored.
func TestLargeSparseFile(t *testing.T) {
	m := mountTesting(t, Options{})
	const off = 4<<30 + 512<<20
	data := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	p := m.path("sparse")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := f.WriteAt(data, off); err != nil || n != len(data) {
		t.Fatalf("WriteAt(4.5 GiB): %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	st := mustStat(t, p)
	if st.Size != off+int64(len(data)) {
		t.Fatalf("size %d, want %d", st.Size, off+len(data))
	}
	if st.Blocks*512 > 64<<20 {
		t.Errorf("st_blocks says %d bytes stored for 1 MiB of data", st.Blocks*512)
	}

	f, err = os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := make([]byte, len(data))
	if n, err := f.ReadAt(got, off); n != len(got) {
		t.Fatalf("ReadAt(4.5 GiB): %d, %v", n, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("data read back at 4.5 GiB differs")
	}
	hole := make([]byte, 64<<10)
	for _, at := range []int64{0, 4<<30 - 1000, off - int64(len(hole))} {
		if n, err := f.ReadAt(hole, at); n != len(hole) || !bytes.Equal(hole, make([]byte, len(hole))) {
			t.Fatalf("hole at %d: %d bytes, %v, zeros %v", at, n, err, bytes.Equal(hole, make([]byte, len(hole))))
		}
	}
	// A read straddling the end returns what is there.
	tail := make([]byte, 4096)
	if n, _ := f.ReadAt(tail, off+int64(len(data))-100); n != 100 || !bytes.Equal(tail[:100], data[len(data)-100:]) {
		t.Fatalf("read across the end returned %d bytes", n)
	}
}
