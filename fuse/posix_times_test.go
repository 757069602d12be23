package fuse

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stamps are a file's three times.
type stamps struct{ a, m, c time.Time }

func kernelStamps(t *testing.T, path string) stamps {
	t.Helper()
	st := mustStat(t, path)
	return stamps{time.Unix(st.Atim.Unix()), time.Unix(st.Mtim.Unix()), time.Unix(st.Ctim.Unix())}
}

func storeStamps(t *testing.T, m *testMount, path string) stamps {
	t.Helper()
	a := storeAttr(t, m, path)
	return stamps{a.Atime, a.Mtime, a.Ctime}
}

// timeWant is which times of a file an operation must change: the file
// known as before before the operation and as after after it ("" means
// the same path); changed lists the letters a, m, c that must move
// forward, the others must stay.
type timeWant struct {
	before, after string
	changed       string
}

// timeCase is one operation under the POSIX timestamp rules.
type timeCase struct {
	name  string
	setup func(t *testing.T, d string)
	op    func(d string) error
	want  []timeWant
}

// TestTimestamps checks, for each call, which of atime, mtime and ctime it
// changes on each file involved, as POSIX and Linux define them, both as
// the kernel reports them and as the store holds them (what S3 and NFS
// see).
func TestTimestamps(t *testing.T) {
	m := mountTesting(t, Options{})
	j := filepath.Join
	file := func(name, content string) func(*testing.T, string) {
		return func(t *testing.T, d string) { mustWrite(t, j(d, name), []byte(content)) }
	}
	both := func(fns ...func(*testing.T, string)) func(*testing.T, string) {
		return func(t *testing.T, d string) {
			for _, fn := range fns {
				fn(t, d)
			}
		}
	}
	subdir := func(name string) func(*testing.T, string) {
		return func(t *testing.T, d string) {
			if err := os.Mkdir(j(d, name), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(t *testing.T, d string) {
		if _, err := os.ReadFile(j(d, "f")); err != nil {
			t.Fatal(err)
		}
	}
	nop := func(*testing.T, string) {}
	cases := []timeCase{
		{"create", nop, func(d string) error { return os.WriteFile(j(d, "f"), nil, 0o644) },
			[]timeWant{{".", "", "mc"}}},
		{"mkdir", nop, func(d string) error { return os.Mkdir(j(d, "s"), 0o755) },
			[]timeWant{{".", "", "mc"}}},
		{"rmdir", subdir("s"), func(d string) error { return syscall.Rmdir(j(d, "s")) },
			[]timeWant{{".", "", "mc"}}},
		{"symlink", nop, func(d string) error { return os.Symlink("target", j(d, "l")) },
			[]timeWant{{".", "", "mc"}}},
		{"mknod", nop, func(d string) error { return syscall.Mknod(j(d, "p"), syscall.S_IFIFO|0o644, 0) },
			[]timeWant{{".", "", "mc"}}},
		{"write", file("f", "old"), func(d string) error { return writeAt(j(d, "f"), "new", 1) },
			[]timeWant{{"f", "", "mc"}, {".", "", ""}}},
		{"write past the end", file("f", "old"), func(d string) error { return writeAt(j(d, "f"), "new", 10) },
			[]timeWant{{"f", "", "mc"}}},
		{"chmod", file("f", "x"), func(d string) error { return syscall.Chmod(j(d, "f"), 0o600) },
			[]timeWant{{"f", "", "c"}}},
		{"chown", file("f", "x"), func(d string) error { return os.Chown(j(d, "f"), 7, 8) },
			[]timeWant{{"f", "", "c"}}},
		{"truncate down", file("f", "abcdef"), func(d string) error { return os.Truncate(j(d, "f"), 2) },
			[]timeWant{{"f", "", "mc"}}},
		{"truncate up", file("f", "abcdef"), func(d string) error { return os.Truncate(j(d, "f"), 100) },
			[]timeWant{{"f", "", "mc"}}},
		{"truncate to the same size", file("f", "abcdef"), func(d string) error { return os.Truncate(j(d, "f"), 6) },
			[]timeWant{{"f", "", "mc"}}},
		{"open O_TRUNC", file("f", "abcdef"), func(d string) error {
			f, err := os.OpenFile(j(d, "f"), os.O_WRONLY|os.O_TRUNC, 0)
			if err == nil {
				err = f.Close()
			}
			return err
		}, []timeWant{{"f", "", "mc"}}},
		{"utimensat now", file("f", "x"), func(d string) error { return utimes(j(d, "f"), unix.UTIME_NOW, unix.UTIME_NOW) },
			[]timeWant{{"f", "", "amc"}}},
		{"utimensat omit atime", file("f", "x"), func(d string) error { return utimes(j(d, "f"), unix.UTIME_OMIT, unix.UTIME_NOW) },
			[]timeWant{{"f", "", "mc"}}},
		{"utimensat omit mtime", file("f", "x"), func(d string) error { return utimes(j(d, "f"), unix.UTIME_NOW, unix.UTIME_OMIT) },
			[]timeWant{{"f", "", "ac"}}},
		{"utimensat omit both", file("f", "x"), func(d string) error { return utimes(j(d, "f"), unix.UTIME_OMIT, unix.UTIME_OMIT) },
			[]timeWant{{"f", "", ""}}},
		{"link", both(file("f", "x"), subdir("s")), func(d string) error { return os.Link(j(d, "f"), j(d, "s", "l")) },
			[]timeWant{{"f", "", "c"}, {"s", "", "mc"}}},
		{"unlink one of two names", both(file("f", "x"), func(t *testing.T, d string) {
			if err := os.Link(j(d, "f"), j(d, "l")); err != nil {
				t.Fatal(err)
			}
		}), func(d string) error { return syscall.Unlink(j(d, "l")) },
			[]timeWant{{"f", "", "c"}, {".", "", "mc"}}},
		{"rename in a directory", file("f", "x"), func(d string) error { return os.Rename(j(d, "f"), j(d, "g")) },
			[]timeWant{{"f", "g", "c"}, {".", "", "mc"}}},
		{"rename across directories", both(file("f", "x"), subdir("s")), func(d string) error { return os.Rename(j(d, "f"), j(d, "s", "f")) },
			[]timeWant{{"f", "s/f", "c"}, {".", "", "mc"}, {"s", "", "mc"}}},
		{"rename over a file", both(file("f", "x"), file("g", "y")), func(d string) error { return os.Rename(j(d, "f"), j(d, "g")) },
			[]timeWant{{"f", "g", "c"}, {".", "", "mc"}}},
		{"setxattr", file("f", "x"), func(d string) error { return syscall.Setxattr(j(d, "f"), "user.k", []byte("v"), 0) },
			[]timeWant{{"f", "", "c"}}},
		{"removexattr", both(file("f", "x"), func(t *testing.T, d string) {
			if err := syscall.Setxattr(j(d, "f"), "user.k", []byte("v"), 0); err != nil {
				t.Fatal(err)
			}
		}), func(d string) error { return syscall.Removexattr(j(d, "f"), "user.k") },
			[]timeWant{{"f", "", "c"}}},
		{"fallocate extending", file("f", "x"), func(d string) error { return fallocate(j(d, "f"), 0, 0, 1<<20) },
			[]timeWant{{"f", "", "mc"}}},
		{"punch hole", file("f", strings.Repeat("x", 8192)), func(d string) error {
			return fallocate(j(d, "f"), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, 4096)
		}, []timeWant{{"f", "", "mc"}}},
		// Access times follow relatime: a read after a change is recorded,
		// a second one is not.
		{"first read after a write", file("f", "x"), func(d string) error { _, err := os.ReadFile(j(d, "f")); return err },
			[]timeWant{{"f", "", "a"}}},
		{"second read", both(file("f", "x"), read), func(d string) error { _, err := os.ReadFile(j(d, "f")); return err },
			[]timeWant{{"f", "", ""}}},
		{"readdir", file("f", "x"), func(d string) error { _, err := os.ReadDir(d); return err },
			[]timeWant{{".", "", "a"}}},
		{"open and close without reading", file("f", "x"), func(d string) error {
			f, err := os.Open(j(d, "f"))
			if err == nil {
				err = f.Close()
			}
			return err
		}, []timeWant{{"f", "", ""}}},
	}
	base := m.path("times")
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := j(base, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, d)
			m.srv.flushAtimes()
			// Let the clocks (the kernel's is coarse) move past the setup.
			time.Sleep(20 * time.Millisecond)
			kBefore := make([]stamps, len(tc.want))
			sBefore := make([]stamps, len(tc.want))
			for i, w := range tc.want {
				kBefore[i] = kernelStamps(t, j(d, w.before))
				sBefore[i] = storeStamps(t, m, j(d, w.before))
			}
			time.Sleep(20 * time.Millisecond)
			if err := tc.op(d); err != nil {
				t.Fatal(err)
			}
			// Accesses reach the store within a second; now, here.
			m.srv.flushAtimes()
			for i, w := range tc.want {
				p := w.after
				if p == "" {
					p = w.before
				}
				checkStamps(t, "kernel: "+p, kBefore[i], kernelStamps(t, j(d, p)), w.changed)
				checkStamps(t, "store: "+p, sBefore[i], storeStamps(t, m, j(d, p)), w.changed)
			}
		})
	}
}

