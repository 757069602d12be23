package objstore

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// fsckRig is a small store over memory disks with a known namespace.
type fsckRig struct {
	s     *Store
	disks []*disk.Mem
	want  map[string][]byte // "bucket/key" -> content
	bkt   Ino               // bucket "bkt"
	open  *Handle           // a file unlinked while open
}

func newFsckRig(t *testing.T) *fsckRig {
	t.Helper()
	r := &fsckRig{want: map[string][]byte{}}
	var disks []disk.Disk
	for i := 0; i < 6; i++ {
		d := disk.NewMem(fmt.Sprintf("mem%d", i), 0)
		r.disks = append(r.disks, d)
		disks = append(disks, d)
	}
	r.s = NewTestingOn(t, disks, Options{InlineMax: 1 << 10, BlobSize: 8 << 10, DirtyMax: 32 << 10, MinPartSize: 4 << 10})
	s := r.s
	for _, b := range []string{"bkt", "other"} {
		if err := s.CreateBucket(ctx, b, Owner{}); err != nil {
			t.Fatal(err)
		}
	}
	bk, _ := s.Lookup(ctx, RootIno, "bkt")
	r.bkt = bk.Ino
	for i, size := range []int{0, 100, 5 << 10, 20<<10 + 3} {
		key := fmt.Sprintf("dir/obj%d", i)
		body := bytes.Repeat([]byte{byte('a' + i)}, size)
		if _, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(body), int64(size), PutOptions{}); err != nil {
			t.Fatal(err)
		}
		r.want["bkt/"+key] = body
	}
	// A file written through the file API at two offsets: two blobs.
	a := mustCreate(t, s, r.bkt, "written")
	h, err := s.Open(ctx, a.Ino, false)
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 30<<10)
	for i := range body {
		body[i] = byte(i * 7)
	}
	if _, err := h.WriteAt(ctx, body, 0); err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	r.want["bkt/written"] = body
	// A hard link and a symlink.
	if _, err := s.Link(ctx, a.Ino, r.bkt, "hardlink"); err != nil {
		t.Fatal(err)
	}
	r.want["bkt/hardlink"] = body
	if _, err := s.Symlink(ctx, r.bkt, "sym", "written", Owner{}); err != nil {
		t.Fatal(err)
	}
	// A multipart upload in progress, in "other".
	id, err := s.CreateMultipartUpload(ctx, "other", "mp", PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		p := bytes.Repeat([]byte{byte(n)}, 5<<10)
		if _, err := s.UploadPart(ctx, "other", "mp", id, n, bytes.NewReader(p), int64(len(p)), PartOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A file unlinked while open: marked orphan, which is fine.
	o := mustCreate(t, s, r.bkt, "gone-but-open")
	if r.open, err = s.Open(ctx, o.Ino, false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.open.WriteAt(ctx, make([]byte, 10<<10), 0); err != nil {
		t.Fatal(err)
	}
	if err := r.open.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlink(ctx, r.bkt, "gone-but-open"); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *fsckRig) fsck(t *testing.T, repair bool) *FsckReport {
	t.Helper()
	// Fsck runs on a stopped store; the live one first frees what its
	// last commits let go, as Close does.
	if err := r.s.syncAndFree(); err != nil {
		t.Fatal(err)
	}
	rep, err := Fsck(ctx, r.s.db, r.s.blobs, FsckOptions{Repair: repair})
	if err != nil {
		t.Fatalf("fsck: %v", err)
	}
	return rep
}

// checkContent reads every known object back, except those in lost.
func (r *fsckRig) checkContent(t *testing.T, lost ...string) {
	t.Helper()
	for k, want := range r.want {
		if slices.Contains(lost, k) {
			continue
		}
		b, key, _ := strings.Cut(k, "/")
		if got := readAll(t, r.s, b, key); !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, want %d", k, len(got), len(want))
		}
	}
}

func (r *fsckRig) inodeOf(t *testing.T, key string) meta.Inode {
	t.Helper()
	var n meta.Inode
	err := r.s.db.View(func(x *meta.Txn) error {
		res, err := resolveKey(x, "bkt", key, nil)
		if err == nil {
			n = res.node
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (r *fsckRig) extents(t *testing.T, ino uint64) []meta.Extent {
	t.Helper()
	var ext []meta.Extent
	if err := r.s.db.View(func(x *meta.Txn) (err error) { ext, err = x.Extents(ino); return }); err != nil {
		t.Fatal(err)
	}
	return ext
}

func (r *fsckRig) update(t *testing.T, fn func(x *meta.Txn) error) {
	t.Helper()
	if err := r.s.db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func shardFile(id uint64, i int) string { return fmt.Sprintf("%016x.%d", id, i) }

func kinds(ps []FsckProblem) []string {
	var out []string
	for _, p := range ps {
		if !slices.Contains(out, p.Kind) {
			out = append(out, p.Kind)
		}
	}
	sort.Strings(out)
	return out
}

func TestFsckCleanStore(t *testing.T) {
	r := newFsckRig(t)
	rep := r.fsck(t, false)
	if len(rep.Problems) != 0 || rep.ExitCode() != FsckClean {
		t.Fatalf("a store built by the API has problems: %+v", rep.Problems)
	}
	if rep.Stats.Blobs == 0 || rep.Stats.BlobsChecked != rep.Stats.Blobs || rep.Stats.Parts != 2 || rep.Stats.Uploads != 1 {
		t.Errorf("stats %+v", rep.Stats)
	}
	r.checkContent(t)
}

func TestFsckFindsAndRepairs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, r *fsckRig)
		// found are the problem kinds the check reports; unfixable those
		// a repair must leave (data really lost).
		found, unfixable []string
		lost             []string // objects whose content is gone
		after            func(t *testing.T, r *fsckRig)
	}{
		{name: "orphan blob", found: []string{"orphan-blob"},
			damage: func(t *testing.T, r *fsckRig) {
				if err := r.s.blobs.Put(ctx, blob.ID(1<<40), []byte("left by a crash")); err != nil {
					t.Fatal(err)
				}
			},
			after: func(t *testing.T, r *fsckRig) {
				if _, err := r.s.blobs.Size(ctx, blob.ID(1<<40)); err == nil {
					t.Error("orphan blob still there")
				}
			}},
		{name: "dangling entry", found: []string{"dangling-entry"},
			damage: func(t *testing.T, r *fsckRig) {
				r.update(t, func(x *meta.Txn) error {
					return x.PutDirent(uint64(r.bkt), meta.Dirent{Name: "ghost", Ino: 1 << 40, Mode: ModeRegular})
				})
			}},
		{name: "file link count", found: []string{"link-count"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/obj2")
				n.Nlink = 5
				r.update(t, func(x *meta.Txn) error { return x.PutInode(&n) })
			},
			after: func(t *testing.T, r *fsckRig) {
				if n := r.inodeOf(t, "dir/obj2"); n.Nlink != 1 {
					t.Errorf("nlink %d after repair", n.Nlink)
				}
				if n := r.inodeOf(t, "written"); n.Nlink != 2 {
					t.Errorf("hard-linked file: nlink %d after repair", n.Nlink)
				}
			}},
		{name: "directory link count and parent", found: []string{"dir-parent", "link-count"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/")
				n.Nlink, n.Parent = 7, 12345
				r.update(t, func(x *meta.Txn) error { return x.PutInode(&n) })
			}},
		{name: "file without a name", found: []string{"lost-inode"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/obj3")
				r.update(t, func(x *meta.Txn) error {
					d, _ := x.Dirent(uint64(r.inodeOf(t, "dir/").Ino), "obj3")
					return x.DeleteDirent(uint64(r.inodeOf(t, "dir/").Ino), d)
				})
				r.want[fmt.Sprintf("lost/#%d", n.Ino)] = r.want["bkt/dir/obj3"]
				delete(r.want, "bkt/dir/obj3")
			},
			after: func(t *testing.T, r *fsckRig) {
				lf, err := r.s.Lookup(ctx, RootIno, lostFound)
				if err != nil {
					t.Fatalf("lost+found: %v", err)
				}
				for k, want := range r.want {
					if name, ok := strings.CutPrefix(k, "lost/"); ok {
						a, err := r.s.Lookup(ctx, lf.Ino, name)
						if err != nil {
							t.Fatalf("%s in lost+found: %v", name, err)
						}
						h, _ := r.s.Open(ctx, a.Ino, false)
						got := make([]byte, a.Size)
						h.ReadAt(ctx, got, 0)
						h.Release(ctx)
						if !bytes.Equal(got, want) || a.Nlink != 1 {
							t.Errorf("lost+found/%s: %d bytes nlink %d", name, len(got), a.Nlink)
						}
						delete(r.want, k)
					}
				}
				if bs, _ := r.s.ListBuckets(ctx); len(bs) != 2 {
					t.Errorf("lost+found shows as a bucket: %v", bs)
				}
			}},
		{name: "inode with no names and no links", found: []string{"orphan-inode"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/obj3")
				dir := uint64(r.inodeOf(t, "dir/").Ino)
				n.Nlink = 0
				r.update(t, func(x *meta.Txn) error {
					d, _ := x.Dirent(dir, "obj3")
					if err := x.DeleteDirent(dir, d); err != nil {
						return err
					}
					return x.PutInode(&n)
				})
				delete(r.want, "bkt/dir/obj3")
			},
			after: func(t *testing.T, r *fsckRig) {
				// Its blobs went with it (as orphans in a later round).
				if rep := r.fsck(t, false); len(rep.Problems) != 0 {
					t.Errorf("after repair: %+v", rep.Problems)
				}
			}},
		{name: "damaged shards", found: []string{"blob-damaged"},
			damage: func(t *testing.T, r *fsckRig) {
				b := r.extents(t, r.inodeOf(t, "dir/obj3").Ino)[0].Blob
				r.disks[1].Remove(ctx, shardFile(b, 1))
				raw := make([]byte, 4096)
				n, _ := r.disks[4].ReadAt(ctx, shardFile(b, 4), raw, 0)
				raw[n-1] ^= 0xff
				r.disks[4].WriteFile(ctx, shardFile(b, 4), raw[:n])
			},
			after: func(t *testing.T, r *fsckRig) {
				b := r.extents(t, r.inodeOf(t, "dir/obj3").Ino)[0].Blob
				if h, err := r.s.blobs.Verify(ctx, blob.ID(b)); err != nil || !h.OK() {
					t.Errorf("after repair: %+v %v", h, err)
				}
			}},
		{name: "lost blob", found: []string{"blob-unreadable"}, unfixable: []string{"blob-unreadable"}, lost: []string{"bkt/dir/obj3"},
			damage: func(t *testing.T, r *fsckRig) {
				b := r.extents(t, r.inodeOf(t, "dir/obj3").Ino)[0].Blob
				for _, i := range []int{0, 2, 5} {
					r.disks[i].Remove(ctx, shardFile(b, i))
				}
			}},
		{name: "missing blob", found: []string{"blob-missing"}, unfixable: []string{"blob-missing"}, lost: []string{"bkt/dir/obj2"},
			damage: func(t *testing.T, r *fsckRig) {
				b := r.extents(t, r.inodeOf(t, "dir/obj2").Ino)[0].Blob
				r.s.blobs.Delete(ctx, blob.ID(b))
			}},
		{name: "shared blob", found: []string{"blob-shared"},
			damage: func(t *testing.T, r *fsckRig) {
				src := r.inodeOf(t, "dir/obj2")
				dst := r.inodeOf(t, "dir/obj1") // inline, 100 bytes
				ext := r.extents(t, src.Ino)
				r.update(t, func(x *meta.Txn) error {
					if err := x.PutContent(dst.Ino, nil); err != nil {
						return err
					}
					for _, e := range ext {
						if err := x.PutExtent(dst.Ino, e); err != nil {
							return err
						}
					}
					dst.Size, dst.Stored = src.Size, src.Stored
					return x.PutInode(&dst)
				})
				r.want["bkt/dir/obj1"] = r.want["bkt/dir/obj2"]
			},
			after: func(t *testing.T, r *fsckRig) {
				a := r.extents(t, r.inodeOf(t, "dir/obj1").Ino)
				b := r.extents(t, r.inodeOf(t, "dir/obj2").Ino)
				if a[0].Blob == b[0].Blob {
					t.Error("the blob is still shared")
				}
				// Deleting one must not hurt the other.
				if err := r.s.DeleteObject(ctx, "bkt", "dir/obj2"); err != nil {
					t.Fatal(err)
				}
				delete(r.want, "bkt/dir/obj2")
			}},
		{name: "extents past the size", found: []string{"extent-past-size"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "written")
				n.Size = 10000
				r.update(t, func(x *meta.Txn) error { return x.PutInode(&n) })
				r.want["bkt/written"] = r.want["bkt/written"][:10000]
				r.want["bkt/hardlink"] = r.want["bkt/written"]
			},
			after: func(t *testing.T, r *fsckRig) {
				for _, e := range r.extents(t, r.inodeOf(t, "written").Ino) {
					if e.End() > 10000 {
						t.Errorf("extent %+v still past the size", e)
					}
				}
			}},
		{name: "inline past the size", found: []string{"inline-past-size"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/obj1")
				n.Size = 10
				r.update(t, func(x *meta.Txn) error { return x.PutInode(&n) })
				r.want["bkt/dir/obj1"] = r.want["bkt/dir/obj1"][:10]
			}},
		{name: "parts without their upload", found: []string{"part-without-upload"},
			damage: func(t *testing.T, r *fsckRig) {
				up, err := r.s.ListMultipartUploads(ctx, "other", UploadQuery{Limit: 10})
				if err != nil || len(up.Uploads) != 1 {
					t.Fatalf("uploads: %+v %v", up, err)
				}
				u := up.Uploads[0]
				r.update(t, func(x *meta.Txn) error { return x.DeleteUploadRecord(u.Bucket, u.Key, u.UploadID) })
			},
			after: func(t *testing.T, r *fsckRig) {
				if rep := r.fsck(t, false); rep.Stats.Parts != 0 {
					t.Errorf("%d parts left", rep.Stats.Parts)
				}
			}},
		{name: "upload without its bucket", found: []string{"link-count", "upload-without-bucket"},
			damage: func(t *testing.T, r *fsckRig) {
				b, _ := r.s.Lookup(ctx, RootIno, "other")
				r.update(t, func(x *meta.Txn) error {
					d, _ := x.Dirent(uint64(RootIno), "other")
					if err := x.DeleteDirent(uint64(RootIno), d); err != nil {
						return err
					}
					return x.DeleteInode(uint64(b.Ino))
				})
			}},
		{name: "stale orphan mark", found: []string{"records-without-inode"},
			damage: func(t *testing.T, r *fsckRig) {
				r.update(t, func(x *meta.Txn) error { return x.MarkOrphan(1 << 41) })
			}},
		{name: "records of a missing inode", found: []string{"dangling-entry", "records-without-inode"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/obj2")
				ext := r.extents(t, n.Ino)
				r.update(t, func(x *meta.Txn) error { return x.DeleteInode(n.Ino) })
				// DeleteInode takes extents along: put them back.
				r.update(t, func(x *meta.Txn) error {
					for _, e := range ext {
						if err := x.PutExtent(n.Ino, e); err != nil {
							return err
						}
					}
					return nil
				})
				delete(r.want, "bkt/dir/obj2")
			}},
		{name: "entry with the wrong type", found: []string{"entry-type"},
			damage: func(t *testing.T, r *fsckRig) {
				dir := uint64(r.inodeOf(t, "dir/").Ino)
				r.update(t, func(x *meta.Txn) error {
					d, err := x.Dirent(dir, "obj2")
					if err != nil {
						return err
					}
					if err := x.DeleteDirent(dir, d); err != nil {
						return err
					}
					d.Mode = ModeDir
					return x.PutDirent(dir, d)
				})
			}},
		{name: "orphan mark on a named file", found: []string{"orphan-mark-live"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/obj2")
				r.update(t, func(x *meta.Txn) error { return x.MarkOrphan(n.Ino) })
			}},
		{name: "record that does not decode", found: []string{"corrupt-inode"}, unfixable: []string{"corrupt-inode"},
			lost: []string{"bkt/dir/obj2"},
			damage: func(t *testing.T, r *fsckRig) {
				n := r.inodeOf(t, "dir/obj2")
				r.update(t, func(x *meta.Txn) error { return x.DamageInodeForTesting(n.Ino) })
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFsckRig(t)
			tc.damage(t, r)
			rep := r.fsck(t, false)
			if got := kinds(rep.Problems); !slices.Equal(got, tc.found) {
				t.Fatalf("found %v, want %v:\n%s", got, tc.found, problemList(rep.Problems))
			}
			if rep.ExitCode() != FsckUnrepairs {
				t.Errorf("exit code %d without repair", rep.ExitCode())
			}
			rep = r.fsck(t, true)
			if got := kinds(rep.Remaining); !slices.Equal(got, tc.unfixable) {
				t.Errorf("after repair %v remain, want %v:\n%s\nall:\n%s", got, tc.unfixable, problemList(rep.Remaining), problemList(rep.Problems))
			}
			for _, p := range rep.Problems {
				if p.Repairable && !p.Repaired {
					t.Errorf("repairable %s %s not repaired: %s", p.Kind, p.Object, p.RepairErr)
				}
			}
			wantCode := FsckFixed
			if len(tc.unfixable) > 0 {
				wantCode = FsckUnrepairs
			}
			if rep.ExitCode() != wantCode {
				t.Errorf("exit code %d after repair, want %d", rep.ExitCode(), wantCode)
			}
			if tc.after != nil {
				tc.after(t, r)
			}
			r.checkContent(t, tc.lost...)
			// A second repair finds nothing new to do.
			again := r.fsck(t, true)
			if got := kinds(again.Problems); !slices.Equal(got, tc.unfixable) {
				t.Errorf("second run finds %v:\n%s", got, problemList(again.Problems))
			}
		})
	}
}

func problemList(ps []FsckProblem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s\t%s\t%s\trepairable=%v repaired=%v %s\n", p.Kind, p.Object, p.Detail, p.Repairable, p.Repaired, p.RepairErr)
	}
	return b.String()
}
