package meta

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openMem(t *testing.T) *DB {
	t.Helper()
	d, err := Open(Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestInodeRoundTrip(t *testing.T) {
	cases := []Inode{
		{Ino: 1, Mode: 0o40755, Nlink: 2},
		{Ino: 1 << 62, Gen: 3, Mode: 0o100644, Nlink: 1, Uid: 60101, Gid: 10, Size: 5 << 30, Stored: 1,
			Atime: -5, Mtime: 1700000000123456789, Ctime: 1, Crtime: 2, Flags: FlagETagStale,
			ETag: "d41d8cd98f00b204e9800998ecf8427e", ContentType: "text/plain; charset=utf-8"},
		{Ino: 9, Mode: 0o120777, Target: "日本語/リンク"},
		{Ino: 10, Mode: 0o100644, Nlink: 1, Flags: FlagStorageClass},
	}
	for _, c := range cases {
		got, err := decodeInode(c.encode())
		if err != nil || !reflect.DeepEqual(got, c) {
			t.Errorf("round trip %+v: got %+v, %v", c, got, err)
		}
	}
	// A version 1 record may carry a storage-class xattr without the flag.
	v1 := (&Inode{Ino: 11, Mode: 0o100644, Flags: FlagETagStale}).encode()
	v1[0] = 1
	if got, err := decodeInode(v1); err != nil || got.Flags != FlagETagStale|FlagStorageClass {
		t.Errorf("version 1 record: flags %#x, %v; want %#x", got.Flags, err, FlagETagStale|FlagStorageClass)
	}
	if _, err := decodeInode([]byte{3}); !errors.Is(err, errCorrupt) {
		t.Errorf("unknown version decoded: %v", err)
	}
	if _, err := decodeInode([]byte{inodeVersion, 1}); !errors.Is(err, errCorrupt) {
		t.Errorf("truncated inode decoded: %v", err)
	}
	if _, err := decodeInode(append((&Inode{Ino: 1}).encode(), 0)); !errors.Is(err, errCorrupt) {
		t.Errorf("trailing bytes accepted: %v", err)
	}
}

// Walking a directory must yield S3 key order of the full keys.
func TestDirentOrderIsS3Order(t *testing.T) {
	d := openMem(t)
	entries := []Dirent{
		{Name: "a", Ino: 2, Mode: modeDir},
		{Name: "a-c", Ino: 3, Mode: 0o100000},
		{Name: "a0", Ino: 4, Mode: 0o100000},
		{Name: "b", Ino: 5, Mode: 0o100000},
		{Name: "a.", Ino: 6, Mode: modeDir},
	}
	if err := d.Update(func(x *Txn) error {
		for _, e := range entries {
			if err := x.PutDirent(1, e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := d.View(func(x *Txn) error {
		return x.ScanDir(1, "", func(e Dirent) (bool, error) {
			got = append(got, e.SortName())
			return true, nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"a-c", "a./", "a/", "a0", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order %q, want %q", got, want)
	}
	tests := []struct {
		name    string
		wantIno uint64
		wantErr error
	}{
		{"a", 2, nil}, {"a-c", 3, nil}, {"a.", 6, nil}, {"zz", 0, ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Dirent
			err := d.View(func(x *Txn) (err error) { e, err = x.Dirent(1, tc.name); return })
			if !errors.Is(err, tc.wantErr) || e.Ino != tc.wantIno {
				t.Fatalf("Dirent(%q) = %+v, %v", tc.name, e, err)
			}
		})
	}
}

func TestPartsAndUploads(t *testing.T) {
	d := openMem(t)
	u := Upload{Bucket: "b", Key: "k/ü", UploadID: "id1", Xattrs: map[string]string{"user.x": "y"},
		ChecksumAlgorithm: "crc32", ChecksumType: "COMPOSITE"}
	err := d.Update(func(x *Txn) error {
		if err := x.PutUpload(&u); err != nil {
			return err
		}
		for _, n := range []int{3, 1, 2} {
			p := &Part{Number: n, Size: uint64(n), Extents: []Extent{{Len: uint64(n), Blob: 7}},
				Checksums: map[string]string{"crc32": "AAAAAA==", "sha1": "x"}}
			if err := x.PutPart("id1", p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d.View(func(x *Txn) error {
		got, err := x.Upload("b", "k/ü", "id1")
		if err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("upload %+v %v", got, err)
		}
		ps, err := x.Parts("id1", 1, 0)
		if err != nil || len(ps) != 2 || ps[0].Number != 2 || ps[1].Extents[0].Len != 3 || ps[0].Checksums["crc32"] != "AAAAAA==" {
			t.Errorf("parts %+v %v", ps, err)
		}
		return nil
	})
	if err := d.Update(func(x *Txn) error { return x.DeleteUpload(&u) }); err != nil {
		t.Fatal(err)
	}
	d.View(func(x *Txn) error {
		if ps, _ := x.Parts("id1", 0, 0); len(ps) != 0 {
			t.Errorf("parts left after delete: %v", ps)
		}
		return nil
	})
}

// Records written before the checksum fields existed still decode.
func TestMultipartRecordsVersion1(t *testing.T) {
	var e enc
	e.u8(1)
	e.sv(42)
	e.uv(1000)
	e.uv(100)
	e.str("text/plain")
	e.uv(0)
	u, err := decodeUpload(uploadKey("b", "k", "id"), e.b)
	if err != nil || u.Initiated != 42 || u.Gid != 100 || u.ContentType != "text/plain" || u.ChecksumAlgorithm != "" {
		t.Fatalf("v1 upload: %+v %v", u, err)
	}
	e = enc{}
	e.u8(1)
	e.uv(5)
	e.str("etag")
	e.sv(7)
	e.uv(1)
	for _, v := range []uint64{0, 5, 9, 0} {
		e.uv(v)
	}
	p, err := decodePart(partKey("id", 3), e.b)
	if err != nil || p.Number != 3 || p.Size != 5 || p.ETag != "etag" || len(p.Extents) != 1 || p.Checksums != nil {
		t.Fatalf("v1 part: %+v %v", p, err)
	}
}

func TestGroupSyncShares(t *testing.T) {
	var calls atomic.Int64
	release := make(chan struct{})
	g := newGroupSync(func() error {
		calls.Add(1)
		<-release
		return nil
	})
	g.committed()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); g.Sync() }()
	}
	time.Sleep(50 * time.Millisecond) // let every caller queue behind the first sync
	close(release)
	wg.Wait()
	if n := calls.Load(); n > 3 || n < 1 {
		t.Fatalf("20 concurrent syncs took %d fsyncs", n)
	}
}

func TestNextIDNeverRepeats(t *testing.T) {
	d := openMem(t)
	seen := map[uint64]bool{}
	for i := 0; i < 3000; i++ {
		id, err := d.NextID("ino")
		if err != nil || seen[id] {
			t.Fatalf("id %d err %v repeated=%v", id, err, seen[id])
		}
		seen[id] = true
	}
}

func TestGroupSyncSkipsWhenNothingCommitted(t *testing.T) {
	var calls atomic.Int64
	g := newGroupSync(func() error { calls.Add(1); return nil })
	g.Sync()
	if calls.Load() != 0 {
		t.Fatal("synced with nothing committed")
	}
	g.committed()
	g.Sync()
	g.Sync()
	if calls.Load() != 1 {
		t.Fatalf("%d syncs for one commit", calls.Load())
	}
}

func TestUnsynced(t *testing.T) {
	d := openMem(t)
	put := func(x *Txn) error { return x.PutConfig("k", []byte("v")) }
	steps := []struct {
		name string
		do   func() error
		want uint64
	}{
		{"nothing yet", func() error { return nil }, 0},
		{"commit without sync", func() error { return d.UpdateNoSync(put) }, 1},
		{"another", func() error { return d.UpdateNoSync(put) }, 2},
		{"sync", d.Sync, 0},
		{"durable commit", func() error { return d.Update(put) }, 0},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := d.Unsynced(); got != st.want {
			t.Errorf("after %s: %d unsynced, want %d", st.name, got, st.want)
		}
	}
}

func TestExtentPointLookup(t *testing.T) {
	d := openMem(t)
	e := Extent{Off: 4096, Len: 100, Blob: 7, BlobOff: 12}
	if err := d.Update(func(x *Txn) error { return x.PutExtent(3, e) }); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		ino     uint64
		off     uint64
		want    Extent
		wantErr error
	}{
		{"present", 3, 4096, e, nil},
		{"other offset", 3, 4095, Extent{}, ErrNotFound},
		{"other inode", 4, 4096, Extent{}, ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got Extent
			err := d.View(func(x *Txn) (err error) { got, err = x.Extent(tc.ino, tc.off); return })
			if err != tc.wantErr || got != tc.want {
				t.Fatalf("Extent(%d, %d) = %+v, %v; want %+v, %v", tc.ino, tc.off, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