func checkStamps(t *testing.T, what string, before, after stamps, changed string) {
	t.Helper()
	for _, x := range []struct {
		letter  string
		was, is time.Time
	}{{"a", before.a, after.a}, {"m", before.m, after.m}, {"c", before.c, after.c}} {
		want := strings.Contains(changed, x.letter)
		switch {
		case want && !x.is.After(x.was):
			t.Errorf("%s: %stime %v did not move forward from %v", what, x.letter, x.is, x.was)
		case !want && !x.is.Equal(x.was):
			t.Errorf("%s: %stime changed from %v to %v", what, x.letter, x.was, x.is)
		}
	}
}

func writeAt(path, data string, off int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(data), off); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func utimes(path string, atimeNsec, mtimeNsec int64) error {
	return unix.UtimesNanoAt(unix.AT_FDCWD, path,
		[]unix.Timespec{{Nsec: atimeNsec}, {Nsec: mtimeNsec}}, unix.AT_SYMLINK_NOFOLLOW)
}

func fallocate(path string, mode uint32, off, n int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Fallocate(int(f.Fd()), mode, off, n)
}

// TestTimestampPrecision checks that times keep their nanoseconds both
// ways: set by utimensat, and made by the store (not rounded to seconds or
// microseconds on the way through the kernel).
func TestTimestampPrecision(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("f")
	mustWrite(t, p, []byte("x"))
	atime := time.Unix(1_234_567_890, 123_456_789)
	mtime := time.Unix(1_987_654_321, 987_654_321)
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, 0); err != nil {
		t.Fatal(err)
	}
	k := kernelStamps(t, p)
	if !k.a.Equal(atime) || !k.m.Equal(mtime) {
		t.Errorf("kernel: atime %v mtime %v, want %v and %v", k.a, k.m, atime, mtime)
	}
	s := storeStamps(t, m, p)
	if !s.a.Equal(atime) || !s.m.Equal(mtime) {
		t.Errorf("store: atime %v mtime %v, want %v and %v", s.a, s.m, atime, mtime)
	}
	// Times the store makes have nanoseconds: of ten files, not all
	// can have a whole number of microseconds by chance.
	sub := 0
	for i := 0; i < 10; i++ {
		q := m.path("n" + string(rune('0'+i)))
		mustWrite(t, q, nil)
		if mustStat(t, q).Mtim.Nsec%1000 != 0 {
			sub++
		}
	}
	if sub == 0 {
		t.Error("no created file has sub-microsecond mtime: precision is lost")
	}
	// A pre-1970 time survives too (tar archives carry them).
	old := time.Unix(-86400*365, 5)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if got := kernelStamps(t, p).m; !got.Equal(old) {
		t.Errorf("mtime before 1970: got %v, want %v", got, old)
	}
}

