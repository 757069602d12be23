package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestS3cmd drives s3cmd with SigV4 and with signature_v2 = True.
func TestS3cmd(t *testing.T) {
	d := sharedDaemon(t)
	s3cmd := needTool(t, "s3cmd", "the Debian package s3cmd (apt-get install s3cmd; `make deps` does it)")
	for _, tc := range []struct {
		name string
		v2   bool
	}{
		{"sigv4", false},
		{"sigv2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, d)
			bucket := newBucket(t, d, "s3cmd-"+tc.name)
			local := t.TempDir()
			run := func(t *testing.T, args ...string) string {
				t.Helper()
				return c.Run(t, s3cmd, append([]string{"-c", c.S3cfg(tc.v2), "--no-progress"}, args...)...)
			}
			small := randBytes(5000)
			// Above s3cmd's 15 MiB default chunk: a multipart upload.
			big := randBytes(17<<20 + 5)
			files := map[string][]byte{"small.bin": small, "dir/big.bin": big, "dir/name with spaces.txt": []byte("spaces\n"),
				// UTF-8 names under SigV2 too: the gateway we replace failed there.
				"日本語/ファイル.txt": []byte("こんにちは\n")}
			for name, b := range files {
				writeFile(t, local, "up/"+name, b)
			}

			t.Run("put", func(t *testing.T) {
				for name := range files {
					run(t, "put", filepath.Join(local, "up", name), "s3://"+bucket+"/"+name)
				}
				wantSameTree(t, treeFiles(t, filepath.Join(d.Mount, bucket)), files)
			})
			if t.Failed() {
				t.FailNow()
			}
			t.Run("ls", func(t *testing.T) {
				out := run(t, "ls", "--recursive", "s3://"+bucket)
				for name, b := range files {
					want := fmt.Sprintf("%d  s3://%s/%s\n", len(b), bucket, name)
					if !strings.Contains(out, want) {
						t.Errorf("ls lacks %q:\n%s", want, out)
					}
				}
				out = run(t, "ls", "s3://"+bucket)
				if !strings.Contains(out, "DIR  s3://"+bucket+"/dir/") {
					t.Errorf("ls of the bucket lacks DIR s3://%s/dir/:\n%s", bucket, out)
				}
				out = run(t, "ls")
				if !strings.Contains(out, "s3://"+bucket+"\n") {
					t.Errorf("ls of the service lacks s3://%s:\n%s", bucket, out)
				}
			})
			t.Run("get", func(t *testing.T) {
				for name, b := range files {
					dst := filepath.Join(local, "down", strings.ReplaceAll(name, "/", "_"))
					os.MkdirAll(filepath.Dir(dst), 0o755)
					// s3cmd checks the MD5 of what it got against the ETag
					// (for single-part objects) on its own.
					run(t, "get", "s3://"+bucket+"/"+name, dst)
					wantFileBytes(t, dst, b)
				}
			})
			t.Run("del", func(t *testing.T) {
				run(t, "del", "s3://"+bucket+"/small.bin")
				if _, err := os.Stat(filepath.Join(d.Mount, bucket, "small.bin")); !os.IsNotExist(err) {
					t.Errorf("stat on the mount after del: %v, want ENOENT", err)
				}
				run(t, "del", "--recursive", "--force", "s3://"+bucket+"/")
				if out := run(t, "ls", "--recursive", "s3://"+bucket); strings.TrimSpace(out) != "" {
					t.Errorf("objects left after del --recursive:\n%s", out)
				}
				run(t, "rb", "s3://"+bucket)
				if _, err := os.Stat(filepath.Join(d.Mount, bucket)); !os.IsNotExist(err) {
					t.Errorf("bucket directory after rb: %v, want ENOENT", err)
				}
			})
		})
	}
}
