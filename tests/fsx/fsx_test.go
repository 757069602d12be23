package fsx

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/fuse"
	"github.com/shallot-storage/shallot/objstore"
)

// Replaying: go test ./tests/fsx -run 'TestFSX$' -fsx.seed=N [-fsx.ops=M]
// (or FSX_SEED / FSX_OPS in the environment) runs seed N alone, on each
// store layout. -fsx.dir=D (FSX_DIR) runs against directory D, e.g. a
// daemon's mount, instead of an in-process one.
var (
	flagSeed = flag.Uint64("fsx.seed", envUint("FSX_SEED"), "run only this seed (0: the default seeds)")
	flagOps  = flag.Int("fsx.ops", int(envUint("FSX_OPS")), "operations per seed (0: default)")
	flagDir  = flag.String("fsx.dir", os.Getenv("FSX_DIR"), "exercise this directory instead of an in-process mount")
)

func envUint(name string) uint64 {
	v, _ := strconv.ParseUint(os.Getenv(name), 10, 64)
	return v
}

// defaultSeeds run in `make test`; each is a few thousand operations.
var defaultSeeds = []uint64{1, 2, 3, 4}

const defaultOps = 5000

// layouts are the store shapes the exerciser runs on: the daemon's
// defaults, and one shrunk so that a 1 MiB file crosses inline storage,
// several blobs, background puts and automatic commits many times per run.
var layouts = []struct {
	name string
	opts objstore.Options
}{
	{"default", objstore.Options{}},
	{"small-blobs", objstore.Options{InlineMax: 4 << 10, BlobSize: 64 << 10, DirtyMax: 192 << 10}},
}

func seeds() []uint64 {
	if *flagSeed != 0 {
		return []uint64{*flagSeed}
	}
	return defaultSeeds
}

func ops() int {
	if *flagOps > 0 {
		return *flagOps
	}
	return defaultOps
}

// TestFSX runs the exerciser through a FUSE mount of a real in-memory
// store, for each layout and seed. Every operation must be supported.
func TestFSX(t *testing.T) {
	if os.Getenv("FSX_CHILD") != "" {
		t.Skip("in the child, only TestFSXChild runs")
	}
	if *flagDir != "" {
		for _, seed := range seeds() {
			t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
				runSeed(t, *flagDir, seed, false)
			})
		}
		return
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			dir := mount(t, l.opts)
			for _, seed := range seeds() {
				t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
					runChild(t, dir, seed)
				})
			}
		})
	}
	if *flagSeed != 0 {
		return
	}
	// Two exercisers at once, on files of one store: what one does to
	// its file must never show in the other's.
	t.Run("parallel", func(t *testing.T) {
		dir := mount(t, layouts[1].opts)
		for _, seed := range []uint64{7, 8} {
			t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
				t.Parallel()
				runChild(t, dir, seed)
			})
		}
	})
}

// TestFSXReference runs one seed on the local disk, which checks the
// exerciser's model against a file system known to be right.
func TestFSXReference(t *testing.T) {
	if os.Getenv("FSX_CHILD") != "" {
		t.Skip("in the child, only TestFSXChild runs")
	}
	runSeed(t, t.TempDir(), 1, false)
}

// runSeed runs one seed in this process: right for a file system served
// by another process (the local disk, a daemon's mount).
func runSeed(t *testing.T, dir string, seed uint64, direct bool) {
	start := time.Now()
	stats, err := Run(Config{Dir: dir, Seed: seed, Ops: ops(), Direct: direct})
	var f *Failure
	if errors.As(err, &f) {
		t.Fatalf("%v", f)
	}
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range stats {
		if strings.HasSuffix(name, "-unsupported") && n > 0 {
			t.Errorf("%s: the file system refused the operation", name)
		}
	}
	t.Logf("seed %d: %d ops in %v: %v", seed, ops(), time.Since(start).Round(time.Millisecond), stats)
}

