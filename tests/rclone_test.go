package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// lslLine is one line of rclone lsl: size, date, time, name.
var lslLine = regexp.MustCompile(`(?m)^ *(\d+) \S+ \S+ (.*)$`)

// TestRclone drives rclone's S3 backend (provider Other) with SigV4 and
// with SigV2 (v2_auth).
func TestRclone(t *testing.T) {
	d := sharedDaemon(t)
	rclone := needTool(t, "rclone", "the Debian package rclone (apt-get install rclone; `make deps` does it)")
	for _, tc := range []struct{ name, remote string }{
		{"sigv4", "shallot"},
		{"sigv2", "shallotv2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, d)
			bucket := newBucket(t, d, "rclone-"+tc.name)
			local := t.TempDir()
			src := filepath.Join(local, "src")
			files := sampleTree(t, src)
			// Above the upload cutoff set below: rclone uploads it in parts.
			files["big/multi.bin"] = randBytes(12<<20 + 333)
			writeFile(t, src, "big/multi.bin", files["big/multi.bin"])
			remote := tc.remote + ":" + bucket + "/tree"
			rc := func(args ...string) result {
				args = append([]string{"--retries", "1", "--low-level-retries", "2",
					"--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"}, args...)
				return c.Exec(nil, rclone, args...)
			}
			must := func(t *testing.T, args ...string) string {
				t.Helper()
				r := rc(args...)
				if r.Err != nil {
					t.Fatalf("rclone failed:\n%s", r)
				}
				return r.Stdout + r.Stderr
			}

			t.Run("copy", func(t *testing.T) {
				must(t, "copy", src, remote)
				wantSameTree(t, treeFiles(t, filepath.Join(d.Mount, bucket, "tree")), files)
			})
			if t.Failed() {
				t.FailNow()
			}
			t.Run("lsl", func(t *testing.T) {
				out := must(t, "lsl", remote)
				got := map[string]string{}
				for _, m := range lslLine.FindAllStringSubmatch(out, -1) {
					got[m[2]] = m[1]
				}
				for name, b := range files {
					if got[name] != fmt.Sprint(len(b)) {
						t.Errorf("lsl shows %s with size %q, want %d:\n%s", name, got[name], len(b), out)
					}
				}
				if len(got) != len(files) {
					t.Errorf("lsl shows %d files, want %d:\n%s", len(got), len(files), out)
				}
			})
			t.Run("check", func(t *testing.T) {
				out := must(t, "check", src, remote)
				if !strings.Contains(out, "0 differences found") {
					t.Errorf("rclone check did not report 0 differences:\n%s", out)
				}
				// Checksums, not just sizes: download and compare too.
				out = must(t, "check", "--download", src, remote)
				if !strings.Contains(out, "0 differences found") {
					t.Errorf("rclone check --download did not report 0 differences:\n%s", out)
				}
			})
			t.Run("sync", func(t *testing.T) {
				os.Remove(filepath.Join(src, "a.txt"))
				delete(files, "a.txt")
				files["new/added.txt"] = []byte("added after the first copy\n")
				writeFile(t, src, "new/added.txt", files["new/added.txt"])
				files["dir1/dir2/d.txt"] = []byte("changed and shorter\n")
				writeFile(t, src, "dir1/dir2/d.txt", files["dir1/dir2/d.txt"])
				must(t, "sync", src, remote)
				wantSameTree(t, treeFiles(t, filepath.Join(d.Mount, bucket, "tree")), files)
				down := filepath.Join(local, "down")
				must(t, "sync", remote, down)
				wantSameTree(t, treeFiles(t, down), files)
				if out := must(t, "check", src, remote); !strings.Contains(out, "0 differences found") {
					t.Errorf("rclone check after sync did not report 0 differences:\n%s", out)
				}
			})
			t.Run("purge", func(t *testing.T) {
				must(t, "purge", remote)
				if _, err := os.Stat(filepath.Join(d.Mount, bucket, "tree")); !os.IsNotExist(err) {
					t.Errorf("tree on the mount after purge: %v, want ENOENT", err)
				}
			})
		})
	}
}
