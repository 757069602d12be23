package tests

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// faultFixture is a daemon with explicit shard directories and a known set
// of files written through both doors.
type faultFixture struct {
	d      *daemon
	s      *s3raw
	disks  []string
	bucket string
	files  map[string][]byte // key -> content
	inline map[string]bool   // keys small enough to live in the metadata
}

// inlineSize is comfortably below the store's inline limit, so such a file
// has no shard files at all.
const inlineSize = 100

func newFaultFixture(t *testing.T) *faultFixture {
	t.Helper()
	base := t.TempDir()
	var disks []string
	for i := 0; i < 6; i++ {
		disks = append(disks, filepath.Join(base, fmt.Sprintf("disk%d", i)))
	}
	f := &faultFixture{disks: disks, files: map[string][]byte{}, inline: map[string]bool{}}
	f.d = startDaemon(t, daemonOptions{Disks: disks, EC: "4+2"})
	f.s = rootS3(f.d)
	f.bucket = newBucket(t, f.d, "faults")
	sizes := []struct {
		name string
		size int
	}{
		{"small", inlineSize},
		{"1m", 1 << 20},
		{"odd", 3<<20 + 7},
		{"10m", 10 << 20},
	}
	for _, sz := range sizes {
		fs, s3 := "fs/"+sz.name+".bin", "s3/"+sz.name+".bin"
		f.files[fs], f.files[s3] = randBytes(sz.size), randBytes(sz.size)
		f.inline[fs], f.inline[s3] = sz.size <= inlineSize, sz.size <= inlineSize
		writeFile(t, filepath.Join(f.d.Mount, f.bucket), fs, f.files[fs])
		if r := f.s.Do(t, "PUT", "/"+f.bucket+"/"+s3, nil, f.files[s3]); r.Status != 200 {
			t.Fatalf("PUT %s: %s", s3, r)
		}
	}
	// A multipart object: its parts are separate blobs.
	mp := "s3/multipart.bin"
	f.files[mp] = randBytes(11<<20 + 3)
	multipartPut(t, f.s, f.bucket, mp, f.files[mp], 5<<20)
	f.checkAll(t, "after writing")
	return f
}

// multipartPut uploads data to bucket/key in parts of partSize.
func multipartPut(t testing.TB, s *s3raw, bucket, key string, data []byte, partSize int) {
	t.Helper()
	path := "/" + bucket + "/" + key
	r := s.Do(t, "POST", path, url.Values{"uploads": {""}}, nil)
	var ir struct{ UploadId string }
	if r.Status != 200 || xml.Unmarshal(r.Body, &ir) != nil || ir.UploadId == "" {
		t.Fatalf("CreateMultipartUpload %s: %s", key, r)
	}
	var done strings.Builder
	done.WriteString("<CompleteMultipartUpload>")
	for n, off := 1, 0; off < len(data); n, off = n+1, off+partSize {
		end := min(off+partSize, len(data))
		pr := s.Do(t, "PUT", path, url.Values{"uploadId": {ir.UploadId}, "partNumber": {fmt.Sprint(n)}}, data[off:end])
		if pr.Status != 200 {
			t.Fatalf("UploadPart %d of %s: %s", n, key, pr)
		}
		fmt.Fprintf(&done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, pr.Header.Get("ETag"))
	}
	done.WriteString("</CompleteMultipartUpload>")
	r = s.Do(t, "POST", path, url.Values{"uploadId": {ir.UploadId}}, []byte(done.String()))
	if r.Status != 200 || !bytes.Contains(r.Body, []byte("CompleteMultipartUploadResult")) {
		t.Fatalf("CompleteMultipartUpload %s: %s", key, r)
	}
}

