package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// sh runs a shell command line (for tools used as users use them) and
// fails t if it fails.
func sh(t testing.TB, script string) string {
	t.Helper()
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("$ %s\n%v\n%s", script, err, out)
	}
	return string(out)
}

// shq quotes s for a shell.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// wantObject checks over S3 that bucket/key holds want, with ETag md5.
func wantObject(t testing.TB, s *s3raw, bucket, key string, want []byte) {
	t.Helper()
	r := s.Do(t, "GET", "/"+bucket+"/"+key, nil, nil)
	if r.Status != 200 {
		t.Fatalf("GET %s/%s: %s", bucket, key, r)
	}
	if md5hex(r.Body) != md5hex(want) {
		t.Fatalf("GET %s/%s: %d bytes md5 %s, want %d bytes md5 %s", bucket, key, len(r.Body), md5hex(r.Body), len(want), md5hex(want))
	}
	if etag := strings.Trim(r.Header.Get("ETag"), `"`); etag != md5hex(want) {
		t.Errorf("GET %s/%s: ETag %s, want the MD5 %s", bucket, key, etag, md5hex(want))
	}
}

// wantNoObject checks over S3 that bucket/key does not exist.
func wantNoObject(t testing.TB, s *s3raw, bucket, key string) {
	t.Helper()
	r := s.Do(t, "HEAD", "/"+bucket+"/"+key, nil, nil)
	if r.Status != 404 {
		t.Errorf("HEAD %s/%s: HTTP %d, want 404", bucket, key, r.Status)
	}
}

