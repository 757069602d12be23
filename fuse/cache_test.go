package fuse

import (
	"bytes"
	"context"
	"io"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

// The cache tests follow go-fuse's fs/cache_test.go: the kernel is told to
// trust entries and attributes for an hour, the mount reads a file (so the
// kernel caches name, attributes and pages), S3 changes it through the
// store's object API, and the mount must show the change at once. Only the
// door's invalidation can make that happen.

func s3Put(t *testing.T, m *testMount, key, body string) objstore.ObjectInfo {
	t.Helper()
	info, err := m.store.PutObject(s3ctx(), testBucket, key, strings.NewReader(body), int64(len(body)), objstore.PutOptions{})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
	return info
}

// s3Read reads key as the S3 door does: what is committed.
func s3Read(t *testing.T, m *testMount, key string) []byte {
	t.Helper()
	r, err := m.store.OpenObject(s3ctx(), testBucket, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Info().Size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func s3Delete(t *testing.T, m *testMount, key string) {
	t.Helper()
	if err := m.store.DeleteObject(s3ctx(), testBucket, key); err != nil {
		t.Fatalf("DeleteObject %s: %v", key, err)
	}
}

// readTwice reads path through the mount twice, so that the second read is
// served from what the kernel cached, and checks both.
func readTwice(t *testing.T, path, want string) {
	t.Helper()
	for i := 0; i < 2; i++ {
		mustRead(t, path, []byte(want))
		if st := mustStat(t, path); st.Size != int64(len(want)) {
			t.Fatalf("size %d, want %d", st.Size, len(want))
		}
	}
}

func listNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestCacheInvalidation(t *testing.T) {
	m := mountTesting(t, longTimeouts)
	tests := []struct {
		name string
		run  func(t *testing.T, m *testMount)
	}{
		{"overwrite with a different size", func(t *testing.T, m *testMount) {
			s3Put(t, m, "grow", "short")
			readTwice(t, m.path("grow"), "short")
			s3Put(t, m, "grow", "a good deal longer than before")
			readTwice(t, m.path("grow"), "a good deal longer than before")
			s3Put(t, m, "grow", "tiny")
			readTwice(t, m.path("grow"), "tiny")
		}},
		{"overwrite with the same size", func(t *testing.T, m *testMount) {
			s3Put(t, m, "same", "aaaaaaaa")
			readTwice(t, m.path("same"), "aaaaaaaa")
			s3Put(t, m, "same", "bbbbbbbb")
			readTwice(t, m.path("same"), "bbbbbbbb")
		}},
		{"overwrite of a file written through the mount", func(t *testing.T, m *testMount) {
			mustWrite(t, m.path("mine"), []byte("from the mount"))
			readTwice(t, m.path("mine"), "from the mount")
			s3Put(t, m, "mine", "from S3")
			readTwice(t, m.path("mine"), "from S3")
		}},
		{"overwrite seen by an open descriptor", func(t *testing.T, m *testMount) {
			s3Put(t, m, "open", "first version")
			f, err := os.Open(m.path("open"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, 64)
			n, _ := f.ReadAt(buf, 0)
			if string(buf[:n]) != "first version" {
				t.Fatalf("read %q", buf[:n])
			}
			s3Put(t, m, "open", "second")
			// A new open sees the new object, whatever the old
			// descriptor sees (the old inode, if S3 replaced it).
			readTwice(t, m.path("open"), "second")
		}},
		{"delete", func(t *testing.T, m *testMount) {
			s3Put(t, m, "doomed", "bye")
			readTwice(t, m.path("doomed"), "bye")
			s3Delete(t, m, "doomed")
			_, err := os.Stat(m.path("doomed"))
			wantErrno(t, "stat after S3 delete", err, syscall.ENOENT)
			_, err = os.ReadFile(m.path("doomed"))
			wantErrno(t, "read after S3 delete", err, syscall.ENOENT)
		}},
		{"new file in a cached listing", func(t *testing.T, m *testMount) {
			s3Put(t, m, "dir/one", "1")
			if got := listNames(t, m.path("dir")); strings.Join(got, ",") != "one" {
				t.Fatalf("listing %v", got)
			}
			// A negative entry the kernel caches for an hour.
			_, err := os.Stat(m.path("dir", "two"))
			wantErrno(t, "stat before S3 put", err, syscall.ENOENT)
			s3Put(t, m, "dir/two", "2")
			if got := listNames(t, m.path("dir")); strings.Join(got, ",") != "one,two" {
				t.Fatalf("listing after put %v", got)
			}
			readTwice(t, m.path("dir", "two"), "2")
		}},
		{"new directory from a deep key", func(t *testing.T, m *testMount) {
			_, err := os.Stat(m.path("deep"))
			wantErrno(t, "stat before S3 put", err, syscall.ENOENT)
			s3Put(t, m, "deep/er/key", "down here")
			readTwice(t, m.path("deep", "er", "key"), "down here")
		}},
		{"rename by copy and delete", func(t *testing.T, m *testMount) {
			s3Put(t, m, "from", "moved content")
			readTwice(t, m.path("from"), "moved content")
			_, err := os.Stat(m.path("to"))
			wantErrno(t, "stat of the destination before copy", err, syscall.ENOENT)
			if _, err := m.store.CopyObject(s3ctx(), testBucket, "from", testBucket, "to", objstore.CopyOptions{}); err != nil {
				t.Fatal(err)
			}
			s3Delete(t, m, "from")
			readTwice(t, m.path("to"), "moved content")
			_, err = os.Stat(m.path("from"))
			wantErrno(t, "stat of the source after delete", err, syscall.ENOENT)
			if got := listNames(t, m.root); contains(got, "from") || !contains(got, "to") {
				t.Fatalf("listing %v", got)
			}
		}},
		{"large overwrite drops every cached page", func(t *testing.T, m *testMount) {
			old := strings.Repeat("o", 3<<20)
			s3Put(t, m, "big", old)
			readTwice(t, m.path("big"), old)
			replacement := strings.Repeat("n", 3<<20)
			s3Put(t, m, "big", replacement)
			got, err := os.ReadFile(m.path("big"))
			if err != nil {
				t.Fatal(err)
			}
			if i := bytes.IndexByte(got, 'o'); i >= 0 || len(got) != len(replacement) {
				t.Fatalf("stale byte at %d of %d", i, len(got))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, m) })
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCacheIsOn is the control for TestCacheInvalidation: a change the
// store reports as the mount's own is not invalidated, and the kernel keeps
// showing what it cached. Were the caches off, TestCacheInvalidation would
// pass without proving anything.
func TestCacheIsOn(t *testing.T) {
	m := mountTesting(t, longTimeouts)
	s3Put(t, m, "f", "cached")
	readTwice(t, m.path("f"), "cached")
	mountCtx := objstore.WithOrigin(context.Background(), objstore.OriginMount)
	body := "changed behind the kernel's back"
	if _, err := m.store.PutObject(mountCtx, testBucket, "f", strings.NewReader(body), int64(len(body)), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if st := mustStat(t, m.path("f")); st.Size != int64(len("cached")) {
		t.Fatalf("size %d: the kernel did not cache attributes, so the cache tests prove nothing", st.Size)
	}
}
