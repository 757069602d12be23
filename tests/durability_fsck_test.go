package tests

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// shallotCmd runs the admin tool (bin/shallot ARGS) and returns its output
// and exit code.
func shallotCmd(t testing.TB, args ...string) (string, int) {
	t.Helper()
	bin, err := daemonBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("shallot %s: %v\n%s", strings.Join(args, " "), err, out)
	return "", -1
}

// shardPath is where a disk directory keeps a file: one fan-out level
// named by the FNV-1a hash of the name (see objstore/disk.Dir).
func shardPath(dir, name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return filepath.Join(dir, fmt.Sprintf("%02x", h.Sum32()>>24), name)
}

// objectSet is content written through both doors, checked as a whole.
type objectSet struct {
	bucket string
	files  map[string][]byte
}

// writeObjectSet writes a mix of sizes over S3 (one multipart) and through
// the mount.
func writeObjectSet(t *testing.T, d *daemon, bucket string) *objectSet {
	t.Helper()
	s := rootS3(d)
	o := &objectSet{bucket: bucket, files: map[string][]byte{}}
	for i, size := range []int{0, 100, 70 << 10, 1 << 20, 5<<20 + 3} {
		key := fmt.Sprintf("s3/o%d", i)
		o.files[key] = randBytes(size)
		if r := s.Do(t, "PUT", "/"+bucket+"/"+key, nil, o.files[key]); r.Status != 200 {
			t.Fatalf("PUT %s: %s", key, r)
		}
		key = fmt.Sprintf("fs/f%d", i)
		o.files[key] = randBytes(size)
		writeFile(t, filepath.Join(d.Mount, bucket), key, o.files[key])
	}
	o.files["s3/multipart"] = randBytes(11<<20 + 5)
	multipartPut(t, s, bucket, "s3/multipart", o.files["s3/multipart"], 5<<20)
	return o
}

// check reads everything back through both doors.
func (o *objectSet) check(t *testing.T, d *daemon, when string) {
	t.Helper()
	s := rootS3(d)
	for k, want := range o.files {
		r := s.do("GET", "/"+o.bucket+"/"+k, nil, nil)
		if r.Err != nil || r.Status != 200 || string(r.Body) != string(want) {
			t.Errorf("%s: GET %s: HTTP %d, %d bytes (want %d), %v", when, k, r.Status, len(r.Body), len(want), r.Err)
		}
		got, err := os.ReadFile(filepath.Join(d.Mount, o.bucket, k))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: %s through the mount: %d bytes (want %d), %v", when, k, len(got), len(want), err)
		}
	}
}

// TestDurabilityFsck crashes a daemon in the middle of writes, damages its
// shards behind its back, and wants shallot fsck to report it in a table
// with the right exit codes, repair it, and leave every byte readable.
func TestDurabilityFsck(t *testing.T) {
	d := startDaemon(t, daemonOptions{})
	bucket := newBucket(t, d, "fsck")
	set := writeObjectSet(t, d, bucket)

	out, code := shallotCmd(t, "fsck", "--data", d.Data)
	if code != 8 || !strings.Contains(out, "daemon is running") {
		t.Errorf("fsck with the daemon running: exit %d, want 8 and a clear refusal:\n%s", code, out)
	}

	// Crash in the middle of PUTs: the blobs of unfinished PUTs are
	// orphans, which fsck finds and the next start also collects.
	s := rootS3(d)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if r := s.do("PUT", fmt.Sprintf("/%s/stream/%d", bucket, i), nil, randBytes(3<<20)); r.Err != nil {
				return
			}
		}
	}()
	time.Sleep(700 * time.Millisecond)
	d.Kill9()
	close(stop)
	wg.Wait()
	releaseMount(d.Mount)

	out, code = shallotCmd(t, "fsck", "--data", d.Data)
	t.Logf("fsck after kill -9 (exit %d):\n%s", code, out)
	if code != 0 && code != 4 {
		t.Fatalf("fsck after kill -9: exit %d", code)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.Contains(f[0], "-") && f[0] != "orphan-blob" {
			t.Errorf("after kill -9 fsck reports more than orphan blobs: %s", line)
		}
	}

	// Damage behind its back: a shard gone on disk 1, one corrupted on
	// disk 3, a stray shard file on disk 0.
	disk := func(i int) string { return filepath.Join(d.Data, fmt.Sprintf("disk%d", i)) }
	gone := shardFiles(t, disk(1))
	if len(gone) == 0 {
		t.Fatal("no shard files on disk1")
	}
	if err := os.Remove(gone[0]); err != nil {
		t.Fatal(err)
	}
	corrupt(t, disk(3), 3)
	stray := shardPath(disk(0), "00000000deadbeef.0")
	os.MkdirAll(filepath.Dir(stray), 0o755)
	if err := os.WriteFile(stray, []byte("not a shard"), 0o644); err != nil {
		t.Fatal(err)
	}

	out, code = shallotCmd(t, "fsck", "--data", d.Data)
	t.Logf("fsck of the damage (exit %d):\n%s", code, out)
	if code != 4 {
		t.Errorf("fsck of damaged data: exit %d, want 4", code)
	}
	for _, want := range []string{"KIND", "REPAIRABLE", "blob-damaged", "orphan-blob", "00000000deadbeef", "fsck --repair"} {
		if !strings.Contains(out, want) {
			t.Errorf("fsck report lacks %q", want)
		}
	}

	out, code = shallotCmd(t, "fsck", "--data", d.Data, "--repair")
	t.Logf("fsck --repair (exit %d):\n%s", code, out)
	if code != 1 || !strings.Contains(out, "repaired") || !strings.Contains(out, "finds no problems") {
		t.Errorf("fsck --repair: exit %d, want 1 and everything repaired", code)
	}
	if _, err := os.Stat(stray); err == nil {
		t.Error("the stray shard is still there after --repair")
	}
	out, code = shallotCmd(t, "fsck", "--data", d.Data)
	if code != 0 || !strings.Contains(out, "no problems found") {
		t.Errorf("fsck after the repair: exit %d:\n%s", code, out)
	}

	if err := d.Start(); err != nil {
		t.Fatalf("start after fsck: %v", err)
	}
	set.check(t, d, "after fsck --repair")
}