// TestMountTools uses ordinary tools on the mount and checks the result
// over S3.
func TestMountTools(t *testing.T) {
	d := sharedDaemon(t)
	needTool(t, "getfattr", "the Debian package attr")
	s := rootS3(d)
	bucket := "mount-tools-" + randHex(3)
	b := filepath.Join(d.Mount, bucket)
	local := t.TempDir()
	data := randBytes(1<<20 + 17)
	src := writeFile(t, local, "src.bin", data)

	t.Run("mkdir makes a bucket", func(t *testing.T) {
		sh(t, "mkdir "+shq(b))
		if r := s.Do(t, "HEAD", "/"+bucket, nil, nil); r.Status != 200 {
			t.Fatalf("HEAD bucket made with mkdir: %s", r)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	t.Run("cp", func(t *testing.T) {
		sh(t, "cp "+shq(src)+" "+shq(b+"/cp.bin"))
		wantObject(t, s, bucket, "cp.bin", data)
	})
	t.Run("dd", func(t *testing.T) {
		sh(t, "dd if="+shq(src)+" of="+shq(b+"/dd.bin")+" bs=64k status=none")
		wantObject(t, s, bucket, "dd.bin", data)
		// Overwrite in the middle without truncating.
		sh(t, "printf XYZ | dd of="+shq(b+"/dd.bin")+" bs=1 seek=1000 conv=notrunc status=none")
		want := append([]byte(nil), data...)
		copy(want[1000:], "XYZ")
		wantObject(t, s, bucket, "dd.bin", want)
	})
	t.Run("cat", func(t *testing.T) {
		out, err := exec.Command("cat", b+"/cp.bin").Output()
		if err != nil || md5hex(out) != md5hex(data) {
			t.Fatalf("cat: %d bytes, %v", len(out), err)
		}
		sh(t, "echo appended >> "+shq(b+"/cp.bin"))
		wantObject(t, s, bucket, "cp.bin", append(append([]byte(nil), data...), "appended\n"...))
	})
	t.Run("ls", func(t *testing.T) {
		sh(t, "mkdir -p "+shq(b+"/sub/deeper")+" && echo x > "+shq(b+"/sub/deeper/x.txt"))
		out := sh(t, "ls -la "+shq(b))
		for _, name := range []string{"cp.bin", "dd.bin", "sub"} {
			if !strings.Contains(out, " "+name+"\n") {
				t.Errorf("ls -la lacks %s:\n%s", name, out)
			}
		}
		if !strings.Contains(out, "1048593 ") {
			t.Errorf("ls -la does not show dd.bin's size 1048593:\n%s", out)
		}
		keys := s.listKeys(t, bucket, "sub/")
		if _, ok := keys["sub/deeper/x.txt"]; !ok {
			t.Errorf("S3 listing of sub/ lacks sub/deeper/x.txt: %v", keys)
		}
	})
	t.Run("mv", func(t *testing.T) {
		sh(t, "mv "+shq(b+"/dd.bin")+" "+shq(b+"/sub/moved.bin"))
		wantNoObject(t, s, bucket, "dd.bin")
		r := s.Do(t, "HEAD", "/"+bucket+"/sub/moved.bin", nil, nil)
		if r.Status != 200 || r.Header.Get("Content-Length") != "1048593" {
			t.Errorf("HEAD of the renamed object: %s (Content-Length %s)", r, r.Header.Get("Content-Length"))
		}
		// A whole directory.
		sh(t, "mv "+shq(b+"/sub/deeper")+" "+shq(b+"/shallower"))
		wantObject(t, s, bucket, "shallower/x.txt", []byte("x\n"))
		wantNoObject(t, s, bucket, "sub/deeper/x.txt")
	})
	t.Run("ln", func(t *testing.T) {
		sh(t, "ln "+shq(b+"/cp.bin")+" "+shq(b+"/hard.bin"))
		var st syscall.Stat_t
		if err := syscall.Stat(b+"/hard.bin", &st); err != nil || st.Nlink != 2 {
			t.Errorf("stat hard link: nlink %d, %v; want 2", st.Nlink, err)
		}
		wantFileBytes(t, b+"/hard.bin", append(append([]byte(nil), data...), "appended\n"...))
		r := s.Do(t, "HEAD", "/"+bucket+"/hard.bin", nil, nil)
		if r.Status != 200 {
			t.Errorf("HEAD of a hard link: %s", r)
		}
	})
	t.Run("ln -s", func(t *testing.T) {
		sh(t, "ln -s cp.bin "+shq(b+"/link"))
		target, err := os.Readlink(b + "/link")
		if err != nil || target != "cp.bin" {
			t.Fatalf("readlink: %q, %v", target, err)
		}
		got, err := os.ReadFile(b + "/link")
		if err != nil || len(got) != len(data)+len("appended\n") {
			t.Errorf("read through the symlink: %d bytes, %v", len(got), err)
		}
	})
	t.Run("setfattr", func(t *testing.T) {
		p := b + "/cp.bin"
		sh(t, "setfattr -n user.color -v green "+shq(p)+" && setfattr -n user.s3.content-type -v image/x-test "+shq(p))
		out := sh(t, "getfattr -d --absolute-names "+shq(p))
		if !strings.Contains(out, `user.color="green"`) {
			t.Errorf("getfattr -d lacks user.color=\"green\":\n%s", out)
		}
		r := s.Do(t, "HEAD", "/"+bucket+"/cp.bin", nil, nil)
		if got := r.Header.Get("X-Amz-Meta-Color"); got != "green" {
			t.Errorf("HEAD x-amz-meta-color = %q, want green (set with setfattr)", got)
		}
		if got := r.Header.Get("Content-Type"); got != "image/x-test" {
			t.Errorf("HEAD Content-Type = %q, want image/x-test (set with setfattr)", got)
		}
		sh(t, "setfattr -x user.color "+shq(p))
		r = s.Do(t, "HEAD", "/"+bucket+"/cp.bin", nil, nil)
		if got := r.Header.Get("X-Amz-Meta-Color"); got != "" {
			t.Errorf("HEAD x-amz-meta-color = %q after setfattr -x", got)
		}
	})
	t.Run("rm", func(t *testing.T) {
		sh(t, "rm "+shq(b+"/cp.bin"))
		wantNoObject(t, s, bucket, "cp.bin")
		// The hard link keeps the content.
		r := s.Do(t, "GET", "/"+bucket+"/hard.bin", nil, nil)
		if r.Status != 200 || len(r.Body) != len(data)+len("appended\n") {
			t.Errorf("GET hard.bin after removing its other name: %s", r)
		}
		sh(t, "rm -rf "+shq(b))
		if r := s.Do(t, "HEAD", "/"+bucket, nil, nil); r.Status != 404 {
			t.Errorf("HEAD bucket after rm -rf of its directory: HTTP %d, want 404", r.Status)
		}
	})
}
