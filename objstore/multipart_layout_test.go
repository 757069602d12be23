package objstore

import (
	"bytes"
	"reflect"
	"testing"
)

// A completed object keeps its parts (numbers as uploaded, sizes, part
// checksums of the upload's algorithm) until the mount rewrites it.
func TestMultipartLayout(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	pieces := map[int][]byte{1: bytes.Repeat([]byte("a"), 5000), 3: bytes.Repeat([]byte("b"), 6000), 7: []byte("tail")}
	complete := func(t *testing.T, key, alg string) ObjectInfo {
		t.Helper()
		id, err := s.CreateMultipartUpload(ctx, "bkt", key, PutOptions{ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		var cps []CompletePart
		for _, n := range []int{1, 3, 7} {
			var sums map[string]string
			if alg != "" {
				sums = map[string]string{alg: b64Sum(alg, pieces[n])}
			}
			p, err := s.UploadPart(ctx, "bkt", key, id, n, bytes.NewReader(pieces[n]), -1, PartOptions{Checksums: sums})
			if err != nil {
				t.Fatal(err)
			}
			cps = append(cps, CompletePart{Number: n, ETag: p.ETag, Checksums: sums})
		}
		if _, err := s.CompleteMultipartUpload(ctx, "bkt", key, id, cps, CompleteOptions{}); err != nil {
			t.Fatal(err)
		}
		info, err := s.HeadObject(ctx, "bkt", key)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	for _, c := range []struct {
		name, alg string
		want      []ObjectPart
	}{
		{"without checksums", "", []ObjectPart{{Number: 1, Size: 5000}, {Number: 3, Size: 6000}, {Number: 7, Size: 4}}},
		{"crc32", "crc32", []ObjectPart{
			{Number: 1, Size: 5000, Checksums: map[string]string{"crc32": b64Sum("crc32", pieces[1])}},
			{Number: 3, Size: 6000, Checksums: map[string]string{"crc32": b64Sum("crc32", pieces[3])}},
			{Number: 7, Size: 4, Checksums: map[string]string{"crc32": b64Sum("crc32", pieces[7])}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if info := complete(t, c.name, c.alg); !reflect.DeepEqual(info.Parts, c.want) {
				t.Errorf("parts %+v, want %+v", info.Parts, c.want)
			}
		})
	}
	t.Run("copy is one part", func(t *testing.T) {
		if _, err := s.CopyObject(ctx, "bkt", "crc32", "bkt", "copy", CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		if info, err := s.HeadObject(ctx, "bkt", "copy"); err != nil || info.Parts != nil {
			t.Errorf("copy: parts %+v, %v", info.Parts, err)
		}
	})
	t.Run("rewritten through the mount", func(t *testing.T) {
		info, err := s.HeadObject(ctx, "bkt", "crc32")
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.Open(ctx, info.Ino, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.WriteAt(ctx, []byte("z"), 0); err != nil {
			t.Fatal(err)
		}
		if err := h.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if info, err = s.HeadObject(ctx, "bkt", "crc32"); err != nil || info.Parts != nil || len(info.Checksums) != 0 {
			t.Errorf("after a write: parts %+v, checksums %v, %v", info.Parts, info.Checksums, err)
		}
	})
}
