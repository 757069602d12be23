package fuse

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore"
)

// testBucket is the bucket every mount test works in.
const testBucket = "bkt"

// testMount is a real store mounted in a temporary directory.
type testMount struct {
	store *objstore.Store
	srv   *Server
	dir   string // the mount point
	root  string // dir/testBucket
}

// mountTesting mounts a NewTesting store and creates testBucket. The mount
// is always undone when the test ends, lazily if a test left it busy, so a
// failing test never leaves a stale mount behind.
func mountTesting(t *testing.T, opts Options) *testMount {
	t.Helper()
	requireFUSE(t)
	return mountStore(t, objstore.NewTesting(t), opts)
}

// mountStore is mountTesting on a store of the caller's making.
func mountStore(t *testing.T, store *objstore.Store, opts Options) *testMount {
	t.Helper()
	requireFUSE(t)
	dir := t.TempDir()
	if opts.Log == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		opts.Log = l.WithField("component", "fuse-test")
	}
	srv, err := Mount(store, dir, opts)
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
	ctx := s3ctx()
	if err := store.CreateBucket(ctx, testBucket, objstore.Owner{}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return &testMount{store: store, srv: srv, dir: dir, root: filepath.Join(dir, testBucket)}
}

// requireFUSE skips with the remedy when the machine cannot mount.
func requireFUSE(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("FUSE mount tests need root (mount(2) without fusermount); run as root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("FUSE mount tests need /dev/fuse: modprobe fuse (or run the container with --device /dev/fuse)")
	}
}

// s3ctx is the context the S3 door passes to the store.
func s3ctx() context.Context {
	return objstore.WithOrigin(context.Background(), objstore.OriginS3)
}

// longTimeouts make the kernel trust its caches for the whole test, so a
// fresh answer can only come from invalidation.
var longTimeouts = Options{AttrTimeout: time.Hour, EntryTimeout: time.Hour}

// path joins names under the test bucket.
func (m *testMount) path(names ...string) string {
	return filepath.Join(append([]string{m.root}, names...)...)
}

// errnoOf extracts the errno from an os/syscall error, 0 if none.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	errors.As(err, &e)
	return e
}
