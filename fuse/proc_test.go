package fuse

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Some checks need a process of their own: one with other credentials
// (uid, gid and supplementary groups, as the kernel's permission checks see
// them), one holding fcntl locks (which belong to a process), or one that
// maps the file (munmap of a dirty shared mapping holds the process's mmap
// lock while the kernel waits for the write-back; a server in the same
// process, page-faulting on fresh heap, would wait for that lock too).
//
// The helper is this test binary, re-executed with SHALLOT_FUSE_HELPER set:
// it takes the identity described in the environment (as root it may),
// then runs the operations given as arguments, one line of output each:
// the errno number (0 for success) and the operation's result.

const helperEnv = "SHALLOT_FUSE_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// cred is an identity for a helper process.
type cred struct {
	uid, gid uint32
	groups   []uint32
}

func (c cred) env() string {
	g := make([]string, len(c.groups))
	for i, x := range c.groups {
		g[i] = strconv.Itoa(int(x))
	}
	return fmt.Sprintf("%d:%d:%s", c.uid, c.gid, strings.Join(g, ","))
}

// op builds one helper operation: a verb and its arguments.
func op(verb string, args ...any) string {
	parts := []string{verb}
	for _, a := range args {
		parts = append(parts, fmt.Sprint(a))
	}
	return strings.Join(parts, "\x1f")
}

// result is one operation's outcome in a helper.
type result struct {
	errno syscall.Errno
	out   string
}

// helperCmd prepares a helper running ops as c.
func helperCmd(t *testing.T, m *testMount, c cred, ops ...string) *exec.Cmd {
	t.Helper()
	if m != nil {
		// t.TempDir's parent is 0700: let the caller walk to the mount.
		if err := os.Chmod(filepath.Dir(m.dir), 0o711); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], ops...)
	// The race detector waits a second at exit unless told not to.
	cmd.Env = append(os.Environ(), helperEnv+"="+c.env(), "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	return cmd
}

// runAs runs ops in a helper as c and returns their results.
func runAs(t *testing.T, m *testMount, c cred, ops ...string) []result {
	t.Helper()
	cmd := helperCmd(t, m, c, ops...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %v: %v\n%s", ops, err, out)
	}
	res := parseResults(string(out))
	if len(res) != len(ops) {
		t.Fatalf("helper ran %d of %d operations:\n%s", len(res), len(ops), out)
	}
	return res
}

func parseResults(out string) []result {
	var res []result
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		num, rest, _ := strings.Cut(line, " ")
		n, _ := strconv.Atoi(num)
		res = append(res, result{errno: syscall.Errno(n), out: rest})
	}
	return res
}

// errnoAs runs one operation as c and returns its errno.
func errnoAs(t *testing.T, m *testMount, c cred, verb string, args ...any) syscall.Errno {
	t.Helper()
	return runAs(t, m, c, op(verb, args...))[0].errno
}

// heldHelper is a helper that stays alive after its operations (verb
// "hold"), e.g. to keep locks, until release.
type heldHelper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

