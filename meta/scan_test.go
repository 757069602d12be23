package meta

import (
	"reflect"
	"testing"
)

func TestJobStateRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		j    JobState
	}{
		{"zero", JobState{}},
		{"running", JobState{Pass: 7, Cursor: []byte("x\x00\x01"), Started: 5, Finished: -1, Disks: []int{2, 5},
			Current: JobCounts{Blobs: 1, Bytes: 2, Damaged: 3, ShardsBad: 4, Repaired: 5, Unreadable: 6, Missing: 7, RepairFails: 8},
			Last:    JobCounts{Blobs: 1 << 40}, PendingDisks: []int{1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeJobState(tc.j.encode())
			if err != nil || !reflect.DeepEqual(got, tc.j) {
				t.Errorf("round trip %+v: got %+v, %v", tc.j, got, err)
			}
		})
	}
	if _, err := decodeJobState([]byte{jobStateVersion, 1}); !IsCorrupt(err) {
		t.Errorf("truncated job state decoded: %v", err)
	}
}

// BlobRefsAfter walks every blob reference exactly once however small the
// steps, and ends with a nil cursor.
func TestBlobRefsAfterWalksEverything(t *testing.T) {
	d := openMem(t)
	want := map[uint64]BlobRef{}
	err := d.Update(func(x *Txn) error {
		for ino := uint64(2); ino < 6; ino++ {
			for off := uint64(0); off < 3; off++ {
				b := ino*100 + off
				want[b] = BlobRef{Blob: b, Ino: ino}
				if err := x.PutExtent(ino, Extent{Off: off * 10, Len: 10, Blob: b}); err != nil {
					return err
				}
			}
		}
		for n := 1; n <= 2; n++ {
			p := Part{Number: n, Extents: []Extent{{Len: 1, Blob: uint64(900 + 2*n)}, {Off: 1, Len: 1, Blob: uint64(901 + 2*n)}}}
			for _, e := range p.Extents {
				want[e.Blob] = BlobRef{Blob: e.Blob, UploadID: "up1", Part: n}
			}
			if err := x.PutPart("up1", &p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{1, 2, 5, 100} {
		t.Run("limit", func(t *testing.T) {
			got := map[uint64]BlobRef{}
			var cur []byte
			for steps := 0; ; steps++ {
				if steps > 100 {
					t.Fatal("walk does not end")
				}
				err := d.View(func(x *Txn) (err error) {
					cur, err = x.BlobRefsAfter(cur, limit, func(r BlobRef) error {
						if _, dup := got[r.Blob]; dup {
							t.Errorf("blob %d visited twice", r.Blob)
						}
						if len(r.Cursor) == 0 {
							t.Errorf("blob %d: no cursor", r.Blob)
						}
						r.Cursor = nil
						got[r.Blob] = r
						return nil
					})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if cur == nil {
					break
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("limit %d: walked %v, want %v", limit, got, want)
			}
		})
	}
	err = d.View(func(x *Txn) error {
		for _, tc := range []struct {
			r    BlobRef
			want bool
		}{
			{BlobRef{Blob: 301, Ino: 3}, true},
			{BlobRef{Blob: 301, Ino: 4}, false},
			{BlobRef{Blob: 903, UploadID: "up1", Part: 1}, true},
			{BlobRef{Blob: 903, UploadID: "up1", Part: 2}, false},
			{BlobRef{Blob: 903, UploadID: "gone", Part: 1}, false},
		} {
			if got, err := x.StillNamed(tc.r); err != nil || got != tc.want {
				t.Errorf("StillNamed(%+v) = %v, %v; want %v", tc.r, got, err, tc.want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The whole-table scans report a record that does not decode and go on.
func TestScanInodesReportsCorruptRecords(t *testing.T) {
	d := openMem(t)
	err := d.Update(func(x *Txn) error {
		for ino := uint64(1); ino <= 3; ino++ {
			if err := x.PutInode(&Inode{Ino: ino, Mode: 0o100644, Nlink: 1}); err != nil {
				return err
			}
		}
		return x.DamageInodeForTesting(2)
	})
	if err != nil {
		t.Fatal(err)
	}
	var good, bad []uint64
	err = d.View(func(x *Txn) error {
		return x.ScanInodes(func(ino uint64, n Inode, err error) error {
			if err != nil {
				if !IsCorrupt(err) {
					t.Errorf("inode %d: %v, want a corrupt-record error", ino, err)
				}
				bad = append(bad, ino)
			} else {
				good = append(good, n.Ino)
			}
			return nil
		})
	})
	if err != nil || !reflect.DeepEqual(good, []uint64{1, 3}) || !reflect.DeepEqual(bad, []uint64{2}) {
		t.Errorf("scan: good %v bad %v, %v", good, bad, err)
	}
}