// runChild runs one seed in a child process (this test binary, running
// TestFSXChild) against a mount this process serves. The exerciser must
// not share a process with the server: munmap of a dirty shared mapping
// holds the process's mmap lock while it waits for the FUSE write-back,
// and the server's threads, page-faulting on fresh heap, would wait for
// that same lock.
func runChild(t *testing.T, dir string, seed uint64) {
	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFSXChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "FSX_CHILD=1", "FSX_DIR="+dir,
		fmt.Sprintf("FSX_SEED=%d", seed), fmt.Sprintf("FSX_OPS=%d", ops()), "FSX_DIRECT=1")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	watch(t, dir, func() {
		if err := cmd.Run(); err != nil {
			t.Errorf("seed %d: %v\n%s", seed, err, out.String())
		}
	})
	if !t.Failed() {
		t.Logf("seed %d: %v\n%s", seed, time.Since(start).Round(time.Millisecond), childLog(out.String()))
	}
}

// childLog keeps the child's result line.
func childLog(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, " ops in ") {
			return strings.TrimSpace(line)
		}
	}
	return out
}

// TestFSXChild is the exerciser half of runChild; it does nothing unless
// started by it.
func TestFSXChild(t *testing.T) {
	if os.Getenv("FSX_CHILD") == "" {
		t.Skip("runs only as the child of TestFSX")
	}
	runSeed(t, os.Getenv("FSX_DIR"), envUint("FSX_SEED"), os.Getenv("FSX_DIRECT") != "")
}

// mount mounts a fresh in-memory store and returns a directory in it (a
// bucket). It is unmounted when the test ends, lazily if still busy.
func mount(t *testing.T, opts objstore.Options) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("fsx on FUSE needs root (mount(2) without fusermount); run as root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("fsx on FUSE needs /dev/fuse: modprobe fuse (or run the container with --device /dev/fuse)")
	}
	store := objstore.NewTesting(t, opts)
	l := logrus.New()
	l.SetLevel(logrus.WarnLevel)
	dir := t.TempDir()
	srv, err := fuse.Mount(store, dir, fuse.Options{Log: l.WithField("component", "fsx")})
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Unmount(); err != nil {
			t.Errorf("Unmount: %v (detaching lazily)", err)
			if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
				t.Errorf("lazy unmount of %s: %v", dir, err)
			}
		}
	})
	bucket := dir + "/fsx"
	if err := os.Mkdir(bucket, 0o755); err != nil {
		t.Fatal(err)
	}
	return bucket
}

// hangAfter is how long a run may take before it is taken for a hang.
const hangAfter = 3 * time.Minute

// watch runs fn; if it hangs (a FUSE request that never gets an answer
// blocks the caller in the kernel, where no timeout reaches it), it logs
// every goroutine, the server's included, and aborts the FUSE connection
// of dir, so that the test fails with a diagnosis instead of hanging.
func watch(t *testing.T, dir string, fn func()) {
	t.Helper()
	// The device is taken now: a stat after the hang could hang too.
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
		return
	case <-time.After(hangAfter):
	}
	buf := make([]byte, 16<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Errorf("hung for %v; goroutines:\n%s", hangAfter, buf)
	if err := abortConnection(st.Dev); err != nil {
		t.Errorf("abort FUSE connection: %v", err)
	}
	<-done
}

// abortConnection aborts the FUSE connection serving dir, which fails
// every request in flight (the connection is numbered by the minor device
// number of the mount, in the fusectl file system).
func abortConnection(dev uint64) error {
	const ctl = "/sys/fs/fuse/connections"
	if _, err := os.Stat(ctl + "/."); err != nil || !hasEntries(ctl) {
		if err := syscall.Mount("none", ctl, "fusectl", 0, ""); err != nil {
			return fmt.Errorf("mount fusectl: %w", err)
		}
	}
	minor := (dev & 0xff) | ((dev >> 12) & 0xfff00)
	return os.WriteFile(fmt.Sprintf("%s/%d/abort", ctl, minor), []byte("1"), 0)
}

func hasEntries(dir string) bool {
	ents, _ := os.ReadDir(dir)
	return len(ents) > 0
}
