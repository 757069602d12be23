package fuse

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSparseBlocks checks that holes read as zeros and cost nothing in
// st_blocks once the file is closed, and that punching a hole gives the
// space back. (TestSparseBlocksWhileOpen asks the same of an open file.)
func TestSparseBlocks(t *testing.T) {
	// No attribute caching: st_blocks changes at close without the
	// kernel being told, since the change is the mount's own.
	m := mountTesting(t, Options{AttrTimeout: time.Nanosecond})
	p := m.path("sparse")
	writeSparse(t, p)
	checkSparse(t, p, "after close", sparseStored)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hole := make([]byte, 64<<10)
	if _, err := f.ReadAt(hole, 100<<20); err != nil || !bytes.Equal(hole, make([]byte, len(hole))) {
		t.Fatalf("hole does not read as zeros: %v", err)
	}
	if err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 64<<20, 128<<10); err != nil {
		t.Fatal(err)
	}
	checkSparse(t, p, "after punching a third", sparseStored*2/3)
}

// TestSparseBlocksWhileOpen: st_blocks of an open file with buffered
// writes must count the bytes written, not the size (holes included).
func TestSparseBlocksWhileOpen(t *testing.T) {
	m := mountTesting(t, Options{AttrTimeout: time.Nanosecond})
	f, err := os.Create(m.path("sparse"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("d"), 128<<10)
	for _, off := range []int64{0, 64 << 20, 192 << 20} {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if b := st.Blocks * 512; b < sparseStored || b > sparseStored*3/2 {
		t.Errorf("while open: st_blocks says %d bytes stored, want about %d", b, sparseStored)
	}
}

// sparseStored is what writeSparse stores: three runs of 128 KiB.
const sparseStored = 3 * 128 << 10

func writeSparse(t *testing.T, p string) *os.File {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("d"), 128<<10)
	for _, off := range []int64{0, 64 << 20, 192 << 20} {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f
}

// checkSparse wants p's st_blocks to count about stored bytes: rounding
// allowed, holes not.
func checkSparse(t *testing.T, p, when string, stored int64) {
	t.Helper()
	st := mustStat(t, p)
	if st.Size != 192<<20+128<<10 {
		t.Errorf("%s: size %d", when, st.Size)
	}
	if b := st.Blocks * 512; b < stored || b > stored+stored/2 {
		t.Errorf("%s: st_blocks says %d bytes stored, want about %d", when, b, stored)
	}
}

// TestAppendTwoWriters: O_APPEND writes through two descriptors and from
// two processes all land whole at the end, none over another.
func TestAppendTwoWriters(t *testing.T) {
	m := mountTesting(t, Options{AllowOther: true})
	p := m.path("log")
	mustWrite(t, p, nil)
	if err := os.Chmod(p, 0o666); err != nil {
		t.Fatal(err)
	}
	record := func(w, i int) string { return fmt.Sprintf("writer %d record %04d %s\n", w, i, strings.Repeat("x", 40)) }
	const perWriter = 300
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Go(func() {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			for i := 0; i < perWriter; i++ {
				if _, err := f.WriteString(record(w, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// A third writer in another process.
	var ops []string
	for i := 0; i < perWriter; i++ {
		ops = append(ops, op("append", p, record(2, i)))
	}
	wg.Go(func() {
		for _, r := range runAs(t, m, other, ops...) {
			if r.errno != 0 {
				t.Errorf("append in helper: %v", r.errno)
				return
			}
		}
	})
	wg.Wait()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if last := lines[len(lines)-1]; last == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) != 3*perWriter {
		t.Fatalf("%d records, want %d", len(lines), 3*perWriter)
	}
	next := make([]int, 3)
	for _, l := range lines {
		var w, i int
		if _, err := fmt.Sscanf(l, "writer %d record %d", &w, &i); err != nil || w < 0 || w > 2 || l != record(w, i) {
			t.Fatalf("mangled record %q", l)
		}
		if i != next[w] {
			t.Fatalf("writer %d: record %d after %d", w, i, next[w]-1)
		}
		next[w]++
	}
}

// TestSharedMmap writes through a shared writable mapping in another
// process (see proc_test.go for why not this one): read(2) here sees it at
// once, and the other doors see it after msync.
func TestSharedMmap(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("mapped")
	mustWrite(t, p, bytes.Repeat([]byte("."), 3*4096))
	res := runAs(t, m, root,
		op("mmapwrite", p, 4096, "through the mapping", "msync"),
		op("mmapwrite", p, 0, "first page"),
		op("mmapread", p, 4096, 19))
	for i, r := range res {
		if r.errno != 0 {
			t.Fatalf("helper op %d: %v", i, r.errno)
		}
	}
	if res[2].out != "through the mapping" {
		t.Errorf("read back through a new mapping: %q", res[2].out)
	}
	want := []byte(strings.Repeat(".", 3*4096))
	copy(want, "first page")
	copy(want[4096:], "through the mapping")
	mustRead(t, p, want)
	// msync made the first write visible to S3; munmap and close the
	// second (written back before the helper's close returned).
	if got := s3Read(t, m, "mapped"); !bytes.Equal(got, want) {
		t.Fatalf("S3 view after msync and close: %q...", clip(got))
	}
}

// TestFallocateModes checks each fallocate(2) mode through the mount.
func TestFallocateModes(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("f")
	mustWrite(t, p, bytes.Repeat([]byte("x"), 10000))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	size := func() int64 {
		var st syscall.Stat_t
		syscall.Fstat(fd, &st)
		return st.Size
	}
	if err := unix.Fallocate(fd, 0, 8000, 12000); err != nil || size() != 20000 {
		t.Fatalf("allocate past the end: size %d, %v; want 20000", size(), err)
	}
	if err := unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 0, 50000); err != nil || size() != 20000 {
		t.Fatalf("allocate keeping size: size %d, %v", size(), err)
	}
	if err := unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 100, 200); err != nil {
		t.Fatalf("punch hole: %v", err)
	}
	if err := unix.Fallocate(fd, unix.FALLOC_FL_ZERO_RANGE, 19990, 20); err != nil || size() != 20010 {
		t.Fatalf("zero range past the end: size %d, %v", size(), err)
	}
	wantErrno(t, "collapse range", unix.Fallocate(fd, unix.FALLOC_FL_COLLAPSE_RANGE, 0, 4096), syscall.EOPNOTSUPP)
	wantErrno(t, "insert range", unix.Fallocate(fd, unix.FALLOC_FL_INSERT_RANGE, 0, 4096), syscall.EOPNOTSUPP)
	want := bytes.Repeat([]byte("x"), 10000)
	want = append(want, make([]byte, 10010)...)
	clear(want[100:300])
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("content after fallocates differs (%d bytes, %v)", len(got), err)
	}
}

// TestCopyFileRange copies inside the mount in one call, short at the end
// of the source, and refuses nothing a local file system would take.
func TestCopyFileRange(t *testing.T) {
	m := mountTesting(t, Options{})
	src := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	mustWrite(t, m.path("src"), src)
	in, err := os.Open(m.path("src"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(m.path("dst"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	offIn, offOut := int64(100), int64(0)
	n, err := unix.CopyFileRange(int(in.Fd()), &offIn, int(out.Fd()), &offOut, len(src), 0)
	if err != nil || n != len(src)-100 {
		t.Fatalf("copy_file_range: %d, %v; want %d (short at the source's end)", n, err, len(src)-100)
	}
	if offIn != int64(len(src)) || offOut != int64(n) {
		t.Errorf("offsets after the copy: in %d out %d", offIn, offOut)
	}
	offIn = int64(len(src))
	if n, err := unix.CopyFileRange(int(in.Fd()), &offIn, int(out.Fd()), &offOut, 10, 0); err != nil || n != 0 {
		t.Errorf("copy from the end of the source: %d, %v; want 0", n, err)
	}
	mustRead(t, m.path("dst"), src[100:])

	// To a file outside the mount, Go's io.Copy falls back by itself.
	local, err := os.Create(filepath.Join(t.TempDir(), "local"))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	in.Seek(0, io.SeekStart)
	if n, err := io.Copy(local, in); err != nil || n != int64(len(src)) {
		t.Fatalf("copy out of the mount: %d, %v", n, err)
	}
}

// TestBeyond4GiB writes across the 4 GiB boundary and truncates there,
// where 32-bit offsets would wrap.
func TestBeyond4GiB(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("big")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	at := int64(4<<30 - 512<<10)
	if _, err := f.WriteAt(data, at); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(5 << 30); err != nil {
		t.Fatal(err)
	}
	if end, err := f.Seek(0, io.SeekEnd); err != nil || end != 5<<30 {
		t.Fatalf("SEEK_END: %d, %v", end, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	g, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got := make([]byte, len(data))
	if _, err := g.ReadAt(got, at); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("data across 4 GiB differs: %v", err)
	}
	if _, err := g.ReadAt(got[:16], 5<<30-16); err != nil || !bytes.Equal(got[:16], make([]byte, 16)) {
		t.Fatalf("tail of the extended file: %v", err)
	}
	// Shrinking below 4 GiB drops what was above.
	if err := os.Truncate(p, 4<<30-1); err != nil {
		t.Fatal(err)
	}
	if st := mustStat(t, p); st.Size != 4<<30-1 {
		t.Fatalf("size %d after truncating below 4 GiB", st.Size)
	}
	if err := os.Truncate(p, 4<<30+4096); err != nil {
		t.Fatal(err)
	}
	if _, err := g.ReadAt(got[:4096], 4<<30); err != nil || !bytes.Equal(got[:4096], make([]byte, 4096)) {
		t.Fatalf("stale data above 4 GiB after truncate down and up: %v", err)
	}
}

// TestSpecialFiles: a FIFO and a socket made in the mount work as such;
// device nodes keep their numbers; long symlink targets survive.
func TestSpecialFiles(t *testing.T) {
	m := mountTesting(t, Options{})
	t.Run("fifo", func(t *testing.T) {
		p := m.path("fifo")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			w, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err == nil {
				_, err = w.WriteString("through the pipe")
				w.Close()
			}
			done <- err
		}()
		r, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil || string(b) != "through the pipe" || <-done != nil {
			t.Fatalf("fifo carried %q, %v", b, err)
		}
	})
	t.Run("socket", func(t *testing.T) {
		p := m.path("sock")
		l, err := net.Listen("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				c.Write([]byte("hello"))
				c.Close()
			}
		}()
		if st := mustStat(t, p); st.Mode&syscall.S_IFMT != syscall.S_IFSOCK {
			t.Fatalf("bind made mode %o", st.Mode)
		}
		c, err := net.Dial("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(c)
		c.Close()
		if string(b) != "hello" {
			t.Fatalf("socket carried %q", b)
		}
	})
	t.Run("devices", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			mode uint32
			dev  uint64
		}{
			{"null", syscall.S_IFCHR | 0o644, unix.Mkdev(1, 3)},
			{"big numbers", syscall.S_IFBLK | 0o600, unix.Mkdev(259, 1<<19)},
		} {
			p := m.path(tc.name)
			if err := syscall.Mknod(p, tc.mode, int(tc.dev)); err != nil {
				t.Fatal(err)
			}
			if st := mustStat(t, p); st.Mode != tc.mode || st.Rdev != tc.dev {
				t.Errorf("%s: mode %o rdev %x, want %o %x", tc.name, st.Mode, st.Rdev, tc.mode, tc.dev)
			}
		}
	})
	t.Run("long symlink targets", func(t *testing.T) {
		for _, n := range []int{255, 1000, 4095} {
			target := strings.Repeat("d/", n/2) + strings.Repeat("x", n%2)
			if len(target) != n {
				target += "y"
			}
			p := m.path(fmt.Sprintf("link%d", n))
			if err := os.Symlink(target, p); err != nil {
				t.Fatalf("symlink of %d bytes: %v", n, err)
			}
			if got, err := os.Readlink(p); err != nil || got != target {
				t.Fatalf("readlink of %d bytes: %d bytes, %v", n, len(got), err)
			}
			if st := mustStat(t, p); st.Size != int64(n) {
				t.Errorf("symlink of %d bytes has size %d", n, st.Size)
			}
		}
		wantErrno(t, "symlink of 4096 bytes", os.Symlink(strings.Repeat("x", 4096), m.path("toolong")), syscall.ENAMETOOLONG)
		// A long target through several directories resolves.
		deep := filepath.Join(strings.Repeat("sub/", 100), "file")
		if err := os.MkdirAll(m.path(filepath.Dir(deep)), 0o755); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, m.path(deep), []byte("deep"))
		if err := os.Symlink(deep, m.path("deeplink")); err != nil {
			t.Fatal(err)
		}
		mustRead(t, m.path("deeplink"), []byte("deep"))
	})
}

// TestFileTooLarge: past the store's largest file, writes and truncates
// fail with EFBIG and change nothing.
func TestFileTooLarge(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("f")
	mustWrite(t, p, []byte("keep"))
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const huge = 1 << 50
	_, err = f.WriteAt([]byte("x"), huge)
	wantErrno(t, "write at 1 PiB", err, syscall.EFBIG)
	wantErrno(t, "truncate to 2 PiB", f.Truncate(2*huge), syscall.EFBIG)
	if st := mustStat(t, p); st.Size != 4 {
		t.Fatalf("size %d after refused growth", st.Size)
	}
	mustRead(t, p, []byte("keep"))
}

// TestSeekHoles: SEEK_DATA and SEEK_HOLE find the data of a sparse file,
// so that cp --sparse and tar --sparse copy it as sparse.
func TestSeekHoles(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("sparse")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := bytes.Repeat([]byte("d"), 1<<20)
	for _, off := range []int64{8 << 20, 32 << 20} {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	for _, tc := range []struct {
		name   string
		off    int64
		whence int
		want   int64
		errno  syscall.Errno
	}{
		{"data from 0", 0, unix.SEEK_DATA, 8 << 20, 0},
		{"hole from 0", 0, unix.SEEK_HOLE, 0, 0},
		{"hole from data", 8 << 20, unix.SEEK_HOLE, 9 << 20, 0},
		{"data from the middle hole", 9 << 20, unix.SEEK_DATA, 32 << 20, 0},
		{"hole in the tail", 33 << 20, unix.SEEK_HOLE, 33 << 20, 0},
		{"no data in the tail", 33 << 20, unix.SEEK_DATA, 0, syscall.ENXIO},
		{"past the end", 64 << 20, unix.SEEK_HOLE, 0, syscall.ENXIO},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := unix.Seek(fd, tc.off, tc.whence)
			if tc.errno != 0 {
				wantErrno(t, tc.name, err, tc.errno)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("lseek(%d, %d) = %d, %v; want %d", tc.off, tc.whence, got, err, tc.want)
			}
		})
	}
	// cp --sparse=always makes a sparse copy.
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "--sparse=always", p, cp).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(cp, &st); err != nil || st.Size != 64<<20 || st.Blocks*512 > 4<<20 {
		t.Errorf("sparse copy: size %d, %d bytes stored, %v", st.Size, st.Blocks*512, err)
	}
}

// TestTruncateExtendNoStaleData: bytes cut off by a truncate must never
// come back when the file grows again, whether they were committed,
// buffered, in blobs being written, or cached in the kernel's pages; the
// classic failure of FUSE file systems.
func TestTruncateExtendNoStaleData(t *testing.T) {
	m := mountTesting(t, Options{})
	for _, tc := range []struct {
		name     string
		size     int    // written first
		commit   bool   // close and reopen before truncating
		cut      int64  // truncate down to
		grow     string // "truncate" or "write"
		growTo   int64  // new size
		checkMap bool   // also read the gap through a mapping
	}{
		{"committed inline, truncate up", 1000, true, 10, "truncate", 2000, true},
		{"buffered inline, write past the end", 1000, false, 10, "write", 2000, false},
		{"committed blobs, mid-page cut, truncate up", 3<<20 + 5, true, 4096 + 100, "truncate", 3 << 20, true},
		{"buffered with blobs in flight, write past the end", 12 << 20, false, 1 << 20, "write", 11 << 20, false},
		{"committed, cut to zero, truncate up", 100 << 10, true, 0, "truncate", 200 << 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := m.path(strings.ReplaceAll(tc.name, " ", "_"))
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { f.Close() }()
			if _, err := f.Write(bytes.Repeat([]byte("S"), tc.size)); err != nil {
				t.Fatal(err)
			}
			if tc.commit {
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				if f, err = os.OpenFile(p, os.O_RDWR, 0); err != nil {
					t.Fatal(err)
				}
				// Fill the kernel's page cache with the old bytes.
				if _, err := io.ReadAll(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.Truncate(tc.cut); err != nil {
				t.Fatal(err)
			}
			if tc.grow == "truncate" {
				err = f.Truncate(tc.growTo)
			} else {
				_, err = f.WriteAt([]byte("E"), tc.growTo-1)
			}
			if err != nil {
				t.Fatal(err)
			}
			want := append(bytes.Repeat([]byte("S"), int(tc.cut)), make([]byte, int(tc.growTo-tc.cut))...)
			if tc.grow == "write" {
				want[len(want)-1] = 'E'
			}
			check := func(when string, got []byte) {
				t.Helper()
				if !bytes.Equal(got, want) {
					i := 0
					for i < len(got) && i < len(want) && got[i] == want[i] {
						i++
					}
					t.Fatalf("%s: %d bytes, first difference at %d (want size %d)", when, len(got), i, len(want))
				}
			}
			got := make([]byte, len(want))
			if n, err := f.ReadAt(got, 0); n != len(want) && err != nil {
				t.Fatal(err)
			}
			check("through the open descriptor", got)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			check("after close", b)
			check("over S3", s3Read(t, m, filepath.Base(p)))
			if tc.checkMap {
				res := runAs(t, m, root, op("mmapread", p, 0, len(want)))
				if res[0].errno != 0 {
					t.Fatal(res[0].errno)
				}
				check("through a mapping", []byte(res[0].out))
			}
		})
	}
}
