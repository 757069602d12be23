package tests

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPOSIXTools runs the tools jobs use on a file system through the real
// daemon's mount, end to end: scp and sftp against an sshd on 127.0.0.1,
// rsync -aHX, tar, git and sqlite3. Trees are compared with their modes,
// times, symlinks, hard links and extended attributes.
func TestPOSIXTools(t *testing.T) {
	d := sharedDaemon(t)
	bucket := newBucket(t, d, "posix-tools")
	mnt := filepath.Join(d.Mount, bucket)

	t.Run("scp", func(t *testing.T) { testSCP(t, mnt) })
	t.Run("sftp", func(t *testing.T) { testSFTP(t, mnt) })
	t.Run("rsync", func(t *testing.T) { testRsync(t, mnt) })
	t.Run("tar", func(t *testing.T) { testTar(t, mnt) })
	t.Run("git", func(t *testing.T) { testGit(t, mnt) })
	t.Run("sqlite3", func(t *testing.T) { testSQLite(t, mnt) })
}

// richTree writes a tree with what archivers must carry: modes (setgid
// directory, executable, private), old and nanosecond times, a symlink, a
// hard link, an empty directory, a sparse file and user xattrs.
func richTree(t *testing.T, dir string) {
	t.Helper()
	files := map[string][]byte{
		"a.txt":             []byte("hello shallot\n"),
		"empty":             {},
		"bin/run.sh":        []byte("#!/bin/sh\necho ran\n"),
		"dir1/b.bin":        randBytes(100 << 10),
		"dir1/dir2/c.bin":   randBytes(3<<20 + 7),
		"other dir/e f.txt": []byte("with spaces\n"),
		"日本語.txt":           []byte("名前\n"),
	}
	for name, b := range files {
		writeFile(t, dir, name, b)
	}
	j := func(p string) string { return filepath.Join(dir, p) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Chmod(j("bin/run.sh"), 0o755))
	must(os.Chmod(j("dir1/b.bin"), 0o600))
	must(os.Mkdir(j("emptydir"), 0o750))
	must(os.Mkdir(j("shared"), 0o755))
	must(syscall.Chmod(j("shared"), 0o2775))
	must(os.Symlink("../a.txt", j("dir1/link")))
	must(os.Link(j("a.txt"), j("dir1/hard.txt")))
	sparse, err := os.Create(j("sparse.img"))
	must(err)
	_, err = sparse.WriteAt([]byte("end"), 64<<20)
	must(err)
	must(sparse.Close())
	must(unix.Setxattr(j("a.txt"), "user.color", []byte("blue"), 0))
	must(unix.Setxattr(j("dir1"), "user.project", []byte("shallot"), 0))
	old := time.Date(1999, 12, 31, 23, 59, 59, 123456789, time.UTC)
	must(os.Chtimes(j("other dir/e f.txt"), old, old))
	must(os.Chtimes(j("dir1/dir2"), old, old))
}

// entry is what compareTrees looks at for one path.
type entry struct {
	mode   os.FileMode
	size   int64
	mtime  int64 // seconds
	target string
	sum    string
	xattrs string
	ino    uint64
}

type treeOpts struct {
	times, xattrs bool
}

func scanTree(t *testing.T, root string, o treeOpts) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := entry{mode: fi.Mode(), ino: st.Ino}
		switch {
		case fi.Mode().IsRegular():
			e.size = fi.Size()
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.sum = md5hex(b)
		case fi.Mode()&os.ModeSymlink != 0:
			e.target, _ = os.Readlink(p)
		}
		if o.times && fi.Mode()&os.ModeSymlink == 0 {
			e.mtime = fi.ModTime().Unix()
		}
		if o.xattrs && fi.Mode()&os.ModeSymlink == 0 {
			e.xattrs = userXattrs(t, p)
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}

