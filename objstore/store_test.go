package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"testing"
)

var ctx = context.Background()

func small(t *testing.T) *Store {
	return NewTesting(t, Options{InlineMax: 1 << 10, BlobSize: 8 << 10, DirtyMax: 32 << 10, MinPartSize: 4 << 10})
}

func md5hex(p []byte) string { s := md5.Sum(p); return hex.EncodeToString(s[:]) }

func mustCreate(t testing.TB, s *Store, parent Ino, name string) Attr {
	t.Helper()
	a, err := s.Mknod(ctx, parent, name, NodeIn{Mode: 0o644})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readAll(t *testing.T, s *Store, bucket, key string) []byte {
	t.Helper()
	r, err := s.OpenObject(ctx, bucket, key)
	if err != nil {
		t.Fatalf("open %s/%s: %v", bucket, key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Info().Size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWritesAgainstModel writes at random offsets through two handles,
// truncates and commits, checking every read against a byte-slice model.
// A flush publishes the shared buffer only if its handle wrote since the
// last commit; a truncate commits it.
func TestWritesAgainstModel(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := small(t)
			if err := s.CreateBucket(ctx, "bkt", Owner{}); err != nil {
				t.Fatal(err)
			}
			b, _ := s.HeadBucket(ctx, "bkt")
			_ = b
			bk, _ := s.Lookup(ctx, RootIno, "bkt")
			a := mustCreate(t, s, bk.Ino, "f")
			h1, _ := s.Open(ctx, a.Ino, false)
			h2, _ := s.Open(ctx, a.Ino, false)
			rng := rand.New(rand.NewSource(seed))
			var model, published []byte
			wrote := map[*Handle]bool{}
			for op := 0; op < 300; op++ {
				h := h1
				if rng.Intn(2) == 0 {
					h = h2
				}
				switch k := rng.Intn(10); {
				case k < 6:
					off := rng.Intn(40 << 10)
					p := make([]byte, 1+rng.Intn(12<<10))
					rng.Read(p)
					if _, err := h.WriteAt(ctx, p, int64(off)); err != nil {
						t.Fatal(err)
					}
					if need := off + len(p); need > len(model) {
						model = append(model, make([]byte, need-len(model))...)
					}
					copy(model[off:], p)
					wrote[h] = true
				case k < 7:
					size := rng.Intn(48 << 10)
					sz := uint64(size)
					if _, err := s.SetAttr(ctx, a.Ino, SetAttrIn{Size: &sz}); err != nil {
						t.Fatal(err)
					}
					if size < len(model) {
						model = model[:size]
					} else {
						model = append(model, make([]byte, size-len(model))...)
					}
					published = bytes.Clone(model)
					clear(wrote)
				case k < 8:
					if err := h.Flush(ctx); err != nil {
						t.Fatal(err)
					}
					if wrote[h] {
						published = bytes.Clone(model)
						clear(wrote)
					}
					if got := readAll(t, s, "bkt", "f"); !bytes.Equal(got, published) {
						t.Fatalf("op %d: S3 view differs after flush (len %d want %d)", op, len(got), len(published))
					}
				default:
					got := make([]byte, len(model)+10)
					n, err := h.ReadAt(ctx, got, 0)
					if err != nil && err != io.EOF || !bytes.Equal(got[:n], model) {
						t.Fatalf("op %d: read %d bytes differ from model of %d (err %v)", op, n, len(model), err)
					}
				}
			}
			h1.Release(ctx)
			h2.Release(ctx)
			info, err := s.HeadObject(ctx, "bkt", "f")
			if err != nil || info.ETag != md5hex(model) || info.Size != int64(len(model)) {
				t.Fatalf("head %+v %v, want etag %s", info, err, md5hex(model))
			}
		})
	}
}

func TestSequentialWriteETag(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	a := mustCreate(t, s, bk.Ino, "seq")
	h, _ := s.Open(ctx, a.Ino, false)
	data := bytes.Repeat([]byte("0123456789abcdef"), 10000)
	for off := 0; off < len(data); off += 3000 {
		h.WriteAt(ctx, data[off:min(off+3000, len(data))], int64(off))
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetAttr(ctx, a.Ino)
	if got.ETag != md5hex(data) {
		t.Fatalf("etag %q want %q (computed at commit, no read back)", got.ETag, md5hex(data))
	}
}

func TestObjectsAndDirectories(t *testing.T) {
	s := small(t)
	if err := s.CreateBucket(ctx, "bkt", Owner{Uid: 5, Gid: 6}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "bkt", Owner{}); !errors.Is(err, ErrExist) {
		t.Fatalf("second create: %v", err)
	}
	body := bytes.Repeat([]byte("x"), 20000)
	info, err := s.PutObject(ctx, "bkt", "a/b/c.txt", bytes.NewReader(body), int64(len(body)),
		PutOptions{Owner: Owner{Uid: 7, Gid: 8}, ContentType: "text/plain", Meta: map[string]string{"Color": "red"}})
	if err != nil || info.ETag != md5hex(body) {
		t.Fatalf("put: %+v %v", info, err)
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	da, err := s.Lookup(ctx, bk.Ino, "a")
	if err != nil || !da.IsDir() {
		t.Fatalf("implicit dir a: %+v %v", da, err)
	}
	db, _ := s.Lookup(ctx, da.Ino, "b")
	fc, err := s.Lookup(ctx, db.Ino, "c.txt")
	if err != nil || fc.Size != 20000 || fc.Uid != 7 || fc.ContentType != "text/plain" {
		t.Fatalf("file: %+v %v", fc, err)
	}
	if v, err := s.GetXattr(ctx, fc.Ino, "user.color"); err != nil || string(v) != "red" {
		t.Fatalf("xattr user.color = %q %v", v, err)
	}
	h, err := s.HeadObject(ctx, "bkt", "a/b/c.txt")
	if err != nil || h.Meta["color"] != "red" || h.ContentType != "text/plain" {
		t.Fatalf("head: %+v %v", h, err)
	}
	errCases := []struct {
		key  string
		want error
	}{
		{"a/b/c.txt/d", ErrNotDir}, {"a/b", ErrIsDir}, {"a//b", ErrInvalidName}, {"a/../b", ErrInvalidName},
		{"a/./b", ErrInvalidName}, {"x\x00y", ErrInvalidName}, {string(bytes.Repeat([]byte("n"), 256)), ErrNameTooLong},
	}
	for _, c := range errCases {
		t.Run(c.key, func(t *testing.T) {
			_, err := s.PutObject(ctx, "bkt", c.key, bytes.NewReader(nil), 0, PutOptions{})
			if !errors.Is(err, c.want) {
				t.Fatalf("put %q: %v, want %v", c.key, err, c.want)
			}
		})
	}
	if got := readAll(t, s, "bkt", "a/b/c.txt"); !bytes.Equal(got, body) {
		t.Fatal("content changed by refused puts")
	}
	// Overwrite while a reader holds the old version.
	r, _ := s.OpenObject(ctx, "bkt", "a/b/c.txt")
	if _, err := s.PutObject(ctx, "bkt", "a/b/c.txt", bytes.NewReader([]byte("new")), 3, PutOptions{}); err != nil {
		t.Fatal(err)
	}
	old, _ := io.ReadAll(io.NewSectionReader(r, 0, r.Info().Size))
	r.Close()
	if !bytes.Equal(old, body) {
		t.Fatal("reader of the old version saw the overwrite")
	}
	if got := readAll(t, s, "bkt", "a/b/c.txt"); string(got) != "new" {
		t.Fatalf("after overwrite: %q", got)
	}
	if n := s.countBlobs(t); n != 0 {
		t.Fatalf("%d blobs left after the big version was replaced by an inline one", n)
	}
	// Deleting the only key removes the implicit directories.
	if err := s.DeleteObject(ctx, "bkt", "a/b/c.txt"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, bk.Ino, "a"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("implicit dir survived: %v", err)
	}
	if err := s.DeleteObject(ctx, "bkt", "never/was"); err != nil {
		t.Fatalf("delete of a missing key: %v", err)
	}
	if err := s.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
}

func TestMultipart(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	id, err := s.CreateMultipartUpload(ctx, "bkt", "big/obj", PutOptions{ContentType: "application/x-test"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	parts := make([][]byte, 4)
	var cps []CompletePart
	for i := range parts {
		parts[i] = make([]byte, 5000+i*3000)
		rng.Read(parts[i])
		p, err := s.UploadPart(ctx, "bkt", "big/obj", id, i+1, bytes.NewReader(parts[i]), -1, PartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, CompletePart{Number: i + 1, ETag: `"` + p.ETag + `"`})
	}
	// Re-upload part 2.
	rng.Read(parts[1])
	p2, _ := s.UploadPart(ctx, "bkt", "big/obj", id, 2, bytes.NewReader(parts[1]), -1, PartOptions{})
	cps[1].ETag = p2.ETag
	lp, err := s.ListParts(ctx, "bkt", "big/obj", id, 0, 2)
	if err != nil || len(lp.Parts) != 2 || !lp.Truncated || lp.NextMarker != 2 {
		t.Fatalf("list parts: %+v %v", lp, err)
	}
	bad := []struct {
		name  string
		parts []CompletePart
		want  error
	}{
		{"order", []CompletePart{cps[1], cps[0]}, ErrPartOrder},
		{"missing", []CompletePart{{Number: 9, ETag: cps[0].ETag}}, ErrInvalidPart},
		{"etag", []CompletePart{{Number: 1, ETag: "00"}}, ErrInvalidPart},
		{"none", nil, ErrInvalidPart},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.CompleteMultipartUpload(ctx, "bkt", "big/obj", id, c.parts, CompleteOptions{}); !errors.Is(err, c.want) {
				t.Fatalf("got %v want %v", err, c.want)
			}
		})
	}
	// Complete with parts 1, 2, 4 (a subset).
	info, err := s.CompleteMultipartUpload(ctx, "bkt", "big/obj", id, []CompletePart{cps[0], cps[1], cps[3]}, CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte(nil), parts[0]...), parts[1]...), parts[3]...)
	sums := md5.New()
	for _, i := range []int{0, 1, 3} {
		s := md5.Sum(parts[i])
		sums.Write(s[:])
	}
	if wantTag := hex.EncodeToString(sums.Sum(nil)) + "-3"; info.ETag != wantTag {
		t.Fatalf("etag %s want %s", info.ETag, wantTag)
	}
	if got := readAll(t, s, "bkt", "big/obj"); !bytes.Equal(got, want) {
		t.Fatal("completed object differs")
	}
	if _, err := s.UploadPart(ctx, "bkt", "big/obj", id, 1, bytes.NewReader(nil), 0, PartOptions{}); !errors.Is(err, ErrNoSuchUpload) {
		t.Fatalf("upload after complete: %v", err)
	}
	// Small parts: EntityTooSmall; abort frees the data.
	id2, _ := s.CreateMultipartUpload(ctx, "bkt", "small", PutOptions{})
	a, _ := s.UploadPart(ctx, "bkt", "small", id2, 1, bytes.NewReader([]byte("tiny")), 4, PartOptions{})
	b, _ := s.UploadPart(ctx, "bkt", "small", id2, 2, bytes.NewReader([]byte("end")), 3, PartOptions{})
	if _, err := s.CompleteMultipartUpload(ctx, "bkt", "small", id2, []CompletePart{{Number: 1, ETag: a.ETag}, {Number: 2, ETag: b.ETag}}, CompleteOptions{}); !errors.Is(err, ErrEntityTooSmall) {
		t.Fatalf("small part: %v", err)
	}
	before := s.countBlobs(t)
	if err := s.AbortMultipartUpload(ctx, "bkt", "small", id2); err != nil {
		t.Fatal(err)
	}
	if after := s.countBlobs(t); after != before-2 {
		t.Fatalf("abort freed %d blobs, want 2", before-after)
	}
}

func TestUnlinkWhileOpen(t *testing.T) {
	s := small(t)
	a := mustCreate(t, s, RootIno, "f")
	h, _ := s.Open(ctx, a.Ino, false)
	data := bytes.Repeat([]byte("z"), 50000)
	h.WriteAt(ctx, data, 0)
	h.Flush(ctx)
	if err := s.Unlink(ctx, RootIno, "f"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if n, err := h.ReadAt(ctx, got, 0); n != len(data) || err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after unlink: %d %v", n, err)
	}
	h.WriteAt(ctx, []byte("more"), 50000)
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAttr(ctx, a.Ino); !errors.Is(err, ErrNotExist) {
		t.Fatalf("inode survives its last close: %v", err)
	}
	if n := s.countBlobs(t); n != 0 {
		t.Fatalf("%d blobs leaked", n)
	}
}

func TestRename(t *testing.T) {
	s := small(t)
	mk := func(parent Ino, name string) Attr {
		a, err := s.Mkdir(ctx, parent, name, NodeIn{Mode: 0o755})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	d1, d2 := mk(RootIno, "d1"), mk(RootIno, "d2")
	sub := mk(d1.Ino, "sub")
	mk(d2.Ino, "full")
	full, _ := s.Lookup(ctx, d2.Ino, "full")
	mustCreate(t, s, full.Ino, "x")
	mustCreate(t, s, d1.Ino, "f1")
	mustCreate(t, s, d2.Ino, "f2")
	mk(d2.Ino, "empty")
	cases := []struct {
		name           string
		op, np         Ino
		oldName, newNm string
		flags          RenameFlags
		want           error
	}{
		{"into own subtree", RootIno, d1.Ino, "d1", "loop", 0, ErrInvalid},
		{"into own child", d1.Ino, sub.Ino, "sub", "x", 0, ErrInvalid},
		{"dir over non-empty dir", d1.Ino, d2.Ino, "sub", "full", 0, ErrNotEmpty},
		{"dir over file", d1.Ino, d2.Ino, "sub", "f2", 0, ErrNotDir},
		{"file over dir", d1.Ino, d2.Ino, "f1", "empty", 0, ErrIsDir},
		{"noreplace", d1.Ino, d2.Ino, "f1", "f2", RenameNoReplace, ErrExist},
		{"missing source", d1.Ino, d2.Ino, "nope", "x", 0, ErrNotExist},
		{"file over file", d1.Ino, d2.Ino, "f1", "f2", 0, nil},
		{"dir over empty dir", d1.Ino, d2.Ino, "sub", "empty", 0, nil},
		{"exchange", d2.Ino, d2.Ino, "empty", "f2", RenameExchange, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := s.Rename(ctx, c.op, c.oldName, c.np, c.newNm, c.flags); !errors.Is(err, c.want) {
				t.Fatalf("got %v want %v", err, c.want)
			}
		})
	}
	a1, _ := s.GetAttr(ctx, d1.Ino)
	a2, _ := s.GetAttr(ctx, d2.Ino)
	if a1.Nlink != 2 || a2.Nlink != 4 { // d2 holds full, empty (the moved sub)... and f2 swapped
		t.Fatalf("nlink d1=%d d2=%d", a1.Nlink, a2.Nlink)
	}
	if e, err := s.Lookup(ctx, d2.Ino, "f2"); err != nil || !e.IsDir() {
		t.Fatalf("exchange: f2 is %+v %v", e, err)
	}
}

func TestCollectOrphans(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	body := bytes.Repeat([]byte("k"), 30000)
	s.PutObject(ctx, "bkt", "kept", bytes.NewReader(body), int64(len(body)), PutOptions{})
	id, _ := s.CreateMultipartUpload(ctx, "bkt", "mp", PutOptions{})
	s.UploadPart(ctx, "bkt", "mp", id, 1, bytes.NewReader(body), int64(len(body)), PartOptions{})
	// A body ingested but never committed, as a crash would leave it.
	in, err := s.ingest(ctx, bytes.NewReader(body), int64(len(body)), false)
	if err != nil {
		t.Fatal(err)
	}
	before := s.countBlobs(t)
	below, _ := s.newBlobID()
	n, err := s.collectOrphans(ctx, below)
	if err != nil || n != len(in.blobs) {
		t.Fatalf("collected %d (%v), want %d", n, err, len(in.blobs))
	}
	if after := s.countBlobs(t); after != before-n {
		t.Fatalf("blobs %d -> %d", before, after)
	}
	if got := readAll(t, s, "bkt", "kept"); !bytes.Equal(got, body) {
		t.Fatal("named blob collected")
	}
	if _, err := s.CompleteMultipartUpload(ctx, "bkt", "mp", id, []CompletePart{{Number: 1, ETag: md5hex(body)}}, CompleteOptions{}); err != nil {
		t.Fatalf("part blobs collected: %v", err)
	}
}

func TestObjectAttributes(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	opts := PutOptions{ContentType: "text/csv", Meta: map[string]string{"Project": "x1"},
		Headers:   map[string]string{"cache-control": "max-age=60", "content-encoding": "gzip"},
		Tags:      map[string]string{"team": "a b", "k&": "v="},
		Checksums: map[string]string{"crc32": "AAAAAA=="}}
	if _, err := s.PutObject(ctx, "bkt", "o", bytes.NewReader([]byte("data")), 4, opts); err != nil {
		t.Fatal(err)
	}
	check := func(name string, info ObjectInfo, wantSums bool) {
		t.Helper()
		if info.ContentType != "text/csv" || info.Meta["project"] != "x1" || info.Headers["cache-control"] != "max-age=60" ||
			info.Tags["k&"] != "v=" || info.Tags["team"] != "a b" || (info.Checksums["crc32"] == "AAAAAA==") != wantSums {
			t.Fatalf("%s: %+v", name, info)
		}
	}
	h, _ := s.HeadObject(ctx, "bkt", "o")
	check("head", h, true)
	c, err := s.CopyObject(ctx, "bkt", "o", "bkt", "c", CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check("copy result", c, true) // a full-object checksum holds for the copy
	hc, _ := s.HeadObject(ctx, "bkt", "c")
	check("copy", hc, true)
	// The mount sees and may set them, but may not forge checksums.
	a, _ := s.Lookup(ctx, mustLookup(t, s, "bkt"), "o")
	if v, err := s.GetXattr(ctx, a.Ino, "user.s3.cache-control"); err != nil || string(v) != "max-age=60" {
		t.Fatalf("xattr: %q %v", v, err)
	}
	if err := s.SetXattr(ctx, a.Ino, "user.s3.checksum-crc32", []byte("x"), 0); !errors.Is(err, ErrPermission) {
		t.Fatalf("forged checksum: %v", err)
	}
	if err := s.SetXattr(ctx, a.Ino, "user.s3.content-language", []byte("fr"), 0); err != nil {
		t.Fatal(err)
	}
	// A write through the mount drops the checksum it no longer matches.
	hd, _ := s.Open(ctx, a.Ino, false)
	hd.WriteAt(ctx, []byte("D"), 0)
	hd.Release(ctx)
	h2, _ := s.HeadObject(ctx, "bkt", "o")
	if h2.Checksums != nil || h2.Headers["content-language"] != "fr" {
		t.Fatalf("after mount write: %+v", h2)
	}
	if err := s.SetObjectTags(ctx, "bkt", "o", nil); err != nil {
		t.Fatal(err)
	}
	if h3, _ := s.HeadObject(ctx, "bkt", "o"); h3.Tags != nil {
		t.Fatalf("tags after delete: %v", h3.Tags)
	}
}

func mustLookup(t *testing.T, s *Store, bucket string) Ino {
	t.Helper()
	a, err := s.Lookup(ctx, RootIno, bucket)
	if err != nil {
		t.Fatal(err)
	}
	return a.Ino
}

// A body that ends early (a client hanging up) must not replace an object.
func TestShortBodyCommitsNothing(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	s.PutObject(ctx, "bkt", "k", bytes.NewReader([]byte("old")), 3, PutOptions{})
	cases := []struct {
		name string
		r    io.Reader
		size int64
	}{
		{"declared longer", bytes.NewReader(bytes.Repeat([]byte("x"), 100)), 200},
		{"declared shorter", bytes.NewReader(bytes.Repeat([]byte("x"), 100)), 50},
		{"unexpected EOF", io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("y"), 30000)), errReader{io.ErrUnexpectedEOF}), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.PutObject(ctx, "bkt", "k", c.r, c.size, PutOptions{}); err == nil {
				t.Fatal("short body accepted")
			}
			if got := readAll(t, s, "bkt", "k"); string(got) != "old" {
				t.Fatalf("object is now %d bytes", len(got))
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
