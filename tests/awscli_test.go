package tests

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// headObject is what `aws s3api head-object` prints, as far as we check it.
type headObject struct {
	ContentLength int64
	ContentType   string
	ETag          string
	Metadata      map[string]string
}

func (c *client) headObject(t testing.TB, cli awsCLI, bucket, key string) headObject {
	t.Helper()
	out := c.AWS(t, cli, "s3api", "head-object", "--bucket", bucket, "--key", key, "--output", "json")
	var h headObject
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatalf("head-object %s/%s: %v\n%s", bucket, key, err, out)
	}
	h.ETag = strings.Trim(h.ETag, `"`)
	return h
}

// TestAWSCLI drives the high-level (s3) and low-level (s3api) commands of
// both aws cli generations.
func TestAWSCLI(t *testing.T) {
	d := sharedDaemon(t)
	for _, cli := range awsCLIs {
		t.Run(cli.Name, func(t *testing.T) {
			needTool(t, cli.Path, cli.Install)
			c := newClient(t, d)
			local := t.TempDir()
			bucket := "awscli-" + strings.ToLower(strings.NewReplacer(".", "-").Replace(cli.Name)) + "-" + randHex(3)

			t.Run("mb", func(t *testing.T) {
				out := c.AWS(t, cli, "s3", "mb", "s3://"+bucket)
				if !strings.Contains(out, "make_bucket: "+bucket) {
					t.Errorf("mb said %q", out)
				}
				fi, err := os.Stat(filepath.Join(d.Mount, bucket))
				if err != nil || !fi.IsDir() {
					t.Fatalf("bucket %s is not a directory of the mount: %v", bucket, err)
				}
			})
			if t.Failed() {
				t.FailNow()
			}

			small := randBytes(1234)
			big := randBytes(20<<20 + 12345) // above the 8 MiB multipart threshold: 3 parts
			smallPath := writeFile(t, local, "small.bin", small)
			bigPath := writeFile(t, local, "big.bin", big)

			t.Run("cp", func(t *testing.T) {
				for _, tc := range []struct {
					name, path, key string
					data            []byte
					etag            string
				}{
					{"small", smallPath, "cp/small.bin", small, md5hex(small)},
					{"multipart", bigPath, "cp/big.bin", big, multipartETag(big, 8<<20)},
				} {
					t.Run(tc.name, func(t *testing.T) {
						c.AWS(t, cli, "s3", "cp", tc.path, "s3://"+bucket+"/"+tc.key)
						h := c.headObject(t, cli, bucket, tc.key)
						if h.ContentLength != int64(len(tc.data)) || h.ETag != tc.etag {
							t.Errorf("head-object: length %d ETag %s, want %d and %s", h.ContentLength, h.ETag, len(tc.data), tc.etag)
						}
						down := filepath.Join(local, "down-"+tc.name)
						c.AWS(t, cli, "s3", "cp", "s3://"+bucket+"/"+tc.key, down)
						cmpFiles(t, tc.path, down)
						cmpFiles(t, tc.path, filepath.Join(d.Mount, bucket, tc.key))
					})
				}
			})

			t.Run("ls", func(t *testing.T) {
				out := c.AWS(t, cli, "s3", "ls", "s3://"+bucket+"/cp/")
				for _, want := range []string{fmt.Sprintf(" %d small.bin", len(small)), fmt.Sprintf(" %d big.bin", len(big))} {
					if !strings.Contains(out, want) {
						t.Errorf("ls output lacks %q:\n%s", want, out)
					}
				}
				out = c.AWS(t, cli, "s3", "ls", "s3://"+bucket+"/")
				if !strings.Contains(out, "PRE cp/") {
					t.Errorf("ls of the bucket root lacks PRE cp/:\n%s", out)
				}
				out = c.AWS(t, cli, "s3", "ls")
				if !strings.Contains(out, " "+bucket+"\n") && !strings.HasSuffix(strings.TrimSpace(out), " "+bucket) {
					t.Errorf("ls of the service lacks %s:\n%s", bucket, out)
				}
			})

			t.Run("sync", func(t *testing.T) {
				src := filepath.Join(local, "sync-src")
				files := sampleTree(t, src)
				c.AWS(t, cli, "s3", "sync", src, "s3://"+bucket+"/sync")
				wantSameTree(t, treeFiles(t, filepath.Join(d.Mount, bucket, "sync")), files)
				if out := c.AWS(t, cli, "s3", "sync", src, "s3://"+bucket+"/sync"); strings.TrimSpace(out) != "" {
					t.Errorf("second sync up copied again (sizes or times disagree):\n%s", out)
				}
				dst := filepath.Join(local, "sync-dst")
				c.AWS(t, cli, "s3", "sync", "s3://"+bucket+"/sync", dst)
				wantSameTree(t, treeFiles(t, dst), files)
				if out := c.AWS(t, cli, "s3", "sync", "s3://"+bucket+"/sync", dst); strings.TrimSpace(out) != "" {
					t.Errorf("second sync down copied again:\n%s", out)
				}
				// A file deleted locally is deleted remotely with --delete.
				os.Remove(filepath.Join(src, "dir1", "b.bin"))
				delete(files, "dir1/b.bin")
				c.AWS(t, cli, "s3", "sync", "--delete", src, "s3://"+bucket+"/sync")
				wantSameTree(t, treeFiles(t, filepath.Join(d.Mount, bucket, "sync")), files)
			})

			t.Run("presign", func(t *testing.T) {
				url := strings.TrimSpace(c.AWS(t, cli, "s3", "presign", "s3://"+bucket+"/cp/small.bin", "--expires-in", "300"))
				out, err := exec.Command("curl", "-sS", "--fail-with-body", url).Output()
				if err != nil {
					t.Fatalf("curl %s: %v\n%s", url, err, out)
				}
				if md5hex(out) != md5hex(small) {
					t.Fatalf("presigned GET returned %d bytes, want the %d bytes uploaded", len(out), len(small))
				}
			})

			t.Run("metadata", func(t *testing.T) {
				key := "meta/tagged.txt"
				body := writeFile(t, local, "tagged.txt", []byte("metadata please\n"))
				c.AWS(t, cli, "s3api", "put-object", "--bucket", bucket, "--key", key, "--body", body,
					"--metadata", "color=blue,shape=round", "--content-type", "text/x-shallot")
				h := c.headObject(t, cli, bucket, key)
				if h.ContentType != "text/x-shallot" {
					t.Errorf("ContentType = %q, want text/x-shallot", h.ContentType)
				}
				if h.Metadata["color"] != "blue" || h.Metadata["shape"] != "round" {
					t.Errorf("Metadata = %v, want color=blue shape=round", h.Metadata)
				}
				p := filepath.Join(d.Mount, bucket, key)
				for name, want := range map[string]string{"user.color": "blue", "user.shape": "round", "user.s3.content-type": "text/x-shallot"} {
					got, err := getfattr(t, p, name)
					if err != nil {
						t.Errorf("%v", err)
					} else if got != want {
						t.Errorf("getfattr %s = %q, want %q", name, got, want)
					}
				}
			})

			t.Run("server-side copy and mv", func(t *testing.T) {
				// Above the multipart threshold aws cli copies with
				// UploadPartCopy; below it with CopyObject.
				for _, tc := range []struct{ name, src, path string }{
					{"small", "cp/small.bin", smallPath},
					{"multipart", "cp/big.bin", bigPath},
				} {
					t.Run(tc.name, func(t *testing.T) {
						c.AWS(t, cli, "s3", "cp", "s3://"+bucket+"/"+tc.src, "s3://"+bucket+"/copied/"+tc.name)
						cmpFiles(t, tc.path, filepath.Join(d.Mount, bucket, "copied", tc.name))
						cmpFiles(t, tc.path, filepath.Join(d.Mount, bucket, tc.src))
						c.AWS(t, cli, "s3", "mv", "s3://"+bucket+"/copied/"+tc.name, "s3://"+bucket+"/moved/"+tc.name)
						cmpFiles(t, tc.path, filepath.Join(d.Mount, bucket, "moved", tc.name))
						if _, err := os.Stat(filepath.Join(d.Mount, bucket, "copied", tc.name)); !os.IsNotExist(err) {
							t.Errorf("source of mv on the mount: %v, want ENOENT", err)
						}
					})
				}
			})

			t.Run("checksum", func(t *testing.T) {
				key := "meta/crc.txt"
				data := []byte("checksum me\n")
				body := writeFile(t, local, "crc.txt", data)
				var crc [4]byte
				binary.BigEndian.PutUint32(crc[:], crc32.ChecksumIEEE(data))
				want := base64.StdEncoding.EncodeToString(crc[:])
				out := c.AWS(t, cli, "s3api", "put-object", "--bucket", bucket, "--key", key, "--body", body, "--checksum-algorithm", "CRC32", "--output", "json")
				var put struct{ ChecksumCRC32 string }
				json.Unmarshal([]byte(out), &put)
				if put.ChecksumCRC32 != want {
					t.Errorf("put-object answered ChecksumCRC32 %q, want %q", put.ChecksumCRC32, want)
				}
				out = c.AWS(t, cli, "s3api", "head-object", "--bucket", bucket, "--key", key, "--checksum-mode", "ENABLED", "--output", "json")
				var head struct{ ChecksumCRC32 string }
				json.Unmarshal([]byte(out), &head)
				if head.ChecksumCRC32 != want {
					t.Errorf("head-object --checksum-mode ENABLED: ChecksumCRC32 %q, want %q\n%s", head.ChecksumCRC32, want, out)
				}
				if got, err := getfattr(t, filepath.Join(d.Mount, bucket, key), "user.s3.checksum-crc32"); err != nil || got != want {
					t.Errorf("user.s3.checksum-crc32 on the mount = %q, %v; want %q", got, err, want)
				}
			})

			t.Run("rm", func(t *testing.T) {
				c.AWS(t, cli, "s3", "rm", "s3://"+bucket+"/cp/small.bin")
				if r := c.AWSExec(cli, "s3api", "head-object", "--bucket", bucket, "--key", "cp/small.bin"); r.Err == nil || !strings.Contains(r.Stderr, "404") {
					t.Errorf("head-object after rm did not fail with 404:\n%s", r)
				}
				if _, err := os.Stat(filepath.Join(d.Mount, bucket, "cp", "small.bin")); !os.IsNotExist(err) {
					t.Errorf("stat on the mount after rm: %v, want ENOENT", err)
				}
				c.AWS(t, cli, "s3", "rm", "--recursive", "s3://"+bucket+"/sync")
				// aws s3 ls exits 1 when it finds nothing.
				if r := c.AWSExec(cli, "s3", "ls", "--recursive", "s3://"+bucket+"/sync/"); strings.TrimSpace(r.Stdout) != "" {
					t.Errorf("objects left after rm --recursive:\n%s", r)
				}
			})

			t.Run("rb", func(t *testing.T) {
				c.AWS(t, cli, "s3", "rb", "--force", "s3://"+bucket)
				if _, err := os.Stat(filepath.Join(d.Mount, bucket)); !os.IsNotExist(err) {
					t.Errorf("bucket directory after rb --force: %v, want ENOENT", err)
				}
			})
		})
	}
}