// userXattrs lists user.* attributes other than the S3 door's own
// (user.s3.*), which a copy out of the mount may carry along.
func userXattrs(t *testing.T, p string) string {
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		t.Fatalf("listxattr %s: %v", p, err)
	}
	var kv []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if !strings.HasPrefix(name, "user.") || strings.HasPrefix(name, "user.s3.") {
			continue
		}
		v := make([]byte, 64<<10)
		m, err := unix.Lgetxattr(p, name, v)
		if err != nil {
			t.Fatalf("getxattr %s %s: %v", p, name, err)
		}
		kv = append(kv, name+"="+string(v[:m]))
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// compareTrees wants got to be want: same paths, types, modes, sizes,
// contents, symlink targets, and (by o) times and xattrs; and the hard
// link dir1/hard.txt still one file with a.txt.
func compareTrees(t *testing.T, got, want string, o treeOpts) {
	t.Helper()
	g, w := scanTree(t, got, o), scanTree(t, want, o)
	var problems []string
	for p, we := range w {
		ge, ok := g[p]
		if !ok {
			problems = append(problems, "missing "+p)
			continue
		}
		ge.ino, we.ino = 0, 0
		if ge != we {
			problems = append(problems, fmt.Sprintf("%s: got %+v, want %+v", p, ge, we))
		}
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			problems = append(problems, "unexpected "+p)
		}
	}
	if a, h := g["a.txt"], g["dir1/hard.txt"]; a.ino == 0 || a.ino != h.ino {
		problems = append(problems, fmt.Sprintf("a.txt and dir1/hard.txt are not one file (inodes %d, %d)", a.ino, h.ino))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("%s differs from %s:\n  %s", got, want, strings.Join(problems, "\n  "))
	}
}

func testRsync(t *testing.T, mnt string) {
	needTool(t, "rsync", "the Debian package rsync")
	src := t.TempDir()
	richTree(t, src)
	dst := filepath.Join(mnt, "rsync")
	o := treeOpts{times: true, xattrs: true}
	sh(t, "rsync -aHXS "+shq(src+"/")+" "+shq(dst+"/"))
	compareTrees(t, dst, src, o)
	// A second run finds nothing to do: sizes, times (to the nanosecond
	// rsync compares), modes and xattrs all came through.
	if out := sh(t, "rsync -aHXSi "+shq(src+"/")+" "+shq(dst+"/")); strings.TrimSpace(out) != "" {
		t.Errorf("a second rsync still transferred:\n%s", out)
	}
	// Changes travel, in place (random writes into the mount) or not.
	writeFile(t, src, "dir1/dir2/c.bin", append(randBytes(1<<20), make([]byte, 2<<20)...))
	writeFile(t, src, "a.txt", []byte("changed\n"))
	sh(t, "rsync -aHX --inplace --no-whole-file "+shq(src+"/")+" "+shq(dst+"/"))
	compareTrees(t, dst, src, o)
	// And back out of the mount.
	back := t.TempDir()
	sh(t, "rsync -aHXS "+shq(dst+"/")+" "+shq(back+"/"))
	compareTrees(t, back, src, o)
	// --delete removes through the mount.
	if err := os.RemoveAll(filepath.Join(src, "other dir")); err != nil {
		t.Fatal(err)
	}
	sh(t, "rsync -aHX --delete "+shq(src+"/")+" "+shq(dst+"/"))
	compareTrees(t, dst, src, o)
}

