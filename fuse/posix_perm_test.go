package fuse

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

// Identities the permission tests act as. The file under test belongs to
// owner:staff; member is in staff by its primary group, supp by a
// supplementary group, other by neither.
const staff = 2000

var (
	owner  = cred{uid: 1000, gid: 1000}
	member = cred{uid: 1001, gid: staff}
	supp   = cred{uid: 1002, gid: 1002, groups: []uint32{staff}}
	other  = cred{uid: 1003, gid: 1003}
	root   = cred{}
)

// mkFile creates path as root with the given content, mode and owner
// (chmod after chown: chown clears setuid bits).
func mkFile(t *testing.T, path string, mode uint32, uid, gid int, content string) {
	t.Helper()
	mustWrite(t, path, []byte(content))
	if err := os.Lchown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func mkDir(t *testing.T, path string, mode uint32, uid, gid int) {
	t.Helper()
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// permCase is one operation by one identity on a fresh directory "d"
// (and usually a file "d/f") made by setup.
type permCase struct {
	name  string
	setup func(t *testing.T, d string)
	who   cred
	verb  string
	args  func(d string) []any
	want  syscall.Errno
	// check, when set, verifies the outcome as root.
	check func(t *testing.T, m *testMount, d string)
}

// fileIn returns a setup making d (0777, owned by owner) holding f with
// the given mode, owned by owner:staff.
func fileIn(mode uint32) func(t *testing.T, d string) {
	return func(t *testing.T, d string) {
		mkDir(t, d, 0o777, int(owner.uid), staff)
		mkFile(t, filepath.Join(d, "f"), mode, int(owner.uid), staff, "data")
	}
}

// dirWith returns a setup making d with the given mode, owned by
// owner:staff, holding f owned by fileOwner (mode 0644).
func dirWith(mode uint32, fileOwner cred) func(t *testing.T, d string) {
	return func(t *testing.T, d string) {
		mkDir(t, d, mode, int(owner.uid), staff)
		mkFile(t, filepath.Join(d, "f"), 0o644, int(fileOwner.uid), int(fileOwner.gid), "data")
	}
}

func f(d string) []any                 { return []any{filepath.Join(d, "f")} }
func fArg(x ...any) func(string) []any { return func(d string) []any { return append(f(d), x...) } }
func inD(name string, x ...any) func(string) []any {
	return func(d string) []any { return append([]any{filepath.Join(d, name)}, x...) }
}

// wantMode returns a check that f's permission bits are mode, as the
// kernel reports them and as the store holds them.
func wantMode(mode uint32) func(t *testing.T, m *testMount, d string) {
	return func(t *testing.T, m *testMount, d string) {
		t.Helper()
		p := filepath.Join(d, "f")
		if st := mustStat(t, p); st.Mode&0o7777 != mode {
			t.Errorf("mode %o, want %o", st.Mode&0o7777, mode)
		}
		if a := storeAttr(t, m, p); a.Mode&0o7777 != mode {
			t.Errorf("store: mode %o, want %o", a.Mode&0o7777, mode)
		}
	}
}

// storeAttr reads path's attributes from the store, not the kernel.
func storeAttr(t *testing.T, m *testMount, path string) objstore.Attr {
	t.Helper()
	a, err := m.store.GetAttr(s3ctx(), objstore.Ino(mustStat(t, path).Ino))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPermissions checks the kernel's and the store's permission decisions
// for owner, group (primary and supplementary), other and root, on every
// kind of operation, through helper processes with those credentials.
func TestPermissions(t *testing.T) {
	m := mountTesting(t, Options{AllowOther: true})
	const rdonly, wronly = syscall.O_RDONLY, syscall.O_WRONLY
	script := "#!/bin/sh\nexit 0\n"
	cases := []permCase{
		// open for reading: the first class that matches decides.
		{name: "read 0400 owner", setup: fileIn(0o400), who: owner, verb: "open", args: fArg(rdonly)},
		{name: "read 0400 member", setup: fileIn(0o400), who: member, verb: "open", args: fArg(rdonly), want: syscall.EACCES},
		{name: "read 0400 other", setup: fileIn(0o400), who: other, verb: "open", args: fArg(rdonly), want: syscall.EACCES},
		{name: "read 0040 owner", setup: fileIn(0o040), who: owner, verb: "open", args: fArg(rdonly), want: syscall.EACCES},
		{name: "read 0040 member", setup: fileIn(0o040), who: member, verb: "open", args: fArg(rdonly)},
		{name: "read 0040 supplementary", setup: fileIn(0o040), who: supp, verb: "open", args: fArg(rdonly)},
		{name: "read 0040 other", setup: fileIn(0o040), who: other, verb: "open", args: fArg(rdonly), want: syscall.EACCES},
		{name: "read 0004 member", setup: fileIn(0o004), who: member, verb: "open", args: fArg(rdonly), want: syscall.EACCES},
		{name: "read 0004 other", setup: fileIn(0o004), who: other, verb: "open", args: fArg(rdonly)},
		{name: "read 0000 root", setup: fileIn(0o000), who: root, verb: "open", args: fArg(rdonly)},
		// open for writing
		{name: "write 0200 owner", setup: fileIn(0o200), who: owner, verb: "open", args: fArg(wronly)},
		{name: "write 0444 owner", setup: fileIn(0o444), who: owner, verb: "open", args: fArg(wronly), want: syscall.EACCES},
		{name: "write 0020 supplementary", setup: fileIn(0o020), who: supp, verb: "open", args: fArg(wronly)},
		{name: "write 0644 other", setup: fileIn(0o644), who: other, verb: "open", args: fArg(wronly), want: syscall.EACCES},
		{name: "write 0000 root", setup: fileIn(0o000), who: root, verb: "open", args: fArg(wronly)},
		// exec
		{name: "exec 0755 other", setup: execIn(0o755, script), who: other, verb: "exec", args: f},
		{name: "exec 0750 other", setup: execIn(0o750, script), who: other, verb: "exec", args: f, want: syscall.EACCES},
		{name: "exec 0750 supplementary", setup: execIn(0o750, script), who: supp, verb: "exec", args: f},
		{name: "exec 0644 owner", setup: execIn(0o644, script), who: owner, verb: "exec", args: f, want: syscall.EACCES},
		{name: "exec 0644 root", setup: execIn(0o644, script), who: root, verb: "exec", args: f, want: syscall.EACCES},
		{name: "exec 0100 root", setup: execIn(0o100, script), who: root, verb: "exec", args: f},
		// directories: search (lookup), read (readdir), write (create,
		// remove, rename)
		{name: "lookup in 0700 other", setup: dirWith(0o700, owner), who: other, verb: "stat", args: f, want: syscall.EACCES},
		{name: "lookup in 0711 other", setup: dirWith(0o711, owner), who: other, verb: "stat", args: f},
		{name: "readdir 0711 other", setup: dirWith(0o711, owner), who: other, verb: "readdir", args: inD("."), want: syscall.EACCES},
		{name: "readdir 0750 supplementary", setup: dirWith(0o750, owner), who: supp, verb: "readdir", args: inD(".")},
		{name: "create in 0755 other", setup: dirWith(0o755, owner), who: other, verb: "create", args: inD("new", 0o644), want: syscall.EACCES},
		{name: "create in 0775 supplementary", setup: dirWith(0o775, owner), who: supp, verb: "create", args: inD("new", 0o644)},
		{name: "create in 0766 other", setup: dirWith(0o766, owner), who: other, verb: "create", args: inD("new", 0o644), want: syscall.EACCES},
		{name: "create in 0500 root", setup: dirWith(0o500, owner), who: root, verb: "create", args: inD("new", 0o644)},
		// The creator of a read-only file may write it through the
		// descriptor that created it (tar and git make 0444 files so).
		{name: "create 0444 and write other", setup: dirWith(0o777, owner), who: other, verb: "createwrite", args: inD("ro", 0o444, "data"),
			check: func(t *testing.T, m *testMount, d string) { mustRead(t, filepath.Join(d, "ro"), []byte("da")) }},
		{name: "mkdir in 0755 other", setup: dirWith(0o755, owner), who: other, verb: "mkdir", args: inD("sub", 0o755), want: syscall.EACCES},
		{name: "symlink in 0755 other", setup: dirWith(0o755, owner), who: other, verb: "symlink", args: func(d string) []any { return []any{"f", filepath.Join(d, "l")} }, want: syscall.EACCES},
		{name: "mknod fifo in 0777 other", setup: dirWith(0o777, owner), who: other, verb: "mknod", args: inD("p", syscall.S_IFIFO|0o644, 0)},
		{name: "mknod device other", setup: dirWith(0o777, owner), who: other, verb: "mknod", args: inD("c", syscall.S_IFCHR|0o644, 0x0103), want: syscall.EPERM},
		{name: "unlink in 0755 other", setup: dirWith(0o755, other), who: other, verb: "unlink", args: f, want: syscall.EACCES},
		{name: "unlink in 0777 other", setup: dirWith(0o777, owner), who: other, verb: "unlink", args: f},
		{name: "rename in 0755 other", setup: dirWith(0o755, other), who: other, verb: "rename", args: func(d string) []any { return []any{filepath.Join(d, "f"), filepath.Join(d, "g")} }, want: syscall.EACCES},
		// sticky directories: only the file's owner, the directory's
		// owner and root may remove or rename
		{name: "sticky unlink other", setup: dirWith(0o1777, member), who: other, verb: "unlink", args: f, want: syscall.EPERM},
		{name: "sticky unlink file owner", setup: dirWith(0o1777, member), who: member, verb: "unlink", args: f},
		{name: "sticky unlink dir owner", setup: dirWith(0o1777, member), who: owner, verb: "unlink", args: f},
		{name: "sticky unlink root", setup: dirWith(0o1777, member), who: root, verb: "unlink", args: f},
		{name: "sticky rename other", setup: dirWith(0o1777, member), who: other, verb: "rename", args: func(d string) []any { return []any{filepath.Join(d, "f"), filepath.Join(d, "g")} }, want: syscall.EPERM},
		{name: "sticky rename over other's", setup: stickyPair, who: other, verb: "rename", args: func(d string) []any { return []any{filepath.Join(d, "mine"), filepath.Join(d, "f")} }, want: syscall.EPERM},
		{name: "sticky rmdir other", setup: stickySubdir, who: other, verb: "rmdir", args: inD("sub"), want: syscall.EPERM},
		// attributes
		{name: "chmod other", setup: fileIn(0o666), who: other, verb: "chmod", args: fArg(0o777), want: syscall.EPERM},
		{name: "chmod owner", setup: fileIn(0o600), who: owner, verb: "chmod", args: fArg(0o640), check: wantMode(0o640)},
		{name: "chown owner to other uid", setup: fileIn(0o644), who: owner, verb: "chown", args: fArg(other.uid, -1), want: syscall.EPERM},
		{name: "chgrp owner to own group", setup: fileIn(0o644), who: owner, verb: "chown", args: fArg(-1, owner.gid), check: wantOwner(owner.uid, owner.gid)},
		{name: "chgrp owner to foreign group", setup: fileIn(0o644), who: owner, verb: "chown", args: fArg(-1, 4242), want: syscall.EPERM},
		{name: "chgrp supplementary member not owner", setup: fileIn(0o666), who: supp, verb: "chown", args: fArg(-1, staff), want: syscall.EPERM},
		{name: "chown root", setup: fileIn(0o644), who: root, verb: "chown", args: fArg(other.uid, other.gid), check: wantOwner(other.uid, other.gid)},
		{name: "truncate without write", setup: fileIn(0o644), who: other, verb: "truncate", args: fArg(0), want: syscall.EACCES},
		{name: "truncate with write", setup: fileIn(0o666), who: other, verb: "truncate", args: fArg(1)},
		{name: "utimes explicit other", setup: fileIn(0o666), who: other, verb: "utimes", args: fArg(1000000000, 2000000000), want: syscall.EPERM},
		{name: "utimes now other with write", setup: fileIn(0o666), who: other, verb: "utimes", args: fArg("now", "now")},
		{name: "utimes now other without write", setup: fileIn(0o644), who: other, verb: "utimes", args: fArg("now", "now"), want: syscall.EACCES},
		{name: "utimes explicit owner", setup: fileIn(0o444), who: owner, verb: "utimes", args: fArg(1000000000, 2000000000)},
		{name: "setxattr without write", setup: fileIn(0o644), who: other, verb: "setxattr", args: fArg("user.k", "v"), want: syscall.EACCES},
		{name: "setxattr owner of 0444", setup: fileIn(0o444), who: owner, verb: "setxattr", args: fArg("user.k", "v"), want: syscall.EACCES},
		{name: "setxattr with write", setup: fileIn(0o666), who: other, verb: "setxattr", args: fArg("user.k", "v")},
		{name: "setxattr trusted non-root", setup: fileIn(0o666), who: owner, verb: "setxattr", args: fArg("trusted.k", "v"), want: syscall.EPERM},
		{name: "getxattr without read", setup: xattrFile(0o600), who: other, verb: "getxattr", args: fArg("user.k"), want: syscall.EACCES},
		{name: "getxattr with read", setup: xattrFile(0o604), who: other, verb: "getxattr", args: fArg("user.k")},
		{name: "removexattr without write", setup: xattrFile(0o644), who: other, verb: "removexattr", args: fArg("user.k"), want: syscall.EACCES},
		// fs.protected_hardlinks: a link to a file one can neither read
		// nor write, nor owns, is refused.
		{name: "link to unreadable", setup: fileIn(0o600), who: other, verb: "link", args: func(d string) []any { return []any{filepath.Join(d, "f"), filepath.Join(d, "l")} }, want: hardlinkErrno()},
		{name: "link to own", setup: dirWith(0o777, other), who: other, verb: "link", args: func(d string) []any { return []any{filepath.Join(d, "f"), filepath.Join(d, "l")} }},
	}
	base := m.path("perm")
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(base, strings.ReplaceAll(tc.name, " ", "_"))
			tc.setup(t, d)
			if got := errnoAs(t, m, tc.who, tc.verb, tc.args(d)...); got != tc.want {
				t.Fatalf("%s as %d:%d%v: errno %v (%d), want %v (%d)", tc.verb, tc.who.uid, tc.who.gid, tc.who.groups, got, got, tc.want, tc.want)
			}
			if tc.check != nil {
				tc.check(t, m, d)
			}
		})
	}
}

