package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCrossView checks the consistency contract between the doors: no
// sync step, no waiting. Nothing here sleeps: "at once" means the next
// system call after the other door answered.
func TestCrossView(t *testing.T) {
	d := sharedDaemon(t)
	s := rootS3(d)
	bucket := newBucket(t, d, "crossview")
	b := filepath.Join(d.Mount, bucket)

	t.Run("mount write is an object at close", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			size int
		}{
			{"tiny", 10},
			{"inline-edge", 64 << 10},
			{"blob", 3<<20 + 5},
			{"multi-blob", 21<<20 + 3},
		} {
			t.Run(tc.name, func(t *testing.T) {
				local := writeFile(t, t.TempDir(), "src", randBytes(tc.size))
				key := "fromfs/" + tc.name + ".bin"
				sh(t, fmt.Sprintf("mkdir -p %s && dd if=%s of=%s bs=1M status=none", shq(filepath.Join(b, "fromfs")), shq(local), shq(filepath.Join(b, key))))
				sum := strings.Fields(sh(t, "md5sum "+shq(local)))[0]
				listed := s.listKeys(t, bucket, key)
				o, ok := listed[key]
				if !ok {
					t.Fatalf("%s not listed over S3 after dd closed it: %v", key, listed)
				}
				if o.Size != int64(tc.size) || strings.Trim(o.ETag, `"`) != sum {
					t.Errorf("listed %s: size %d ETag %s, want %d and md5sum %s", key, o.Size, o.ETag, tc.size, sum)
				}
				r := s.Do(t, "GET", "/"+bucket+"/"+key, nil, nil)
				if r.Status != 200 || md5hex(r.Body) != sum || strings.Trim(r.Header.Get("ETag"), `"`) != sum {
					t.Errorf("GET %s: HTTP %d, %d bytes md5 %s, ETag %s; want md5 %s", key, r.Status, len(r.Body), md5hex(r.Body), r.Header.Get("ETag"), sum)
				}
			})
		}
	})

	t.Run("S3 PUT shows in the mount at once", func(t *testing.T) {
		// Make the kernel cache the directory (and its negative entry) first.
		os.MkdirAll(filepath.Join(b, "fromS3"), 0o755)
		os.ReadDir(filepath.Join(b, "fromS3"))
		if _, err := os.Stat(filepath.Join(b, "fromS3", "new.txt")); !os.IsNotExist(err) {
			t.Fatalf("stat before PUT: %v", err)
		}
		body := []byte("put over S3\n")
		if r := s.Do(t, "PUT", "/"+bucket+"/fromS3/new.txt", nil, body); r.Status != 200 {
			t.Fatalf("PUT: %s", r)
		}
		wantFileBytes(t, filepath.Join(b, "fromS3", "new.txt"), body)
		ents, err := os.ReadDir(filepath.Join(b, "fromS3"))
		if err != nil || len(ents) != 1 || ents[0].Name() != "new.txt" {
			t.Errorf("readdir after PUT: %v, %v; want [new.txt]", ents, err)
		}
		// A key in directories that do not exist yet.
		if r := s.Do(t, "PUT", "/"+bucket+"/fromS3/x/y/z.txt", nil, body); r.Status != 200 {
			t.Fatalf("PUT: %s", r)
		}
		wantFileBytes(t, filepath.Join(b, "fromS3", "x", "y", "z.txt"), body)
	})

	t.Run("overwrite over S3 while the mount caches the file", func(t *testing.T) {
		p := filepath.Join(b, "cached.txt")
		contents := [][]byte{
			[]byte("first version, rather long: " + strings.Repeat("a", 5000) + "\n"),
			[]byte("second, shorter\n"),
			[]byte("third version, longer again: " + strings.Repeat("b", 9000) + "\n"),
			randBytes(2<<20 + 1), // from inline to blob
			[]byte("back to small\n"),
		}
		for i, body := range contents {
			if r := s.Do(t, "PUT", "/"+bucket+"/cached.txt", nil, body); r.Status != 200 {
				t.Fatalf("PUT version %d: %s", i, r)
			}
			// cat, as a user would, twice: the second read is from the
			// kernel's page cache.
			for j := 0; j < 2; j++ {
				out, err := exec.Command("cat", p).Output()
				if err != nil || md5hex(out) != md5hex(body) {
					t.Fatalf("cat after PUT of version %d (read %d): %d bytes md5 %s, %v; want %d bytes md5 %s",
						i, j, len(out), md5hex(out), err, len(body), md5hex(body))
				}
			}
			fi, err := os.Stat(p)
			if err != nil || fi.Size() != int64(len(body)) {
				t.Fatalf("stat after PUT of version %d: %v, %v; want size %d", i, fi, err, len(body))
			}
		}
	})

	t.Run("overwrite over S3 while the file is open", func(t *testing.T) {
		p := filepath.Join(b, "open.txt")
		if r := s.Do(t, "PUT", "/"+bucket+"/open.txt", nil, []byte("old old old old\n")); r.Status != 200 {
			t.Fatalf("PUT: %s", r)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 100)
		f.Read(buf)
		if r := s.Do(t, "PUT", "/"+bucket+"/open.txt", nil, []byte("new\n")); r.Status != 200 {
			t.Fatalf("PUT: %s", r)
		}
		// A new open sees the new object, whatever the old descriptor sees.
		wantFileBytes(t, p, []byte("new\n"))
	})

	t.Run("S3 DELETE is ENOENT in the mount at once", func(t *testing.T) {
		p := filepath.Join(b, "doomed.txt")
		if r := s.Do(t, "PUT", "/"+bucket+"/doomed.txt", nil, []byte("doomed\n")); r.Status != 200 {
			t.Fatalf("PUT: %s", r)
		}
		wantFileBytes(t, p, []byte("doomed\n")) // cached entry and pages
		if r := s.Do(t, "DELETE", "/"+bucket+"/doomed.txt", nil, nil); r.Status != 204 {
			t.Fatalf("DELETE: %s", r)
		}
		if _, err := os.Stat(p); !errors.Is(err, syscall.ENOENT) {
			t.Errorf("stat after DELETE: %v, want ENOENT", err)
		}
		if _, err := os.ReadFile(p); !errors.Is(err, syscall.ENOENT) {
			t.Errorf("open after DELETE: %v, want ENOENT", err)
		}
		ents, _ := os.ReadDir(b)
		for _, e := range ents {
			if e.Name() == "doomed.txt" {
				t.Errorf("readdir after DELETE still lists doomed.txt")
			}
		}
	})

	t.Run("200 MiB multipart upload read through the mount", func(t *testing.T) {
		cli := awsCLIs[0] // the generation with aws-chunked CRC32 trailers
		needTool(t, cli.Path, cli.Install)
		c := newClient(t, d)
		local := t.TempDir()
		data := randBytes(200 << 20)
		src := writeFile(t, local, "big.bin", data)
		wantETag := multipartETag(data, 8<<20)
		data = nil
		c.AWS(t, cli, "s3", "cp", src, "s3://"+bucket+"/big/200MiB.bin")
		h := c.headObject(t, cli, bucket, "big/200MiB.bin")
		if h.ETag != wantETag || !strings.HasSuffix(h.ETag, "-25") {
			t.Errorf("ETag %s, want %s (25 parts of 8 MiB)", h.ETag, wantETag)
		}
		cmpFiles(t, src, filepath.Join(b, "big", "200MiB.bin"))
	})
}