// startHeld starts a helper and waits for the results of the operations
// before its "hold".
func startHeld(t *testing.T, m *testMount, c cred, ops ...string) (*heldHelper, []result) {
	t.Helper()
	cmd := helperCmd(t, m, c, append(ops, op("hold"))...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &heldHelper{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	t.Cleanup(func() { h.release() })
	var res []result
	for len(res) <= len(ops) && h.lines.Scan() {
		res = append(res, parseResults(h.lines.Text())...)
	}
	if len(res) != len(ops)+1 {
		t.Fatalf("held helper ran %d of %d operations", len(res), len(ops))
	}
	return h, res[:len(ops)]
}

// release lets the held helper exit (closing its descriptors, so dropping
// its locks) and waits for it.
func (h *heldHelper) release() {
	if h.stdin == nil {
		return
	}
	h.stdin.Close()
	h.stdin = nil
	h.cmd.Wait()
}

// helperMain is the helper process.
func helperMain(args []string) int {
	if err := becomeCaller(os.Getenv(helperEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	h := &helper{fds: map[string]int{}}
	for _, a := range args {
		parts := strings.Split(a, "\x1f")
		out, err := h.run(parts[0], parts[1:])
		var e syscall.Errno
		if err != nil && !errors.As(err, &e) {
			fmt.Fprintf(os.Stderr, "helper: %s: %v\n", parts[0], err)
			return 2
		}
		fmt.Printf("%d %s\n", int(e), out)
	}
	return 0
}

// becomeCaller takes the identity "uid:gid:g1,g2" for every thread.
func becomeCaller(spec string) error {
	f := strings.SplitN(spec, ":", 3)
	if len(f) != 3 {
		return fmt.Errorf("bad identity %q", spec)
	}
	uid, _ := strconv.Atoi(f[0])
	gid, _ := strconv.Atoi(f[1])
	groups := []int{}
	for _, g := range strings.Split(f[2], ",") {
		if g != "" {
			n, _ := strconv.Atoi(g)
			groups = append(groups, n)
		}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	return nil
}

// helper keeps descriptors that operations open for later ones.
type helper struct {
	fds map[string]int
}

func num(s string) int64 {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		panic(fmt.Sprintf("helper: bad number %q", s))
	}
	return n
}

// run performs one operation. Its error, if any, is an errno.
func (h *helper) run(verb string, a []string) (string, error) {
	switch verb {
	case "open": // path flags: open and close
		fd, err := unix.Open(a[0], int(num(a[1]))|unix.O_CLOEXEC, 0o644)
		if err == nil {
			unix.Close(fd)
		}
		return "", err
	case "openfd": // name path flags: open and keep as name
		fd, err := unix.Open(a[1], int(num(a[2]))|unix.O_CLOEXEC, 0o644)
		if err == nil {
			h.fds[a[0]] = fd
		}
		return "", err
	case "create": // path mode
		fd, err := unix.Open(a[0], unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_CLOEXEC, uint32(num(a[1])))
		if err == nil {
			unix.Close(fd)
		}
		return "", err
	case "createwrite": // path mode data: create, write and ftruncate through one descriptor
		fd, err := unix.Open(a[0], unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, uint32(num(a[1])))
		if err != nil {
			return "", err
		}
		defer unix.Close(fd)
		if _, err := unix.Write(fd, []byte(a[2])); err != nil {
			return "", err
		}
		return "", unix.Ftruncate(fd, int64(len(a[2])/2))
	case "read": // path: whole content
		b, err := os.ReadFile(a[0])
		return string(b), err
	case "write": // path data: write at 0 without truncating
		fd, err := unix.Open(a[0], unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", err
		}
		defer unix.Close(fd)
		_, err = unix.Pwrite(fd, []byte(a[1]), 0)
		return "", err
	case "append": // path data
		fd, err := unix.Open(a[0], unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0)
		if err != nil {
			return "", err
		}
		defer unix.Close(fd)
		_, err = unix.Write(fd, []byte(a[1]))
		return "", err
	case "truncate":
		return "", unix.Truncate(a[0], num(a[1]))
	case "mkdir":
		return "", unix.Mkdir(a[0], uint32(num(a[1])))
	case "rmdir":
		return "", unix.Rmdir(a[0])
	case "unlink":
		return "", unix.Unlink(a[0])
	case "rename":
		return "", unix.Rename(a[0], a[1])
	case "link":
		return "", unix.Link(a[0], a[1])
	case "symlink":
		return "", unix.Symlink(a[0], a[1])
	case "mknod":
		return "", unix.Mknod(a[0], uint32(num(a[1])), int(num(a[2])))
	case "chmod":
		return "", unix.Chmod(a[0], uint32(num(a[1])))
	case "chown":
		return "", unix.Lchown(a[0], int(num(a[1])), int(num(a[2])))
	case "utimes": // path atime mtime, each "now", "omit" or nanoseconds
		ts := make([]unix.Timespec, 2)
		for i, s := range a[1:3] {
			switch s {
			case "now":
				ts[i] = unix.Timespec{Nsec: unix.UTIME_NOW}
			case "omit":
				ts[i] = unix.Timespec{Nsec: unix.UTIME_OMIT}
			default:
				ts[i] = unix.NsecToTimespec(num(s))
			}
		}
		return "", unix.UtimesNanoAt(unix.AT_FDCWD, a[0], ts, unix.AT_SYMLINK_NOFOLLOW)
	case "setxattr":
		return "", unix.Lsetxattr(a[0], a[1], []byte(a[2]), 0)
	case "getxattr":
		buf := make([]byte, 4096)
		n, err := unix.Lgetxattr(a[0], a[1], buf)
		if err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	case "removexattr":
		return "", unix.Lremovexattr(a[0], a[1])
	case "readdir": // path: names, sorted by the file system
		f, err := os.Open(a[0])
		if err != nil {
			return "", err
		}
		defer f.Close()
		names, err := f.Readdirnames(-1)
		return strings.Join(names, ","), err
	case "stat": // path: mode uid gid
		var st unix.Stat_t
		if err := unix.Lstat(a[0], &st); err != nil {
			return "", err
		}
		return fmt.Sprintf("%o %d %d", st.Mode, st.Uid, st.Gid), nil
	case "exec": // path: run it and wait
		cmd := exec.Command(a[0])
		err := cmd.Run()
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", pe.Err
		}
		if err != nil {
			return "", unix.EIO
		}
		return "", nil
	case "flock": // name how: flock on a kept descriptor
		how := map[string]int{"sh": unix.LOCK_SH, "ex": unix.LOCK_EX, "un": unix.LOCK_UN}[a[1]]
		return "", unix.Flock(h.fds[a[0]], how|unix.LOCK_NB)
	case "setlk", "setlkw", "getlk": // name type start len (type r, w, u)
		lk := unix.Flock_t{Type: map[string]int16{"r": unix.F_RDLCK, "w": unix.F_WRLCK, "u": unix.F_UNLCK}[a[1]],
			Whence: io.SeekStart, Start: num(a[2]), Len: num(a[3])}
		cmd := map[string]int{"setlk": unix.F_SETLK, "setlkw": unix.F_SETLKW, "getlk": unix.F_GETLK}[verb]
		if err := unix.FcntlFlock(uintptr(h.fds[a[0]]), cmd, &lk); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d %d %d %d", lk.Type, lk.Start, lk.Len, lk.Pid), nil
	case "mmapwrite": // path off data [msync]: through a shared mapping
		return "", mmapDo(a[0], num(a[1]), len(a[2]), true, func(b []byte) error {
			copy(b, a[2])
			if len(a) > 3 && a[3] == "msync" {
				return unix.Msync(b, unix.MS_SYNC)
			}
			return nil
		})
	case "mmapread": // path off len
		var out string
		err := mmapDo(a[0], num(a[1]), int(num(a[2])), false, func(b []byte) error {
			out = string(b)
			return nil
		})
		return out, err
	case "pid":
		return strconv.Itoa(os.Getpid()), nil
	case "sleep":
		time.Sleep(time.Duration(num(a[0])) * time.Millisecond)
		return "", nil
	case "hold": // report, then wait for stdin to close
		fmt.Println("0 holding")
		io.Copy(io.Discard, os.Stdin)
		return "released", nil
	}
	return "", fmt.Errorf("unknown verb %q", verb)
}

// mmapDo maps [off, off+n) of path shared (off page-aligned) and runs fn
// on the mapping, then unmaps and closes.
func mmapDo(path string, off int64, n int, write bool, fn func([]byte) error) error {
	flags, prot := unix.O_RDONLY, unix.PROT_READ
	if write {
		flags, prot = unix.O_RDWR, unix.PROT_READ|unix.PROT_WRITE
	}
	fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	b, err := unix.Mmap(fd, off, n, prot, unix.MAP_SHARED)
	if err != nil {
		return err
	}
	if err := fn(b); err != nil {
		unix.Munmap(b)
		return err
	}
	return unix.Munmap(b)
}
