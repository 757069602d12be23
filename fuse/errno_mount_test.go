package fuse

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestErrnoThroughMount checks the errors a program sees through the
// mount, whether the kernel or the store decides them.
func TestErrnoThroughMount(t *testing.T) {
	m := mountTesting(t, Options{})
	file := m.path("file")
	dir := m.path("dir")
	full := m.path("full")
	mustWrite(t, file, []byte("x"))
	for _, d := range []string{dir, full} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, filepath.Join(full, "child"), nil)
	long := strings.Repeat("n", maxNameLen+1)

	tests := []struct {
		name string
		op   func() error
		want syscall.Errno
	}{
		{"open missing", func() error { _, err := os.Open(m.path("missing")); return err }, syscall.ENOENT},
		{"stat missing in missing dir", func() error { _, err := os.Stat(m.path("no", "such")); return err }, syscall.ENOENT},
		{"mkdir existing", func() error { return os.Mkdir(dir, 0o755) }, syscall.EEXIST},
		{"mkdir over file", func() error { return os.Mkdir(file, 0o755) }, syscall.EEXIST},
		{"create exclusive existing", func() error {
			_, err := os.OpenFile(file, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			return err
		}, syscall.EEXIST},
		{"symlink over existing", func() error { return os.Symlink("x", file) }, syscall.EEXIST},
		{"link over existing", func() error { return os.Link(file, file) }, syscall.EEXIST},
		{"rmdir not empty", func() error { return syscall.Rmdir(full) }, syscall.ENOTEMPTY},
		{"rename dir over non-empty dir", func() error { return syscall.Rename(dir, full) }, syscall.ENOTEMPTY},
		{"open dir for writing", func() error { _, err := os.OpenFile(dir, os.O_WRONLY, 0); return err }, syscall.EISDIR},
		{"unlink dir", func() error { return syscall.Unlink(dir) }, syscall.EISDIR},
		{"rename file over dir", func() error { return syscall.Rename(file, dir) }, syscall.EISDIR},
		{"rmdir file", func() error { return syscall.Rmdir(file) }, syscall.ENOTDIR},
		{"rename dir over file", func() error { return syscall.Rename(dir, file) }, syscall.ENOTDIR},
		{"path through a file", func() error { _, err := os.Stat(filepath.Join(file, "x")); return err }, syscall.ENOTDIR},
		{"create under a file", func() error { return os.WriteFile(filepath.Join(file, "x"), nil, 0o644) }, syscall.ENOTDIR},
		{"create long name", func() error { return os.WriteFile(m.path(long), nil, 0o644) }, syscall.ENAMETOOLONG},
		{"mkdir long name", func() error { return os.Mkdir(m.path(long), 0o755) }, syscall.ENAMETOOLONG},
		{"rename to long name", func() error { return os.Rename(file, m.path(long)) }, syscall.ENAMETOOLONG},
		{"rename dir into itself", func() error { return os.Rename(dir, filepath.Join(dir, "in")) }, syscall.EINVAL},
		{"readlink of a file", func() error { _, err := os.Readlink(file); return err }, syscall.EINVAL},
		{"link to a dir", func() error { return os.Link(dir, m.path("dirlink")) }, syscall.EPERM},
		{"getxattr missing", func() error { _, err := syscall.Getxattr(file, "user.missing", nil); return err }, syscall.ENODATA},
		{"rename whiteout", func() error {
			return unix.Renameat2(unix.AT_FDCWD, file, unix.AT_FDCWD, m.path("w"), unix.RENAME_WHITEOUT)
		}, syscall.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErrno(t, tc.name, tc.op(), tc.want)
		})
	}
	// Nothing above may have changed the fixtures.
	mustRead(t, file, []byte("x"))
	mustRead(t, filepath.Join(full, "child"), nil)
}