// TestTimestampRange: utimensat with a time the store cannot hold (int64
// nanoseconds reach from 1677 to 2262) fails with EINVAL and leaves the
// times alone, rather than storing another time; times inside the range
// near its ends are kept exactly.
func TestTimestampRange(t *testing.T) {
	m := mountTesting(t, Options{AttrTimeout: time.Nanosecond})
	p := m.path("f")
	mustWrite(t, p, []byte("x"))
	tests := []struct {
		name string
		ts   unix.Timespec
		ok   bool
	}{
		{"1678", unix.Timespec{Sec: -9_214_646_400}, true},
		{"2261", unix.Timespec{Sec: 9_183_110_400, Nsec: 999_999_999}, true},
		{"1600", unix.Timespec{Sec: -11_676_096_000}, false},
		{"2500", unix.Timespec{Sec: 16_725_225_600}, false},
		{"tv_sec max", unix.Timespec{Sec: math.MaxInt64}, false},
		{"tv_sec min", unix.Timespec{Sec: math.MinInt64}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := kernelStamps(t, p)
			err := unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{tc.ts, tc.ts}, 0)
			k := kernelStamps(t, p)
			want := time.Unix(tc.ts.Unix())
			switch {
			case tc.ok && err != nil:
				t.Fatalf("utimensat %v: %v", want, err)
			case tc.ok && (!k.a.Equal(want) || !k.m.Equal(want)):
				t.Errorf("set to %v: atime %v mtime %v", want, k.a, k.m)
			case !tc.ok && err != syscall.EINVAL:
				t.Errorf("utimensat to tv_sec %d: %v, want EINVAL (times now %v %v)", tc.ts.Sec, err, k.a, k.m)
			case !tc.ok && (!k.a.Equal(before.a) || !k.m.Equal(before.m)):
				t.Errorf("refused utimensat changed times: %v %v, were %v %v", k.a, k.m, before.a, before.m)
			}
		})
	}
}
