package fuse

import (
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLocks checks flock(2), fcntl(2) record locks and open file
// description locks between processes and descriptors on the mount. The
// kernel keeps them (the mount does not ask for FUSE lock requests), so
// they hold between every process of this machine, as on a local file
// system.
func TestLocks(t *testing.T) {
	m := mountTesting(t, Options{AllowOther: true})
	p := m.path("locked")
	mustWrite(t, p, []byte(strings.Repeat("x", 1000)))
	if err := os.Chmod(p, 0o666); err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T) *os.File {
		t.Helper()
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	fl := func(f *os.File, how int) error { return unix.Flock(int(f.Fd()), how|unix.LOCK_NB) }

	t.Run("flock between descriptors", func(t *testing.T) {
		a, b := open(t), open(t)
		if err := fl(a, unix.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		wantErrno(t, "second exclusive flock", fl(b, unix.LOCK_EX), syscall.EWOULDBLOCK)
		wantErrno(t, "shared flock under exclusive", fl(b, unix.LOCK_SH), syscall.EWOULDBLOCK)
		if err := fl(a, unix.LOCK_UN); err != nil {
			t.Fatal(err)
		}
		if err := fl(b, unix.LOCK_SH); err != nil {
			t.Fatalf("shared flock after unlock: %v", err)
		}
		if err := fl(a, unix.LOCK_SH); err != nil {
			t.Fatalf("two shared flocks: %v", err)
		}
	})

	t.Run("flock between processes", func(t *testing.T) {
		h, res := startHeld(t, m, other, op("openfd", "f", p, unix.O_RDWR), op("flock", "f", "ex"))
		if res[1].errno != 0 {
			t.Fatalf("helper flock: %v", res[1].errno)
		}
		a := open(t)
		wantErrno(t, "flock held by another process", fl(a, unix.LOCK_EX), syscall.EWOULDBLOCK)
		h.release()
		if err := unix.Flock(int(a.Fd()), unix.LOCK_EX); err != nil {
			t.Fatalf("flock after the holder exited: %v", err)
		}
		unix.Flock(int(a.Fd()), unix.LOCK_UN)
	})

	t.Run("fcntl record locks between processes", func(t *testing.T) {
		h, res := startHeld(t, m, other, op("openfd", "f", p, unix.O_RDWR),
			op("setlk", "f", "w", 0, 100), op("setlk", "f", "r", 200, 100), op("pid"))
		for i, r := range res {
			if r.errno != 0 {
				t.Fatalf("helper op %d: %v", i, r.errno)
			}
		}
		holder := res[3].out
		a := open(t)
		fd := a.Fd()
		lk := func(typ int16, start, n int64) *unix.Flock_t {
			return &unix.Flock_t{Type: typ, Whence: io.SeekStart, Start: start, Len: n}
		}
		// F_GETLK names the conflicting lock and its owner.
		q := lk(unix.F_WRLCK, 50, 10)
		if err := unix.FcntlFlock(fd, unix.F_GETLK, q); err != nil {
			t.Fatal(err)
		}
		if q.Type != unix.F_WRLCK || q.Start != 0 || q.Len != 100 || fmt.Sprint(q.Pid) != holder {
			t.Errorf("F_GETLK: %+v, want the write lock [0,100) of pid %s", q, holder)
		}
		wantErrno(t, "F_SETLK over a write lock", unix.FcntlFlock(fd, unix.F_SETLK, lk(unix.F_RDLCK, 50, 10)), syscall.EAGAIN)
		wantErrno(t, "write lock over a read lock", unix.FcntlFlock(fd, unix.F_SETLK, lk(unix.F_WRLCK, 250, 10)), syscall.EAGAIN)
		if err := unix.FcntlFlock(fd, unix.F_SETLK, lk(unix.F_RDLCK, 250, 10)); err != nil {
			t.Errorf("read lock beside a read lock: %v", err)
		}
		if err := unix.FcntlFlock(fd, unix.F_SETLK, lk(unix.F_WRLCK, 100, 100)); err != nil {
			t.Errorf("write lock on a free range: %v", err)
		}
		// F_SETLKW waits for the holder to go.
		got := make(chan error, 1)
		go func() { got <- unix.FcntlFlock(fd, unix.F_SETLKW, lk(unix.F_WRLCK, 0, 50)) }()
		select {
		case err := <-got:
			t.Fatalf("F_SETLKW did not wait: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		h.release()
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("F_SETLKW after the holder exited: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("F_SETLKW still waiting after the holder exited")
		}
		// Now another process sees this one's lock.
		res2 := runAs(t, m, other, op("openfd", "f", p, unix.O_RDWR), op("getlk", "f", "w", 0, 10), op("setlk", "f", "w", 0, 10))
		if !strings.HasPrefix(res2[1].out, fmt.Sprintf("%d 0 50 %d", unix.F_WRLCK, os.Getpid())) {
			t.Errorf("the other process's F_GETLK: %q, want our write lock [0,50)", res2[1].out)
		}
		if res2[2].errno != syscall.EAGAIN {
			t.Errorf("the other process's F_SETLK: %v, want EAGAIN", res2[2].errno)
		}
	})

	t.Run("open file description locks", func(t *testing.T) {
		a, b := open(t), open(t)
		ofd := func(f *os.File, typ int16) error {
			return unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &unix.Flock_t{Type: typ, Whence: io.SeekStart, Start: 500, Len: 10})
		}
		if err := ofd(a, unix.F_WRLCK); err != nil {
			t.Fatal(err)
		}
		wantErrno(t, "second OFD write lock", ofd(b, unix.F_WRLCK), syscall.EAGAIN)
		if err := ofd(a, unix.F_UNLCK); err != nil {
			t.Fatal(err)
		}
		if err := ofd(b, unix.F_WRLCK); err != nil {
			t.Fatalf("OFD lock after unlock: %v", err)
		}
	})
}
