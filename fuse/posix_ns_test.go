package fuse

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/shallot-storage/shallot/objstore"
)

func mustMkdir(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func wantNlink(t *testing.T, path string, want uint64) {
	t.Helper()
	if got := mustStat(t, path).Nlink; got != want {
		t.Errorf("%s: nlink %d, want %d", path, got, want)
	}
}

// TestLinkCounts checks st_nlink: a directory counts ".", its name and
// each subdirectory's ".."; a file counts its names.
func TestLinkCounts(t *testing.T) {
	m := mountTesting(t, Options{})
	j := filepath.Join
	d, e := m.path("d"), m.path("e")
	mustMkdir(t, d, e)
	wantNlink(t, d, 2)
	mustMkdir(t, j(d, "a"), j(d, "b"))
	mustWrite(t, j(d, "f"), nil)
	wantNlink(t, d, 4)
	wantNlink(t, j(d, "f"), 1)

	if err := os.Rename(j(d, "b"), j(e, "b")); err != nil {
		t.Fatal(err)
	}
	wantNlink(t, d, 3)
	wantNlink(t, e, 3)
	if err := syscall.Rmdir(j(d, "a")); err != nil {
		t.Fatal(err)
	}
	wantNlink(t, d, 2)

	// Hard links across directories share the inode and count.
	if err := os.Link(j(d, "f"), j(e, "g")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(j(e, "g"), j(e, "b", "h")); err != nil {
		t.Fatal(err)
	}
	wantNlink(t, j(d, "f"), 3)
	if mustStat(t, j(d, "f")).Ino != mustStat(t, j(e, "b", "h")).Ino {
		t.Error("hard links have different inode numbers")
	}
	mustWrite(t, j(e, "b", "h"), []byte("via h"))
	mustRead(t, j(d, "f"), []byte("via h"))
	if err := os.Remove(j(d, "f")); err != nil {
		t.Fatal(err)
	}
	wantNlink(t, j(e, "g"), 2)

	// RENAME_EXCHANGE of a directory and a file across parents moves a
	// subdirectory count from one parent to the other.
	mustMkdir(t, j(d, "sub"))
	mustWrite(t, j(e, "file"), nil)
	if err := unix.Renameat2(unix.AT_FDCWD, j(d, "sub"), unix.AT_FDCWD, j(e, "file"), unix.RENAME_EXCHANGE); err != nil {
		t.Fatal(err)
	}
	wantNlink(t, d, 2)
	wantNlink(t, e, 4)

	// The counts the store holds are the same (what NFS reports).
	for _, p := range []string{d, e, j(e, "g")} {
		if a := storeAttr(t, m, p); uint64(a.Nlink) != mustStat(t, p).Nlink {
			t.Errorf("%s: store nlink %d, kernel %d", p, a.Nlink, mustStat(t, p).Nlink)
		}
	}
}

// TestUnlinkOpenFile checks that an unlinked file stays readable and
// writable through every open descriptor, shows nlink 0, and is freed at
// the last close.
func TestUnlinkOpenFile(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("f")
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: stored in blobs
	mustWrite(t, p, big)
	ino := objstore.Ino(mustStat(t, p).Ino)
	f1, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f1.Fd()), &st); err != nil || st.Nlink != 0 {
		t.Errorf("fstat of the unlinked file: nlink %d, %v; want 0", st.Nlink, err)
	}
	if _, err := f1.WriteAt([]byte("XYZ"), 1<<20); err != nil {
		t.Fatalf("write after unlink: %v", err)
	}
	if err := f1.Sync(); err != nil {
		t.Fatalf("fsync after unlink: %v", err)
	}
	if err := f1.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := f2.ReadAt(buf, 1<<20); err != nil || string(buf) != "XYZ" {
		t.Fatalf("read through the other descriptor: %q, %v", buf, err)
	}
	if _, err := f2.ReadAt(buf, 16); err != nil || string(buf) != "012" {
		t.Fatalf("old data through the other descriptor: %q, %v", buf, err)
	}
	// Still there for the store while open...
	if _, err := m.store.GetAttr(s3ctx(), ino); err != nil {
		t.Fatalf("store dropped the inode while open: %v", err)
	}
	f2.Close()
	// ...freed after the last close (RELEASE comes after close returns).
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := m.store.GetAttr(s3ctx(), ino)
		if errors.Is(err, objstore.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("inode %d still exists after the last close: %v", ino, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := os.Lstat(p); errnoOf(err) != syscall.ENOENT {
		t.Fatalf("name came back: %v", err)
	}
}

// TestRenameCases covers the rename rules not in TestPOSIX.
func TestRenameCases(t *testing.T) {
	m := mountTesting(t, Options{})
	j := filepath.Join
	cases := []struct {
		name  string
		setup func(t *testing.T, d string)
		op    func(d string) error
		want  syscall.Errno
		check func(t *testing.T, d string)
	}{
		{"over an empty directory", func(t *testing.T, d string) {
			mustMkdir(t, j(d, "a"), j(d, "b"))
			mustWrite(t, j(d, "a", "x"), []byte("x"))
		},
			func(d string) error { return syscall.Rename(j(d, "a"), j(d, "b")) }, 0,
			func(t *testing.T, d string) { mustRead(t, j(d, "b", "x"), []byte("x")); wantNlink(t, d, 3) }},
		{"over a non-empty directory", func(t *testing.T, d string) { mustMkdir(t, j(d, "a"), j(d, "b")); mustWrite(t, j(d, "b", "x"), nil) },
			func(d string) error { return syscall.Rename(j(d, "a"), j(d, "b")) }, syscall.ENOTEMPTY, nil},
		{"into its own subdirectory", func(t *testing.T, d string) { mustMkdir(t, j(d, "a"), j(d, "a", "b")) },
			func(d string) error { return os.Rename(j(d, "a"), j(d, "a", "b", "c")) }, syscall.EINVAL, nil},
		{"a directory onto itself", func(t *testing.T, d string) { mustMkdir(t, j(d, "a")) },
			func(d string) error { return syscall.Rename(j(d, "a"), j(d, "a")) }, 0,
			func(t *testing.T, d string) { wantNlink(t, j(d, "a"), 2) }},
		{"one name of a file onto another", func(t *testing.T, d string) {
			mustWrite(t, j(d, "a"), []byte("x"))
			if err := os.Link(j(d, "a"), j(d, "b")); err != nil {
				t.Fatal(err)
			}
		}, func(d string) error { return syscall.Rename(j(d, "a"), j(d, "b")) }, 0,
			// POSIX: both names stay, nothing happens.
			func(t *testing.T, d string) { wantNlink(t, j(d, "a"), 2); wantNlink(t, j(d, "b"), 2) }},
		{"exchange two files across directories", func(t *testing.T, d string) {
			mustMkdir(t, j(d, "s"))
			mustWrite(t, j(d, "a"), []byte("A"))
			mustWrite(t, j(d, "s", "b"), []byte("B"))
		}, func(d string) error {
			return unix.Renameat2(unix.AT_FDCWD, j(d, "a"), unix.AT_FDCWD, j(d, "s", "b"), unix.RENAME_EXCHANGE)
		}, 0, func(t *testing.T, d string) {
			mustRead(t, j(d, "a"), []byte("B"))
			mustRead(t, j(d, "s", "b"), []byte("A"))
		}},
		{"exchange a directory into its own subtree", func(t *testing.T, d string) { mustMkdir(t, j(d, "a"), j(d, "a", "b")) },
			func(d string) error {
				return unix.Renameat2(unix.AT_FDCWD, j(d, "a"), unix.AT_FDCWD, j(d, "a", "b"), unix.RENAME_EXCHANGE)
			}, syscall.EINVAL, nil},
		{"noreplace onto a directory", func(t *testing.T, d string) { mustMkdir(t, j(d, "a"), j(d, "b")) },
			func(d string) error {
				return unix.Renameat2(unix.AT_FDCWD, j(d, "a"), unix.AT_FDCWD, j(d, "b"), unix.RENAME_NOREPLACE)
			}, syscall.EEXIST, nil},
		{"noreplace and exchange together", func(t *testing.T, d string) { mustWrite(t, j(d, "a"), nil); mustWrite(t, j(d, "b"), nil) },
			func(d string) error {
				return unix.Renameat2(unix.AT_FDCWD, j(d, "a"), unix.AT_FDCWD, j(d, "b"), unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE)
			}, syscall.EINVAL, nil},
		{"out of the mount", func(t *testing.T, d string) { mustWrite(t, j(d, "a"), nil) },
			func(d string) error { return os.Rename(j(d, "a"), j(os.TempDir(), "shallot-exdev")) }, syscall.EXDEV, nil},
		{"a missing name", nil, func(d string) error { return os.Rename(j(d, "none"), j(d, "b")) }, syscall.ENOENT, nil},
		{"over an open file", func(t *testing.T, d string) {
			mustWrite(t, j(d, "a"), []byte("new"))
			mustWrite(t, j(d, "b"), []byte("old"))
		},
			nil, 0, nil}, // checked below
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := m.path(strings.ReplaceAll(tc.name, " ", "_"))
			mustMkdir(t, d)
			if tc.setup != nil {
				tc.setup(t, d)
			}
			if tc.op == nil {
				renameOverOpen(t, d)
				return
			}
			wantErrno(t, "rename", tc.op(d), tc.want)
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

// renameOverOpen: a file replaced by rename stays whole for a descriptor
// opened before.
func renameOverOpen(t *testing.T, d string) {
	old, err := os.Open(filepath.Join(d, "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := os.Rename(filepath.Join(d, "a"), filepath.Join(d, "b")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := old.ReadAt(buf, 0); err != nil || string(buf) != "old" {
		t.Fatalf("replaced file through its descriptor: %q, %v", buf, err)
	}
	mustRead(t, filepath.Join(d, "b"), []byte("new"))
}

// TestRenameAtomic replaces a file by rename over and over while readers
// open it: every open must find a file, and every read a whole version.
func TestRenameAtomic(t *testing.T) {
	m := mountTesting(t, Options{})
	target := m.path("current")
	versions := [][]byte{bytes.Repeat([]byte("A"), 100<<10), bytes.Repeat([]byte("B"), 100<<10)}
	mustWrite(t, target, versions[0])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 2; r++ {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				b, err := os.ReadFile(target)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(b, versions[0]) && !bytes.Equal(b, versions[1]) {
					errs <- errors.New("read a mix of versions or a partial file")
					return
				}
			}
		})
	}
	var replaced []objstore.Ino
	for i := 0; i < 100; i++ {
		tmp := m.path("tmp")
		mustWrite(t, tmp, versions[i%2])
		replaced = append(replaced, objstore.Ino(mustStat(t, target).Ino))
		if err := os.Rename(tmp, target); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The replaced files are freed once the kernel forgets them.
	deadline := time.Now().Add(10 * time.Second)
	for _, ino := range replaced {
		for {
			_, err := m.store.GetAttr(s3ctx(), ino)
			if errors.Is(err, objstore.ErrNotExist) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replaced inode %d still exists: %v", ino, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestOpenFlags checks O_EXCL, O_TRUNC, O_NOFOLLOW, O_DIRECTORY and
// O_DIRECT as a local file system treats them.
func TestOpenFlags(t *testing.T) {
	m := mountTesting(t, Options{})
	j := filepath.Join
	dir := m.path()
	mustWrite(t, j(dir, "f"), []byte("content"))
	if err := os.Symlink("f", j(dir, "l")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", j(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop2", j(dir, "loop1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop1", j(dir, "loop2")); err != nil {
		t.Fatal(err)
	}
	open := func(name string, flags int) error {
		fd, err := unix.Open(j(dir, name), flags|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	const excl = unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY
	for _, tc := range []struct {
		name  string
		err   error
		errno syscall.Errno
	}{
		{"O_EXCL on a file", open("f", excl), syscall.EEXIST},
		{"O_EXCL on a symlink", open("l", excl), syscall.EEXIST},
		{"O_EXCL through a dangling symlink", open("dangling", excl), syscall.EEXIST},
		{"O_NOFOLLOW on a symlink", open("l", unix.O_RDONLY|unix.O_NOFOLLOW), syscall.ELOOP},
		{"a symlink loop", open("loop1", unix.O_RDONLY), syscall.ELOOP},
		{"O_DIRECTORY on a file", open("f", unix.O_RDONLY|unix.O_DIRECTORY), syscall.ENOTDIR},
		{"O_CREAT through a dangling symlink", open("dangling", unix.O_CREAT|unix.O_WRONLY), 0},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErrno(t, tc.name, tc.err, tc.errno) })
	}
	t.Run("O_CREAT through a dangling symlink made its target", func(t *testing.T) {
		mustRead(t, j(dir, "nowhere"), nil)
	})

	t.Run("O_EXCL race", func(t *testing.T) {
		// Of many creators racing for one name, exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := 0; i < 16; i++ {
			wg.Go(func() {
				if err := open("race", excl); err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				} else if errnoOf(err) != syscall.EEXIST {
					t.Errorf("loser got %v, want EEXIST", err)
				}
			})
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d creators won, want 1", won)
		}
	})

	t.Run("O_TRUNC seen through another descriptor", func(t *testing.T) {
		p := j(dir, "trunc")
		mustWrite(t, p, []byte("0123456789"))
		other, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		var st syscall.Stat_t
		if err := syscall.Fstat(int(other.Fd()), &st); err != nil || st.Size != 0 {
			t.Fatalf("size through the other descriptor %d, %v; want 0", st.Size, err)
		}
		if n, _ := other.ReadAt(make([]byte, 4), 0); n != 0 {
			t.Fatalf("read %d bytes of a truncated file", n)
		}
	})

	t.Run("O_DIRECT", func(t *testing.T) {
		p := j(dir, "direct")
		mustWrite(t, p, bytes.Repeat([]byte("c"), 8192))
		cached, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer cached.Close()
		buf := make([]byte, 8192)
		if _, err := cached.ReadAt(buf, 0); err != nil { // fills the page cache
			t.Fatal(err)
		}
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open O_DIRECT: %v", err)
		}
		defer unix.Close(fd)
		aligned := alignedBuf(4096)
		copy(aligned, bytes.Repeat([]byte("D"), 4096))
		if n, err := unix.Pwrite(fd, aligned, 4096); err != nil || n != 4096 {
			t.Fatalf("aligned O_DIRECT write: %d, %v", n, err)
		}
		// FUSE takes unaligned direct I/O too.
		if n, err := unix.Pwrite(fd, []byte("odd"), 3); err != nil || n != 3 {
			t.Fatalf("unaligned O_DIRECT write: %d, %v", n, err)
		}
		if _, err := cached.ReadAt(buf, 0); err != nil {
			t.Fatal(err)
		}
		want := append(append([]byte("cccoddcccc"[:3]), "odd"...), bytes.Repeat([]byte("c"), 4096-6)...)
		want = append(want, bytes.Repeat([]byte("D"), 4096)...)
		if !bytes.Equal(buf, want) {
			t.Fatalf("the cached descriptor did not see the direct writes: %q...", clip(buf))
		}
		got := alignedBuf(8192)
		if n, err := unix.Pread(fd, got, 0); err != nil || n != 8192 || !bytes.Equal(got, want) {
			t.Fatalf("O_DIRECT read: %d, %v", n, err)
		}
	})
}

// alignedBuf returns n bytes aligned to 4096.
func alignedBuf(n int) []byte {
	b := make([]byte, n+4096)
	off := 0
	for (uintptrOf(b[off:]) % 4096) != 0 {
		off++
	}
	return b[off : off+n]
}

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
