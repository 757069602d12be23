package meta

import (
	"errors"
	"reflect"
	"testing"
)

func TestObjectPartsRoundTrip(t *testing.T) {
	cases := map[string][]ObjectPart{
		"one part":        {{Number: 1, Size: 5 << 20}},
		"gaps, checksums": {{Number: 2, Size: 7, Checksums: map[string]string{"crc32": "AAAAAA=="}}, {Number: 9, Size: 1 << 40, Checksums: map[string]string{"crc32": "AQIDBA=="}}},
		"none":            {},
	}
	for name, parts := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := decodeObjectParts(encodeObjectParts(parts))
			if err != nil || !reflect.DeepEqual(got, parts) {
				t.Errorf("got %+v, %v; want %+v", got, err, parts)
			}
		})
	}
	for name, b := range map[string][]byte{
		"empty":           nil,
		"unknown version": {9, 0},
		"truncated":       encodeObjectParts(cases["gaps, checksums"])[:6],
		"too many parts":  {objectPartsVersion, 0xff, 0xff, 0x03},
	} {
		if _, err := decodeObjectParts(b); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: decoded, err %v", name, err)
		}
	}
}

// The layout lives and dies with its inode, and can be dropped alone.
func TestObjectPartsLifecycle(t *testing.T) {
	d := openMem(t)
	parts := []ObjectPart{{Number: 1, Size: 10}, {Number: 3, Size: 2}}
	read := func() []ObjectPart {
		t.Helper()
		var got []ObjectPart
		if err := d.View(func(x *Txn) (err error) { got, err = x.ObjectParts(7); return }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	update := func(fn func(x *Txn) error) {
		t.Helper()
		if err := d.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	if got := read(); got != nil {
		t.Fatalf("layout before any: %+v", got)
	}
	update(func(x *Txn) error { return x.DeleteObjectParts(7) }) // none: no error
	update(func(x *Txn) error {
		if err := x.PutInode(&Inode{Ino: 7, Mode: 0o100644, Nlink: 1}); err != nil {
			return err
		}
		return x.PutObjectParts(7, parts)
	})
	if got := read(); !reflect.DeepEqual(got, parts) {
		t.Fatalf("layout %+v, want %+v", got, parts)
	}
	update(func(x *Txn) error { return x.DeleteObjectParts(7) })
	if got := read(); got != nil {
		t.Fatalf("layout after drop: %+v", got)
	}
	update(func(x *Txn) error { return x.PutObjectParts(7, parts) })
	update(func(x *Txn) error { return x.DeleteInode(7) })
	if got := read(); got != nil {
		t.Fatalf("layout after the inode went: %+v", got)
	}
}