func execIn(mode uint32, content string) func(t *testing.T, d string) {
	return func(t *testing.T, d string) {
		mkDir(t, d, 0o755, int(owner.uid), staff)
		mkFile(t, filepath.Join(d, "f"), mode, int(owner.uid), staff, content)
	}
}

func xattrFile(mode uint32) func(t *testing.T, d string) {
	return func(t *testing.T, d string) {
		fileIn(mode)(t, d)
		if err := syscall.Setxattr(filepath.Join(d, "f"), "user.k", []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
	}
}

// stickyPair: a sticky world-writable d with f owned by member and mine
// owned by other.
func stickyPair(t *testing.T, d string) {
	dirWith(0o1777, member)(t, d)
	mkFile(t, filepath.Join(d, "mine"), 0o644, int(other.uid), int(other.gid), "x")
}

func stickySubdir(t *testing.T, d string) {
	mkDir(t, d, 0o1777, int(owner.uid), staff)
	mkDir(t, filepath.Join(d, "sub"), 0o755, int(member.uid), int(member.gid))
}

func wantOwner(uid, gid uint32) func(t *testing.T, m *testMount, d string) {
	return func(t *testing.T, m *testMount, d string) {
		t.Helper()
		p := filepath.Join(d, "f")
		if st := mustStat(t, p); st.Uid != uid || st.Gid != gid {
			t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
		}
		if a := storeAttr(t, m, p); a.Uid != uid || a.Gid != gid {
			t.Errorf("store: owner %d:%d, want %d:%d", a.Uid, a.Gid, uid, gid)
		}
	}
}

// hardlinkErrno is what linking to another's unreadable file gives, by
// the machine's fs.protected_hardlinks.
func hardlinkErrno() syscall.Errno {
	b, err := os.ReadFile("/proc/sys/fs/protected_hardlinks")
	if err == nil && strings.TrimSpace(string(b)) == "0" {
		return 0
	}
	return syscall.EPERM
}

// TestPrivilegeBits checks that setuid and setgid bits are cleared as on a
// local file system: on write and truncate by a non-root caller, on chown,
// and on chmod g+s by a caller outside the group.
func TestPrivilegeBits(t *testing.T) {
	m := mountTesting(t, Options{AllowOther: true})
	base := m.path("priv")
	if err := os.Mkdir(base, 0o777); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mode uint32
		who  cred
		verb string
		args []any
		want uint32
	}{
		{"write by owner", 0o6777, owner, "write", []any{"x"}, 0o777},
		{"write by owner, setgid without group exec", 0o2767, owner, "write", []any{"x"}, 0o2767},
		{"write by other", 0o4777, other, "write", []any{"x"}, 0o777},
		{"append by owner", 0o4755, owner, "append", []any{"x"}, 0o755},
		{"write by root", 0o6777, root, "write", []any{"x"}, 0o6777},
		{"truncate by owner", 0o6777, owner, "truncate", []any{1}, 0o777},
		{"chgrp by owner", 0o6755, owner, "chown", []any{-1, owner.gid}, 0o755},
		{"chown by root", 0o4755, root, "chown", []any{other.uid, -1}, 0o755},
		{"chmod g+s outside the group", 0o755, owner, "chmod", []any{0o2755}, 0o755},
		{"chmod g+s by supplementary member", 0o755, supp, "chmod", []any{0o2755}, 0o2755},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := filepath.Join(base, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.Mkdir(d, 0o777); err != nil {
				t.Fatal(err)
			}
			fileOwner := owner
			if tc.who.uid == supp.uid {
				fileOwner = supp
			}
			mkFile(t, filepath.Join(d, "f"), tc.mode, int(fileOwner.uid), staff, "data")
			if got := errnoAs(t, m, tc.who, tc.verb, append(f(d), tc.args...)...); got != 0 {
				t.Fatalf("%s: %v", tc.verb, got)
			}
			wantMode(tc.want)(t, m, d)
		})
	}
}