func testTar(t *testing.T, mnt string) {
	needTool(t, "tar", "the Debian package tar")
	src := t.TempDir()
	richTree(t, src)
	dir := filepath.Join(mnt, "tar")
	if err := os.MkdirAll(filepath.Join(dir, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "tree.tar")
	o := treeOpts{times: true, xattrs: true}
	// Create an archive in the mount, extract it there, compare.
	sh(t, "tar --xattrs --sparse -cpf "+shq(archive)+" -C "+shq(src)+" .")
	sh(t, "tar --xattrs --xattrs-include='user.*' -xpf "+shq(archive)+" -C "+shq(filepath.Join(dir, "x")))
	compareTrees(t, filepath.Join(dir, "x"), src, o)
	// Archive the extracted tree from the mount and extract it outside.
	out := t.TempDir()
	sh(t, "tar --xattrs --sparse -cpf - -C "+shq(filepath.Join(dir, "x"))+" . | tar --xattrs --xattrs-include='user.*' -xpf - -C "+shq(out))
	compareTrees(t, out, src, o)
	// gzip through a pipe into the mount, list it back.
	sh(t, "tar -czf "+shq(filepath.Join(dir, "tree.tgz"))+" -C "+shq(src)+" .")
	if list := sh(t, "tar -tzf "+shq(filepath.Join(dir, "tree.tgz"))); !strings.Contains(list, "./dir1/dir2/c.bin") {
		t.Errorf("tar -t of the compressed archive lacks a file:\n%s", list)
	}
}

func testGit(t *testing.T, mnt string) {
	needTool(t, "git", "the Debian package git")
	repo := filepath.Join(mnt, "git", "repo")
	g := func(dir, args string) string {
		return sh(t, "cd "+shq(dir)+" && git -c user.name=test -c user.email=test@example.com -c init.defaultBranch=main "+args)
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	g(repo, "init -q")
	richTree(t, repo)
	g(repo, "add -A")
	g(repo, "commit -q -m first")
	writeFile(t, repo, "a.txt", []byte("second version\n"))
	if err := os.Remove(filepath.Join(repo, "empty")); err != nil {
		t.Fatal(err)
	}
	g(repo, "commit -q -a -m second")
	g(repo, "gc -q")
	g(repo, "fsck --full --strict")
	if st := g(repo, "status --porcelain"); st != "" {
		t.Errorf("git status after commit:\n%s", st)
	}
	// Clone out of the mount, into it from outside, and within it (where
	// git hard-links the objects).
	out := filepath.Join(t.TempDir(), "clone")
	sh(t, "git clone -q "+shq(repo)+" "+shq(out))
	in := filepath.Join(mnt, "git", "clone-in")
	sh(t, "git clone -q "+shq(out)+" "+shq(in))
	local := filepath.Join(mnt, "git", "clone-local")
	sh(t, "git clone -q --local "+shq(repo)+" "+shq(local))
	want := g(repo, "log --format=%H%n%T")
	for _, c := range []string{out, in, local} {
		if got := g(c, "log --format=%H%n%T"); got != want {
			t.Errorf("%s: log %q, want %q", c, got, want)
		}
		g(c, "fsck --full --strict")
		if got, err := os.ReadFile(filepath.Join(c, "a.txt")); err != nil || string(got) != "second version\n" {
			t.Errorf("%s: a.txt %q, %v", c, got, err)
		}
	}
}

func testSQLite(t *testing.T, mnt string) {
	needTool(t, "sqlite3", "the Debian package sqlite3")
	dir := filepath.Join(mnt, "sqlite")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"delete", "wal"} {
		t.Run(mode, func(t *testing.T) {
			db := filepath.Join(dir, mode+".db")
			q := func(sql string) string {
				return strings.TrimSpace(sh(t, "sqlite3 "+shq(db)+" "+shq(sql)))
			}
			q("pragma journal_mode=" + mode + "; create table t(id integer primary key, v text, n integer);")
			q(`begin; with recursive c(i) as (select 1 union all select i+1 from c where i < 20000)
				insert into t(v, n) select hex(randomblob(50)), i from c; commit;`)
			q("create index tn on t(n); update t set n = n * 2 where id % 3 = 0; delete from t where id % 7 = 0;")
			// Another process reads what the first wrote.
			if got := q("select count(*), sum(n) from t;"); got != sqliteWant() {
				t.Errorf("count and sum: %q, want %q", got, sqliteWant())
			}
			if got := q("pragma integrity_check;"); got != "ok" {
				t.Errorf("integrity_check: %q", got)
			}
			if mode == "wal" {
				q("pragma wal_checkpoint(truncate);")
			}
		})
	}
}

// sqliteWant computes what testSQLite's statements leave: 20000 rows, n
// doubled where id%3 == 0, rows with id%7 == 0 deleted.
func sqliteWant() string {
	count, sum := 0, 0
	for id := 1; id <= 20000; id++ {
		if id%7 == 0 {
			continue
		}
		n := id
		if id%3 == 0 {
			n *= 2
		}
		count++
		sum += n
	}
	return fmt.Sprintf("%d|%d", count, sum)
}

// sshd is an OpenSSH server on 127.0.0.1 with a throwaway host key and one
// authorized client key, for root.
type sshd struct {
	port   string
	key    string // client private key
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func startSSHD(t *testing.T) *sshd {
	t.Helper()
	bin := needTool(t, "/usr/sbin/sshd", "the Debian package openssh-server")
	needTool(t, "ssh-keygen", "the Debian package openssh-client")
	dir := t.TempDir()
	j := func(p string) string { return filepath.Join(dir, p) }
	sh(t, "ssh-keygen -q -t ed25519 -N '' -f "+shq(j("host"))+" && ssh-keygen -q -t ed25519 -N '' -f "+shq(j("client")))
	pub, err := os.ReadFile(j("client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(j("authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	addr, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	config := fmt.Sprintf(`Port %s
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile %s
Subsystem sftp internal-sftp
LogLevel ERROR
`, port, j("host"), j("authorized_keys"), j("sshd.pid"))
	if err := os.WriteFile(j("sshd_config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd wants its privilege separation directory.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	s := &sshd{port: port, key: j("client"), stderr: &bytes.Buffer{}}
	s.cmd = exec.Command(bin, "-D", "-e", "-f", j("sshd_config"))
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		if t.Failed() {
			t.Logf("sshd stderr:\n%s", s.stderr)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd does not answer on port %s: %v\n%s", port, err, s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// opts are the client options for scp and sftp (-P/-oPort differ, so the
// port is an -o option).
func (s *sshd) opts() string {
	return "-i " + shq(s.key) + " -o Port=" + s.port +
		" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
}

func testSCP(t *testing.T, mnt string) {
	needTool(t, "scp", "the Debian package openssh-client")
	s := startSSHD(t)
	src := t.TempDir()
	richTree(t, src)
	dir := filepath.Join(mnt, "scp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, proto := range []struct{ name, flag string }{{"sftp protocol", ""}, {"scp protocol", "-O"}} {
		t.Run(proto.name, func(t *testing.T) {
			name := strings.ReplaceAll(proto.name, " ", "-")
			up := filepath.Join(dir, name+"-c.bin")
			sh(t, "scp -q -p "+proto.flag+" "+s.opts()+" "+shq(filepath.Join(src, "dir1/dir2/c.bin"))+" root@127.0.0.1:"+shq(up))
			cmpFiles(t, up, filepath.Join(src, "dir1/dir2/c.bin"))
			wantSameTimeMode(t, up, filepath.Join(src, "dir1/dir2/c.bin"))
			down := filepath.Join(t.TempDir(), "down.bin")
			sh(t, "scp -q -p "+proto.flag+" "+s.opts()+" root@127.0.0.1:"+shq(up)+" "+shq(down))
			cmpFiles(t, down, up)
			// A whole directory, recursively (scp follows symlinks, so
			// one without).
			sh(t, "scp -q -r -p "+proto.flag+" "+s.opts()+" "+shq(filepath.Join(src, "other dir"))+" root@127.0.0.1:"+shq(filepath.Join(dir, name+"-dir")))
			wantSameTree(t, treeFiles(t, filepath.Join(dir, name+"-dir")), treeFiles(t, filepath.Join(src, "other dir")))
			wantSameTimeMode(t, filepath.Join(dir, name+"-dir", "e f.txt"), filepath.Join(src, "other dir", "e f.txt"))
		})
	}
}

// wantSameTimeMode compares mtime (seconds) and permission bits.
func wantSameTimeMode(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.Stat(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.Stat(want)
	if err != nil {
		t.Fatal(err)
	}
	if g.ModTime().Unix() != w.ModTime().Unix() || g.Mode() != w.Mode() {
		t.Errorf("%s: mtime %v mode %v, want %v and %v", got, g.ModTime(), g.Mode(), w.ModTime(), w.Mode())
	}
}

func testSFTP(t *testing.T, mnt string) {
	needTool(t, "sftp", "the Debian package openssh-client")
	s := startSSHD(t)
	local := t.TempDir()
	data := randBytes(5<<20 + 3)
	src := writeFile(t, local, "src.bin", data)
	dir := filepath.Join(mnt, "sftp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	batch := strings.Join([]string{
		"put " + src + " " + dir + "/put.bin",
		"get " + dir + "/put.bin " + local + "/got.bin",
		"rename " + dir + "/put.bin " + dir + "/renamed.bin",
		"mkdir " + dir + "/sub",
		"put -p " + src + " " + dir + "/sub/kept.bin",
		"chmod 600 " + dir + "/sub/kept.bin",
		"put " + src + " " + dir + "/sub/gone.bin",
		"rm " + dir + "/sub/gone.bin",
		"mkdir " + dir + "/rmme",
		"rmdir " + dir + "/rmme",
		"ln -s renamed.bin " + dir + "/link",
		"ls -l " + dir,
		"",
	}, "\n")
	bf := writeFile(t, local, "batch", []byte(batch))
	sh(t, "sftp -q -b "+shq(bf)+" "+s.opts()+" root@127.0.0.1")
	wantFileBytes(t, filepath.Join(local, "got.bin"), data)
	wantFileBytes(t, filepath.Join(dir, "renamed.bin"), data)
	wantFileBytes(t, filepath.Join(dir, "sub/kept.bin"), data)
	for _, gone := range []string{"put.bin", "sub/gone.bin", "rmme"} {
		if _, err := os.Lstat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still there after sftp removed it: %v", gone, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "sub/kept.bin")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("sftp chmod 600: %v, %v", fi.Mode(), err)
	}
	if g, w := mtimeOf(t, filepath.Join(dir, "sub/kept.bin")), mtimeOf(t, src); g != w {
		t.Errorf("sftp put -p: mtime %d, want %d", g, w)
	}
	if target, err := os.Readlink(filepath.Join(dir, "link")); err != nil || target != "renamed.bin" {
		t.Errorf("sftp ln -s: %q, %v", target, err)
	}
}

func mtimeOf(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.ModTime().Unix()
}
