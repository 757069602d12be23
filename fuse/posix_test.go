package fuse

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPOSIX runs each operation the door serves through ordinary system
// calls on one mount, each case in a directory of its own.
func TestPOSIX(t *testing.T) {
	m := mountTesting(t, Options{})
	tests := []struct {
		name string
		run  func(t *testing.T, m *testMount, dir string)
	}{
		{"create write read", testCreateWriteRead},
		{"write at offsets", testWriteAtOffsets},
		{"append", testAppend},
		{"read before close", testReadBeforeClose},
		{"truncate", testTruncate},
		{"chmod", testChmod},
		{"chown", testChown},
		{"utimens", testUtimens},
		{"mkdir rmdir", testMkdirRmdir},
		{"unlink", testUnlink},
		{"rename over existing", testRenameOverExisting},
		{"rename across directories", testRenameAcrossDirs},
		{"rename directory", testRenameDir},
		{"rename noreplace", testRenameNoReplace},
		{"rename exchange", testRenameExchange},
		{"readdir paged", testReaddirPaged},
		{"symlink", testSymlink},
		{"hard links", testHardLinks},
		{"mknod", testMknod},
		{"statfs", testStatfs},
		{"xattrs", testXattrs},
		{"fsync", testFsync},
		{"close commits for S3", testCloseCommits},
		{"inode number is the store's", testInoIsStores},
		{"open unlinked file", testOpenUnlinked},
		{"caller owns what it creates", testCallerIdentity},
		{"setgid directory", testSetgidDir},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := m.path(fmt.Sprintf("case%02d", i))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.run(t, m, dir)
		})
	}
}

func mustWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s holds %q, want %q", path, clip(got), clip(want))
	}
}

func mustStat(t *testing.T, path string) *syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatalf("lstat %s: %v", path, err)
	}
	return &st
}

func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if got := errnoOf(err); got != want {
		t.Fatalf("%s: got %v (%v), want %v", what, got, err, want)
	}
}

// clip keeps failure messages short.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func testCreateWriteRead(t *testing.T, _ *testMount, dir string) {
	f := filepath.Join(dir, "f")
	mustWrite(t, f, []byte("hello, mount"))
	mustRead(t, f, []byte("hello, mount"))
	st := mustStat(t, f)
	if st.Size != 12 || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		t.Fatalf("stat: size %d mode %o", st.Size, st.Mode)
	}
}

func testWriteAtOffsets(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		off  int64
		data string
	}{{0, "abc"}, {10, "xyz"}, {1, "Q"}} {
		if _, err := f.WriteAt([]byte(w.data), w.off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mustRead(t, p, []byte("aQc\x00\x00\x00\x00\x00\x00\x00xyz"))

	// Overwrite in the middle of a committed file, through a new open.
	f, err = os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("MID"), 5); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mustRead(t, p, []byte("aQc\x00\x00MID\x00\x00xyz"))
}

func testAppend(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "log")
	for _, line := range []string{"one\n", "two\n", "three\n"} {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(line); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	mustRead(t, p, []byte("one\ntwo\nthree\n"))
}

func testReadBeforeClose(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	w, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("not yet closed")); err != nil {
		t.Fatal(err)
	}
	// A second descriptor sees the writes of the first at once.
	mustRead(t, p, []byte("not yet closed"))
	if st := mustStat(t, p); st.Size != 14 {
		t.Fatalf("size before close %d, want 14", st.Size)
	}
}

func testTruncate(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	data := bytes.Repeat([]byte("0123456789"), 10)
	mustWrite(t, p, data)
	if err := os.Truncate(p, 10); err != nil {
		t.Fatal(err)
	}
	mustRead(t, p, data[:10])
	if err := os.Truncate(p, 50); err != nil {
		t.Fatal(err)
	}
	mustRead(t, p, append(append([]byte{}, data[:10]...), make([]byte, 40)...))

	// ftruncate on an open descriptor, then write past the new end.
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("Z"), 5); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	mustRead(t, p, []byte("012\x00\x00Z"))

	// O_TRUNC empties the file.
	f, err = os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	mustRead(t, p, []byte{})
}

