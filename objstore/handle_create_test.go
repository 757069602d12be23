package objstore

import (
	"errors"
	"strings"
	"testing"
)

// TestCreateFile: the create-and-open path that reads nothing back gives
// the same file as Mknod+Open: empty, writable, seen by S3 after the
// commit, with no capability and no extra names; a taken name is refused.
func TestCreateFile(t *testing.T) {
	s := small(t)
	bkt := mustBucket(t, s, "bkt")
	for _, tc := range []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"inline", "hello"},
		{"blob", string(make([]byte, 3<<10))}, // past InlineMax of small()
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, h, err := s.CreateFile(ctx, bkt.Ino, tc.name, NodeIn{Mode: 0o640, Uid: 7, Gid: 8})
			if err != nil {
				t.Fatal(err)
			}
			if a.Mode != ModeRegular|0o640 || a.Uid != 7 || a.Gid != 8 || a.Size != 0 {
				t.Fatalf("attributes %+v", a)
			}
			if _, err := s.GetXattr(ctx, a.Ino, xattrCapability); !errors.Is(err, ErrNoAttr) {
				t.Fatalf("security.capability of a new file: %v", err)
			}
			if _, err := h.WriteAt(ctx, []byte(tc.data), 0); err != nil {
				t.Fatal(err)
			}
			if err := h.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if got := string(readAll(t, s, "bkt", tc.name)); got != tc.data {
				t.Fatalf("S3 read %d bytes, want %d", len(got), len(tc.data))
			}
			info, err := s.HeadObject(ctx, "bkt", tc.name)
			if err != nil || info.ETag != md5hex([]byte(tc.data)) {
				t.Fatalf("ETag %q (%v), want the MD5", info.ETag, err)
			}
			if err := h.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.CreateFile(ctx, bkt.Ino, tc.name, NodeIn{Mode: 0o644}); !errors.Is(err, ErrExist) {
				t.Fatalf("second create: %v, want ErrExist", err)
			}
		})
	}
}

// TestCreateInSetgidDir: whichever door creates, a node in a setgid
// directory takes the directory's group, and a directory its setgid bit.
func TestCreateInSetgidDir(t *testing.T) {
	s := small(t)
	dir, err := s.Mkdir(ctx, RootIno, "shared", NodeIn{Mode: 0o2775, Uid: 1, Gid: 500})
	if err != nil {
		t.Fatal(err)
	}
	if dir.Mode&modeSetgid == 0 {
		t.Fatalf("mode %o lost setgid", dir.Mode)
	}
	f, h, err := s.CreateFile(ctx, dir.Ino, "f", NodeIn{Mode: 0o644, Uid: 2, Gid: 20})
	if err != nil {
		t.Fatal(err)
	}
	h.Release(ctx)
	sub, err := s.Mkdir(ctx, dir.Ino, "sub", NodeIn{Mode: 0o755, Uid: 2, Gid: 20})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.PutObject(ctx, "shared", "sub/obj", strings.NewReader("x"), 1, PutOptions{Owner: Owner{Uid: 3, Gid: 30}})
	if err != nil {
		t.Fatal(err)
	}
	objAttr, err := s.GetAttr(ctx, obj.Ino)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		a    Attr
		dir  bool
	}{{"file", f, false}, {"directory", sub, true}, {"S3 object", objAttr, false}} {
		if c.a.Gid != 500 {
			t.Errorf("%s: gid %d, want the directory's 500", c.what, c.a.Gid)
		}
		if got := c.a.Mode&modeSetgid != 0; got != c.dir {
			t.Errorf("%s: mode %o, setgid %v, want %v", c.what, c.a.Mode, got, c.dir)
		}
	}
	if f.Uid != 2 || sub.Uid != 2 {
		t.Errorf("owners %d, %d, want the creator's 2", f.Uid, sub.Uid)
	}
}

// TestLastCloseFreesUnlinked: an inode whose last name goes while it is
// open (unlink, rename over it, S3 overwrite or delete) stays readable
// through the handle and is freed at the last release, and only then.
func TestLastCloseFreesUnlinked(t *testing.T) {
	s := small(t)
	bkt := mustBucket(t, s, "bkt")
	for _, tc := range []struct {
		name   string
		unlink func(t *testing.T)
	}{
		{"unlink", func(t *testing.T) { mustOK(t, s.Unlink(ctx, bkt.Ino, "unlink")) }},
		{"rename over", func(t *testing.T) {
			mustCreate(t, s, bkt.Ino, "other")
			mustOK(t, s.Rename(ctx, bkt.Ino, "other", bkt.Ino, "rename over", 0))
		}},
		{"S3 overwrite", func(t *testing.T) {
			_, err := s.PutObject(ctx, "bkt", "S3 overwrite", strings.NewReader("new"), 3, PutOptions{})
			mustOK(t, err)
		}},
		{"S3 delete", func(t *testing.T) { mustOK(t, s.DeleteObject(ctx, "bkt", "S3 delete")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, h, err := s.CreateFile(ctx, bkt.Ino, tc.name, NodeIn{Mode: 0o644})
			mustOK(t, err)
			_, err = h.WriteAt(ctx, []byte("data"), 0)
			mustOK(t, err)
			mustOK(t, h.Flush(ctx))
			h2, err := s.Open(ctx, a.Ino, false)
			mustOK(t, err)
			tc.unlink(t)
			mustOK(t, h.Release(ctx))
			buf := make([]byte, 4)
			if n, err := h2.ReadAt(ctx, buf, 0); n != 4 || string(buf) != "data" {
				t.Fatalf("read through the open handle: %q, %v", buf[:n], err)
			}
			if _, err := s.GetAttr(ctx, a.Ino); err != nil {
				t.Fatalf("inode gone while still open: %v", err)
			}
			mustOK(t, h2.Release(ctx))
			if _, err := s.GetAttr(ctx, a.Ino); !errors.Is(err, ErrNotExist) {
				t.Fatalf("inode after the last release: %v, want ErrNotExist", err)
			}
		})
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// mustBucket creates bucket name and returns its directory's attributes.
func mustBucket(t *testing.T, s *Store, name string) Attr {
	t.Helper()
	mustOK(t, s.CreateBucket(ctx, name, Owner{}))
	a, err := s.Lookup(ctx, RootIno, name)
	mustOK(t, err)
	return a
}