func (f *faultFixture) keys() []string {
	var ks []string
	for k := range f.files {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// checkAll reads every file back through the mount and over S3 and wants
// every byte right.
func (f *faultFixture) checkAll(t *testing.T, when string) {
	t.Helper()
	for _, k := range f.keys() {
		want := f.files[k]
		got, err := os.ReadFile(filepath.Join(f.d.Mount, f.bucket, k))
		if err != nil {
			t.Errorf("%s: read %s through the mount: %v", when, k, err)
		} else if !bytes.Equal(got, want) {
			t.Errorf("%s: %s through the mount: %d bytes md5 %s, want %d bytes md5 %s%s", when, k, len(got), md5hex(got), len(want), md5hex(want), firstDiff(got, want))
		}
		r := f.s.do("GET", "/"+f.bucket+"/"+k, nil, nil)
		if r.Err != nil || r.Status != 200 {
			t.Errorf("%s: GET %s: %s", when, k, r)
		} else if !bytes.Equal(r.Body, want) {
			t.Errorf("%s: GET %s: %d bytes md5 %s, want %d bytes md5 %s%s", when, k, len(r.Body), md5hex(r.Body), len(want), md5hex(want), firstDiff(r.Body, want))
		}
	}
}

// restart stops the daemon, runs change on the stopped data, and starts it.
func (f *faultFixture) restart(t *testing.T, change func()) {
	t.Helper()
	if err := f.d.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	change()
	if err := f.d.Start(); err != nil {
		t.Fatalf("restart: %v\nlog tail:\n%s", err, f.d.LogTail(40))
	}
}

// moveAway renames shard directories aside; the returned function puts the
// originals back (dropping whatever the daemon made in their place).
func (f *faultFixture) moveAway(t *testing.T, idx ...int) (restore func()) {
	t.Helper()
	for _, i := range idx {
		if err := os.Rename(f.disks[i], f.disks[i]+".away"); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for _, i := range idx {
			if err := os.RemoveAll(f.disks[i]); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(f.disks[i]+".away", f.disks[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// shardFiles lists the shard files of one directory.
func shardFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && !strings.HasPrefix(fi.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// corrupt flips n random bytes in every shard file of dir.
func corrupt(t testing.TB, dir string, n int) int {
	t.Helper()
	files := shardFiles(t, dir)
	for _, p := range files {
		fh, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := fh.Stat()
		for i := 0; i < n && fi.Size() > 0; i++ {
			off := mrand.Int64N(fi.Size())
			b := make([]byte, 1)
			fh.ReadAt(b, off)
			b[0] ^= byte(1 + mrand.IntN(255))
			fh.WriteAt(b, off)
		}
		fh.Close()
	}
	return len(files)
}

// TestFaults loses and damages shard directories of a stopped daemon and
// reads everything back through both doors.
func TestFaults(t *testing.T) {
	f := newFaultFixture(t)
	if n := len(shardFiles(t, f.disks[0])); n == 0 {
		t.Fatalf("no shard files in %s after writing %d MiB", f.disks[0], 25)
	}

	for _, tc := range []struct {
		name  string
		lost  []int
		mkdir bool // put an empty directory in place (as a replaced disk)
	}{
		{"data+data", []int{0, 1}, false},
		{"data+parity", []int{2, 4}, true},
		{"parity+parity", []int{4, 5}, false},
		{"first+last", []int{0, 5}, true},
	} {
		t.Run("lose "+tc.name, func(t *testing.T) {
			var restore func()
			f.restart(t, func() {
				restore = f.moveAway(t, tc.lost...)
				if tc.mkdir {
					for _, i := range tc.lost {
						os.Mkdir(f.disks[i], 0o755)
					}
				}
			})
			f.checkAll(t, fmt.Sprintf("without disks %v", tc.lost))
			f.restart(t, restore)
		})
	}

	t.Run("write with one directory lost", func(t *testing.T) {
		var restore func()
		f.restart(t, func() { restore = f.moveAway(t, 3) })
		for _, k := range []string{"degraded/fs.bin", "degraded/s3.bin"} {
			f.files[k] = randBytes(2<<20 + 11)
		}
		writeFile(t, filepath.Join(f.d.Mount, f.bucket), "degraded/fs.bin", f.files["degraded/fs.bin"])
		if r := f.s.Do(t, "PUT", "/"+f.bucket+"/degraded/s3.bin", nil, f.files["degraded/s3.bin"]); r.Status != 200 {
			t.Fatalf("PUT with one disk lost: %s", r)
		}
		f.checkAll(t, "written without disk 3")
		// The old disk comes back without the new shards; then another goes.
		f.restart(t, restore)
		f.checkAll(t, "disk 3 back")
		f.restart(t, func() { restore = f.moveAway(t, 0) })
		f.checkAll(t, "disk 3 back without the new shards, disk 0 lost")
		f.restart(t, restore)
		// Nothing heals these blobs yet (no scrub), so they survive one
		// more loss only: the two-loss tests below are not for them.
		for _, k := range []string{"degraded/fs.bin", "degraded/s3.bin"} {
			if r := f.s.Do(t, "DELETE", "/"+f.bucket+"/"+k, nil, nil); r.Status != 204 {
				t.Errorf("DELETE %s: %s", k, r)
			}
			delete(f.files, k)
		}
	})

	t.Run("corrupt one directory", func(t *testing.T) {
		f.restart(t, func() {
			if n := corrupt(t, f.disks[1], 8); n == 0 {
				t.Fatalf("no shard files to corrupt in %s", f.disks[1])
			}
		})
		f.checkAll(t, "disk 1 corrupted")
	})

	t.Run("corrupt two directories", func(t *testing.T) {
		f.restart(t, func() {
			corrupt(t, f.disks[1], 8)
			corrupt(t, f.disks[4], 8)
		})
		f.checkAll(t, "disks 1 and 4 corrupted")
	})

	t.Run("lose three directories", func(t *testing.T) {
		var restore func()
		f.restart(t, func() { restore = f.moveAway(t, 0, 2, 5) })
		for _, k := range f.keys() {
			want := f.files[k]
			got, err := readUntilError(filepath.Join(f.d.Mount, f.bucket, k))
			if !bytes.HasPrefix(want, got) {
				t.Errorf("%s through the mount: WRONG BYTES (%d bytes read, %v)%s", k, len(got), err, firstDiff(got, want))
			}
			r := f.s.do("GET", "/"+f.bucket+"/"+k, nil, nil)
			// An error answer carries an XML document, not object bytes.
			if r.Status < 300 && !bytes.HasPrefix(want, r.Body) {
				t.Errorf("GET %s: WRONG BYTES (HTTP %d, %d bytes)%s", k, r.Status, len(r.Body), firstDiff(r.Body, want))
			}
			if f.inline[k] {
				// Small files live in the metadata: nothing was lost.
				if err != nil || len(got) != len(want) {
					t.Errorf("inline file %s through the mount: %d bytes, %v; want all %d", k, len(got), err, len(want))
				}
				if r.Status != 200 || len(r.Body) != len(want) {
					t.Errorf("GET inline %s: %s", k, r)
				}
				continue
			}
			if !errors.Is(err, syscall.EIO) {
				t.Errorf("%s through the mount: %d of %d bytes, error %v; want EIO", k, len(got), len(want), err)
			}
			switch {
			case r.Err == nil && r.Status >= 500:
			case r.Err != nil && r.Status == 200 && len(r.Body) < len(want):
				t.Logf("GET %s: HTTP 200, body cut after %d of %d bytes (%v): the failure came mid-stream", k, len(r.Body), len(want), r.Err)
			case r.Err != nil && r.Status == 0:
				t.Errorf("GET %s with 3 of 6 disks lost: the connection was closed without a status line (%v); want a 5xx S3 error, since nothing of the body could be read", k, r.Err)
			default:
				t.Errorf("GET %s with 3 of 6 disks lost: HTTP %d, %d bytes, %v; want a 5xx error", k, r.Status, len(r.Body), r.Err)
			}
		}
		f.restart(t, restore)
		f.checkAll(t, "after the three disks came back")
	})
}

// readUntilError reads path sequentially and returns what it got before
// the first error.
func readUntilError(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	var out []byte
	buf := make([]byte, 128<<10)
	for {
		n, err := fh.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