func testChmod(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	mustWrite(t, p, nil)
	for _, mode := range []uint32{0o600, 0o4755, 0} {
		if err := syscall.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if st := mustStat(t, p); st.Mode&0o7777 != mode {
			t.Fatalf("mode %o, want %o", st.Mode&0o7777, mode)
		}
	}
}

func testChown(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	mustWrite(t, p, nil)
	if err := os.Lchown(p, 60101, 10); err != nil {
		t.Fatal(err)
	}
	if st := mustStat(t, p); st.Uid != 60101 || st.Gid != 10 {
		t.Fatalf("owner %d:%d, want 60101:10", st.Uid, st.Gid)
	}
	// -1 leaves a field alone.
	if err := os.Lchown(p, -1, 20); err != nil {
		t.Fatal(err)
	}
	if st := mustStat(t, p); st.Uid != 60101 || st.Gid != 20 {
		t.Fatalf("owner %d:%d, want 60101:20", st.Uid, st.Gid)
	}
}

func testUtimens(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	mustWrite(t, p, nil)
	atime := time.Date(2001, 2, 3, 4, 5, 6, 123456789, time.UTC)
	mtime := time.Date(2011, 12, 13, 14, 15, 16, 987654321, time.UTC)
	if err := os.Chtimes(p, atime, mtime); err != nil {
		t.Fatal(err)
	}
	st := mustStat(t, p)
	if got := time.Unix(st.Mtim.Unix()); !got.Equal(mtime) {
		t.Errorf("mtime %v, want %v", got, mtime)
	}
	if got := time.Unix(st.Atim.Unix()); !got.Equal(atime) {
		t.Errorf("atime %v, want %v", got, atime)
	}
}

func testMkdirRmdir(t *testing.T, _ *testMount, dir string) {
	d := filepath.Join(dir, "d")
	if err := os.Mkdir(d, 0o750); err != nil {
		t.Fatal(err)
	}
	if st := mustStat(t, d); st.Mode&syscall.S_IFMT != syscall.S_IFDIR || st.Mode&0o777 != 0o750 {
		t.Fatalf("mkdir made mode %o", st.Mode)
	}
	if err := os.MkdirAll(filepath.Join(d, "a", "b", "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(d, "a")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Rmdir(d); err != nil {
		t.Fatal(err)
	}
	_, err := os.Lstat(d)
	wantErrno(t, "stat after rmdir", err, syscall.ENOENT)
}

func testUnlink(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	mustWrite(t, p, []byte("x"))
	if err := syscall.Unlink(p); err != nil {
		t.Fatal(err)
	}
	_, err := os.Lstat(p)
	wantErrno(t, "stat after unlink", err, syscall.ENOENT)
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("readdir after unlink: %v, %v", entries, err)
	}
}

func testRenameOverExisting(t *testing.T, _ *testMount, dir string) {
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	mustWrite(t, a, []byte("AAA"))
	mustWrite(t, b, []byte("B"))
	if err := os.Rename(a, b); err != nil {
		t.Fatal(err)
	}
	mustRead(t, b, []byte("AAA"))
	_, err := os.Lstat(a)
	wantErrno(t, "old name", err, syscall.ENOENT)
}

func testRenameAcrossDirs(t *testing.T, _ *testMount, dir string) {
	d1, d2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
	for _, d := range []string{d1, d2} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(d1, "f"), []byte("moving"))
	if err := os.Rename(filepath.Join(d1, "f"), filepath.Join(d2, "g")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, filepath.Join(d2, "g"), []byte("moving"))
	_, err := os.Lstat(filepath.Join(d1, "f"))
	wantErrno(t, "old name", err, syscall.ENOENT)
}

func testRenameDir(t *testing.T, _ *testMount, dir string) {
	old, renamed := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	if err := os.MkdirAll(filepath.Join(old, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(old, "sub", "f"), []byte("deep"))
	if err := os.Rename(old, renamed); err != nil {
		t.Fatal(err)
	}
	mustRead(t, filepath.Join(renamed, "sub", "f"), []byte("deep"))
	_, err := os.Lstat(old)
	wantErrno(t, "old name", err, syscall.ENOENT)
}

func testRenameNoReplace(t *testing.T, _ *testMount, dir string) {
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	mustWrite(t, a, []byte("A"))
	mustWrite(t, b, []byte("B"))
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_NOREPLACE)
	wantErrno(t, "RENAME_NOREPLACE over a file", err, syscall.EEXIST)
	mustRead(t, a, []byte("A"))
	mustRead(t, b, []byte("B"))
	if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, c, unix.RENAME_NOREPLACE); err != nil {
		t.Fatal(err)
	}
	mustRead(t, c, []byte("A"))
}

