package objstore

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand"
	"strconv"
	"testing"
)

func b64Sum(alg string, b []byte) string {
	return base64.StdEncoding.EncodeToString(sumOf(ChecksumAlgorithmNamed(alg), b))
}

func TestMultipartChecksums(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	rng := rand.New(rand.NewSource(3))
	data := make([]byte, 3*6000+1234)
	rng.Read(data)
	pieces := [][]byte{data[:6000], data[6000:12000], data[12000:18000], data[18000:]}

	// upload creates an upload and sends the pieces with checksums of alg.
	upload := func(t *testing.T, key, alg, typ string) (string, []CompletePart) {
		t.Helper()
		id, err := s.CreateMultipartUpload(ctx, "bkt", key, PutOptions{ChecksumAlgorithm: alg, ChecksumType: typ})
		if err != nil {
			t.Fatal(err)
		}
		var cps []CompletePart
		for i, p := range pieces {
			sums := map[string]string{alg: b64Sum(alg, p)}
			info, err := s.UploadPart(ctx, "bkt", key, id, i+1, bytes.NewReader(p), int64(len(p)), PartOptions{Checksums: sums})
			if err != nil {
				t.Fatal(err)
			}
			if info.Checksums[alg] != sums[alg] {
				t.Fatalf("part %d checksums %v", i+1, info.Checksums)
			}
			cps = append(cps, CompletePart{Number: i + 1, ETag: info.ETag, Checksums: sums})
		}
		return id, cps
	}
	composite := func(alg string) string {
		h := ChecksumAlgorithmNamed(alg).New()
		for _, p := range pieces {
			h.Write(sumOf(ChecksumAlgorithmNamed(alg), p))
		}
		return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(pieces))
	}
	for _, c := range []struct {
		name, alg, typ string
		want           string
	}{
		{"crc32 composite by default", "crc32", "", composite("crc32")},
		{"crc32c full object", "crc32c", ChecksumFullObject, b64Sum("crc32c", data)},
		{"crc64nvme full object by default", "crc64nvme", "", b64Sum("crc64nvme", data)},
		{"sha256 composite", "sha256", ChecksumComposite, composite("sha256")},
		{"sha1 composite", "sha1", "", composite("sha1")},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "obj-" + c.alg
			id, cps := upload(t, key, c.alg, c.typ)
			lp, err := s.ListParts(ctx, "bkt", key, id, 0, 10)
			if err != nil || len(lp.Parts) != 4 || lp.Parts[2].Checksums[c.alg] != cps[2].Checksums[c.alg] || lp.Upload.ChecksumAlgorithm != c.alg {
				t.Fatalf("list parts: %+v %v", lp, err)
			}
			info, err := s.CompleteMultipartUpload(ctx, "bkt", key, id, cps, CompleteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if info.Checksums[c.alg] != c.want {
				t.Fatalf("complete: checksum %v, want %s", info.Checksums, c.want)
			}
			h, err := s.HeadObject(ctx, "bkt", key)
			if err != nil || h.Checksums[c.alg] != c.want || len(h.Checksums) != 1 {
				t.Fatalf("head: %v %v", h.Checksums, err)
			}
			if !bytes.Equal(readAll(t, s, "bkt", key), data) {
				t.Fatal("content differs")
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		id, cps := upload(t, "bad", "crc32", "")
		wrong := func(i int, alg, v string) []CompletePart {
			out := append([]CompletePart(nil), cps...)
			out[i].Checksums = map[string]string{}
			if alg != "" {
				out[i].Checksums[alg] = v
			}
			return out
		}
		for _, c := range []struct {
			name  string
			parts []CompletePart
			opts  CompleteOptions
			want  error
		}{
			{"part checksum differs", wrong(1, "crc32", "AAAAAA=="), CompleteOptions{}, ErrInvalidPart},
			{"part checksum of another algorithm", wrong(1, "sha1", "AAAAAA=="), CompleteOptions{}, ErrInvalidPart},
			{"composite part without checksum", wrong(2, "", ""), CompleteOptions{}, ErrChecksumRequired},
			{"other checksum type", cps, CompleteOptions{ChecksumType: ChecksumFullObject}, ErrChecksumType},
			{"object checksum differs", cps, CompleteOptions{Checksums: map[string]string{"crc32": "AAAAAA==-4"}}, ErrBadDigest},
			{"object checksum of another algorithm", cps, CompleteOptions{Checksums: map[string]string{"sha1": "AAAAAA=="}}, ErrBadDigest},
		} {
			t.Run(c.name, func(t *testing.T) {
				if _, err := s.CompleteMultipartUpload(ctx, "bkt", "bad", id, c.parts, c.opts); !errors.Is(err, c.want) {
					t.Fatalf("got %v want %v", err, c.want)
				}
			})
		}
		if _, err := s.UploadPart(ctx, "bkt", "bad", id, 5, bytes.NewReader([]byte("x")), 1, PartOptions{}); !errors.Is(err, ErrChecksumRequired) {
			t.Fatalf("part without checksum: %v", err)
		}
		// The object checksum may be given with or without "-N".
		want := composite("crc32")
		info, err := s.CompleteMultipartUpload(ctx, "bkt", "bad", id, cps, CompleteOptions{Checksums: map[string]string{"crc32": want[:len(want)-2]}})
		if err != nil || info.Checksums["crc32"] != want {
			t.Fatalf("complete with object checksum: %v %v", info.Checksums, err)
		}
	})

	t.Run("full object parts need not be listed with checksums", func(t *testing.T) {
		id, cps := upload(t, "full", "crc64nvme", "")
		for i := range cps {
			cps[i].Checksums = nil
		}
		want := b64Sum("crc64nvme", data)
		info, err := s.CompleteMultipartUpload(ctx, "bkt", "full", id, cps, CompleteOptions{Checksums: map[string]string{"crc64nvme": want}})
		if err != nil || info.Checksums["crc64nvme"] != want {
			t.Fatalf("%v %v", info.Checksums, err)
		}
	})

	t.Run("create", func(t *testing.T) {
		for _, c := range []struct {
			name, alg, typ string
			want           error
		}{
			{"sha256 full object", "sha256", ChecksumFullObject, ErrNotSupported},
			{"crc64nvme composite", "crc64nvme", ChecksumComposite, ErrNotSupported},
			{"type without algorithm", "", ChecksumComposite, ErrInvalid},
			{"unknown algorithm", "md4", "", ErrInvalid},
			{"unknown type", "crc32", "PARTIAL", ErrNotSupported},
		} {
			t.Run(c.name, func(t *testing.T) {
				if _, err := s.CreateMultipartUpload(ctx, "bkt", "x", PutOptions{ChecksumAlgorithm: c.alg, ChecksumType: c.typ}); !errors.Is(err, c.want) {
					t.Fatalf("got %v want %v", err, c.want)
				}
			})
		}
	})

	t.Run("upload without algorithm keeps part checksums only", func(t *testing.T) {
		id, err := s.CreateMultipartUpload(ctx, "bkt", "plain", PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sums := map[string]string{"crc32": b64Sum("crc32", pieces[3])}
		p, err := s.UploadPart(ctx, "bkt", "plain", id, 1, bytes.NewReader(pieces[3]), -1, PartOptions{Checksums: sums})
		if err != nil || p.Checksums["crc32"] != sums["crc32"] {
			t.Fatalf("part: %+v %v", p, err)
		}
		info, err := s.CompleteMultipartUpload(ctx, "bkt", "plain", id, []CompletePart{{Number: 1, ETag: p.ETag, Checksums: sums}}, CompleteOptions{})
		if err != nil || len(info.Checksums) != 0 {
			t.Fatalf("complete: %v %v", info.Checksums, err)
		}
	})

	t.Run("copy", func(t *testing.T) {
		// A composite checksum is recomputed over the copied bytes, a
		// full-object one carried, a requested algorithm replaces both.
		for _, c := range []struct {
			name, src, alg string
			want           map[string]string
		}{
			{"composite source", "obj-crc32", "", map[string]string{"crc32": b64Sum("crc32", data)}},
			{"full object source", "obj-crc64nvme", "", map[string]string{"crc64nvme": b64Sum("crc64nvme", data)}},
			{"new algorithm", "obj-crc32", "sha256", map[string]string{"sha256": b64Sum("sha256", data)}},
		} {
			t.Run(c.name, func(t *testing.T) {
				info, err := s.CopyObject(ctx, "bkt", c.src, "bkt", "copy-"+c.name, CopyOptions{ChecksumAlgorithm: c.alg})
				if err != nil {
					t.Fatal(err)
				}
				h, err := s.HeadObject(ctx, "bkt", "copy-"+c.name)
				if err != nil || !equalMaps(h.Checksums, c.want) || !equalMaps(info.Checksums, c.want) {
					t.Fatalf("checksums %v (result %v), want %v: %v", h.Checksums, info.Checksums, c.want, err)
				}
			})
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