func testRenameExchange(t *testing.T, _ *testMount, dir string) {
	a, d := filepath.Join(dir, "a"), filepath.Join(dir, "d")
	mustWrite(t, a, []byte("file"))
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(d, "inner"), []byte("in dir"))
	if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, d, unix.RENAME_EXCHANGE); err != nil {
		t.Fatal(err)
	}
	mustRead(t, d, []byte("file"))
	mustRead(t, filepath.Join(a, "inner"), []byte("in dir"))
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, filepath.Join(dir, "missing"), unix.RENAME_EXCHANGE)
	wantErrno(t, "RENAME_EXCHANGE with a missing name", err, syscall.ENOENT)
}

func testReaddirPaged(t *testing.T, _ *testMount, dir string) {
	// More than two store pages, names that sort differently as bytes
	// and as numbers, and a subdirectory.
	const n = 2*dirPageSize + 77
	want := []string{"sub"}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("f%d", i)
		if err := syscall.Mknod(filepath.Join(dir, name), syscall.S_IFREG|0o644, 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
		if e.IsDir() != (e.Name() == "sub") {
			t.Errorf("%s: IsDir %v", e.Name(), e.IsDir())
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("readdir returned %d names, want %d (first diff near %v)", len(got), len(want), firstDiff(got, want))
	}

	// rewinddir after a partial read starts over.
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Readdirnames(10); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	all, err := f.Readdirnames(-1)
	if err != nil || len(all) != len(want) {
		t.Fatalf("after rewind: %d names, %v; want %d", len(all), err, len(want))
	}
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("#%d %q != %q", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d, %d", len(a), len(b))
}

func testSymlink(t *testing.T, _ *testMount, dir string) {
	l := filepath.Join(dir, "link")
	target := "some/where/else"
	if err := os.Symlink(target, l); err != nil {
		t.Fatal(err)
	}
	got, err := os.Readlink(l)
	if err != nil || got != target {
		t.Fatalf("readlink = %q, %v", got, err)
	}
	if st := mustStat(t, l); st.Mode&syscall.S_IFMT != syscall.S_IFLNK {
		t.Fatalf("mode %o", st.Mode)
	}
	// A relative link resolves through the mount.
	mustWrite(t, filepath.Join(dir, "real"), []byte("via link"))
	if err := os.Symlink("real", filepath.Join(dir, "rel")); err != nil {
		t.Fatal(err)
	}
	mustRead(t, filepath.Join(dir, "rel"), []byte("via link"))
}

func testHardLinks(t *testing.T, _ *testMount, dir string) {
	f, g := filepath.Join(dir, "f"), filepath.Join(dir, "g")
	mustWrite(t, f, []byte("shared"))
	if err := os.Link(f, g); err != nil {
		t.Fatal(err)
	}
	sf, sg := mustStat(t, f), mustStat(t, g)
	if sf.Nlink != 2 || sg.Nlink != 2 || sf.Ino != sg.Ino {
		t.Fatalf("after link: nlink %d/%d ino %d/%d", sf.Nlink, sg.Nlink, sf.Ino, sg.Ino)
	}
	mustWrite(t, g, []byte("through g"))
	mustRead(t, f, []byte("through g"))
	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	if sg := mustStat(t, g); sg.Nlink != 1 {
		t.Fatalf("after unlink: nlink %d", sg.Nlink)
	}
	mustRead(t, g, []byte("through g"))
}

func testMknod(t *testing.T, _ *testMount, dir string) {
	tests := []struct {
		name string
		mode uint32
		dev  int
	}{
		{"fifo", syscall.S_IFIFO | 0o640, 0},
		{"socket", syscall.S_IFSOCK | 0o600, 0},
		{"chardev", syscall.S_IFCHR | 0o600, int(unix.Mkdev(1, 3))},
		{"blockdev", syscall.S_IFBLK | 0o600, int(unix.Mkdev(7, 0))},
		{"regular", syscall.S_IFREG | 0o644, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := syscall.Mknod(p, tc.mode, tc.dev); err != nil {
				t.Fatal(err)
			}
			st := mustStat(t, p)
			if st.Mode != tc.mode || st.Rdev != uint64(tc.dev) {
				t.Fatalf("mode %o rdev %x, want %o %x", st.Mode, st.Rdev, tc.mode, tc.dev)
			}
		})
	}
}

func testStatfs(t *testing.T, m *testMount, _ string) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(m.dir, &st); err != nil {
		t.Fatal(err)
	}
	const fuseSuperMagic = 0x65735546
	if st.Type != fuseSuperMagic || st.Bsize <= 0 || st.Blocks == 0 || st.Bfree > st.Blocks ||
		st.Bavail > st.Blocks || st.Namelen != maxNameLen {
		t.Fatalf("statfs: %+v", st)
	}
}

func testXattrs(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	mustWrite(t, p, nil)
	if err := syscall.Setxattr(p, "user.color", []byte("blue"), 0); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setxattr(p, "user.empty", nil, 0); err != nil {
		t.Fatal(err)
	}
	size, err := syscall.Getxattr(p, "user.color", nil)
	if err != nil || size != 4 {
		t.Fatalf("size probe: %d, %v", size, err)
	}
	buf := make([]byte, 64)
	n, err := syscall.Getxattr(p, "user.color", buf)
	if err != nil || string(buf[:n]) != "blue" {
		t.Fatalf("getxattr: %q, %v", buf[:n], err)
	}
	_, err = syscall.Getxattr(p, "user.color", make([]byte, 2))
	wantErrno(t, "getxattr into a small buffer", err, syscall.ERANGE)
	if n, err := syscall.Getxattr(p, "user.empty", buf); err != nil || n != 0 {
		t.Fatalf("empty value: %d, %v", n, err)
	}

	size, err = syscall.Listxattr(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	list := make([]byte, size)
	if n, err = syscall.Listxattr(p, list); err != nil {
		t.Fatal(err)
	}
	names := bytes.Split(bytes.TrimSuffix(list[:n], []byte{0}), []byte{0})
	if !containsName(names, "user.color") || !containsName(names, "user.empty") {
		t.Fatalf("listxattr: %q", list[:n])
	}
	if size > 1 {
		_, err = syscall.Listxattr(p, make([]byte, 1))
		wantErrno(t, "listxattr into a small buffer", err, syscall.ERANGE)
	}

	err = unix.Setxattr(p, "user.color", []byte("red"), unix.XATTR_CREATE)
	wantErrno(t, "XATTR_CREATE on an existing name", err, syscall.EEXIST)
	err = unix.Setxattr(p, "user.none", []byte("x"), unix.XATTR_REPLACE)
	wantErrno(t, "XATTR_REPLACE on a missing name", err, syscall.ENODATA)
	if err := unix.Setxattr(p, "user.color", []byte("green"), unix.XATTR_REPLACE); err != nil {
		t.Fatal(err)
	}
	n, _ = syscall.Getxattr(p, "user.color", buf)
	if string(buf[:n]) != "green" {
		t.Fatalf("after replace: %q", buf[:n])
	}

	if err := syscall.Removexattr(p, "user.color"); err != nil {
		t.Fatal(err)
	}
	_, err = syscall.Getxattr(p, "user.color", buf)
	wantErrno(t, "getxattr after remove", err, syscall.ENODATA)
	err = syscall.Removexattr(p, "user.color")
	wantErrno(t, "removexattr of a missing name", err, syscall.ENODATA)

	// Directories carry attributes too.
	if err := syscall.Setxattr(dir, "user.dir", []byte("yes"), 0); err != nil {
		t.Fatal(err)
	}
}

func containsName(names [][]byte, want string) bool {
	for _, n := range names {
		if string(n) == want {
			return true
		}
	}
	return false
}

func testFsync(t *testing.T, _ *testMount, dir string) {
	f, err := os.Create(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("durable")); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("fsync: %v", err)
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		t.Fatalf("fdatasync: %v", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatalf("fsync of a directory: %v", err)
	}
}

// relKey is the S3 key of a path under the test bucket.
func (m *testMount) relKey(t *testing.T, path string) string {
	t.Helper()
	k, err := filepath.Rel(m.root, path)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(k)
}

func testCloseCommits(t *testing.T, m *testMount, dir string) {
	p := filepath.Join(dir, "f")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("visible at close")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := m.store.HeadObject(s3ctx(), testBucket, m.relKey(t, p))
	if err != nil || info.Size != 16 {
		t.Fatalf("HeadObject after close: %+v, %v", info, err)
	}
}

func testInoIsStores(t *testing.T, m *testMount, dir string) {
	p := filepath.Join(dir, "f")
	mustWrite(t, p, []byte("x"))
	info, err := m.store.HeadObject(s3ctx(), testBucket, m.relKey(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if st := mustStat(t, p); st.Ino != uint64(info.Ino) {
		t.Fatalf("st_ino %d, store ino %d", st.Ino, info.Ino)
	}
}

func testOpenUnlinked(t *testing.T, _ *testMount, dir string) {
	p := filepath.Join(dir, "f")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("def"), 3); err != nil {
		t.Fatalf("write after unlink: %v", err)
	}
	buf := make([]byte, 6)
	if n, err := f.ReadAt(buf, 0); n != 6 || string(buf) != "abcdef" {
		t.Fatalf("read after unlink: %q, %v", buf[:n], err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close after unlink: %v", err)
	}
	if _, err := os.Lstat(p); errnoOf(err) != syscall.ENOENT {
		t.Fatalf("closing an unlinked file brought it back: %v", err)
	}
}

// asCaller runs fn on a thread whose file-system identity is uid:gid, which
// is what the kernel reports as the FUSE caller.
func asCaller(t *testing.T, m *testMount, uid, gid int, fn func()) {
	t.Helper()
	// t.TempDir's parent is 0700: let the caller walk to the mount.
	if err := os.Chmod(filepath.Dir(m.dir), 0o711); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// The thread is not unlocked: if restoring fails it must die
		// with the goroutine rather than serve others as uid.
		syscall.Setfsgid(gid)
		syscall.Setfsuid(uid)
		defer func() {
			syscall.Setfsuid(0)
			syscall.Setfsgid(0)
		}()
		fn()
	}()
	<-done
}

func testCallerIdentity(t *testing.T, m *testMount, dir string) {
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	var errs []error
	asCaller(t, m, 4321, 8765, func() {
		errs = append(errs,
			os.WriteFile(filepath.Join(dir, "file"), []byte("mine"), 0o644),
			os.Mkdir(filepath.Join(dir, "dir"), 0o755),
			os.Symlink("file", filepath.Join(dir, "link")),
			syscall.Mknod(filepath.Join(dir, "fifo"), syscall.S_IFIFO|0o644, 0),
		)
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"file", "dir", "link", "fifo"} {
		if st := mustStat(t, filepath.Join(dir, name)); st.Uid != 4321 || st.Gid != 8765 {
			t.Errorf("%s owned by %d:%d, want 4321:8765", name, st.Uid, st.Gid)
		}
	}
}

func testSetgidDir(t *testing.T, m *testMount, dir string) {
	shared := filepath.Join(dir, "shared")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(shared, 0, 777); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Chmod(shared, 0o2777); err != nil {
		t.Fatal(err)
	}
	var errs []error
	asCaller(t, m, 1000, 1000, func() {
		errs = append(errs,
			os.WriteFile(filepath.Join(shared, "file"), nil, 0o644),
			os.Mkdir(filepath.Join(shared, "sub"), 0o755),
		)
	})
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := mustStat(t, filepath.Join(shared, "file")); st.Gid != 777 || st.Uid != 1000 {
		t.Errorf("file in setgid dir owned by %d:%d, want 1000:777", st.Uid, st.Gid)
	}
	st := mustStat(t, filepath.Join(shared, "sub"))
	if st.Gid != 777 || st.Mode&syscall.S_ISGID == 0 {
		t.Errorf("dir in setgid dir: gid %d mode %o, want gid 777 and setgid", st.Gid, st.Mode)
	}
}
