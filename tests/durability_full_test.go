package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// tmpfsDisks mounts one size-limited tmpfs per shard directory, unmounted
// when the test ends (after the daemon stops: cleanups run last-in
// first-out, and this one is registered first).
func tmpfsDisks(t *testing.T, sizesMiB []int) []string {
	t.Helper()
	base := t.TempDir()
	var dirs []string
	for i, size := range sizesMiB {
		dir := filepath.Join(base, fmt.Sprintf("disk%d", i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm", size), "tmpfs", dir).CombinedOutput(); err != nil {
			t.Fatalf("mount tmpfs on %s (needs root): %v\n%s", dir, err, out)
		}
		t.Cleanup(func() {
			if err := syscall.Unmount(dir, 0); err != nil {
				if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
					t.Errorf("unmount %s: %v", dir, err)
				}
			}
		})
		dirs = append(dirs, dir)
	}
	return dirs
}

// fillUntilFull PUTs objects of size bytes under prefix until one fails;
// it returns the keys stored and the failing answer.
func fillUntilFull(t *testing.T, s *s3raw, bucket, prefix string, size, max int, stored map[string][]byte) s3resp {
	t.Helper()
	for i := 0; i < max; i++ {
		key := fmt.Sprintf("%s/%03d", prefix, i)
		body := randBytes(size)
		r := s.do("PUT", "/"+bucket+"/"+key, nil, body)
		if r.Err != nil || r.Status != 200 {
			return r
		}
		stored[key] = body
	}
	t.Fatalf("%d PUTs of %d bytes went through: the disks never filled", max, size)
	return s3resp{}
}

// TestDurabilityFullDisks fills size-limited shard directories: writes
// fail with an S3 error and ENOSPC on the mount, the daemon stays up,
// nothing stored is damaged, and writes work again once space is freed.
// Then one small disk among large ones: its filling stops writes too.
func TestDurabilityFullDisks(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
	}{
		{"all full", []int{24, 24, 24, 24, 24, 24}},
		{"one full", []int{64, 64, 12, 64, 64, 64}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			disks := tmpfsDisks(t, tc.sizes)
			d := durableDaemon(t, daemonOptions{Disks: disks, EC: "4+2"}, false, "--probe-interval", "200ms", "--scrub-rate", "off")
			s := rootS3(d)
			bucket := newBucket(t, d, "full")
			stored := map[string][]byte{}
			r := fillUntilFull(t, s, bucket, "fill", 4<<20, 100, stored)
			t.Logf("after %d PUTs of 4 MiB: %s", len(stored), r)
			if r.Err != nil || r.Status != 507 || r.ErrorCode() == "" {
				t.Errorf("PUT on full disks: %s; want 507 Insufficient Storage with an S3 error code", r)
			}
			if len(stored) == 0 {
				t.Fatal("nothing could be written at all")
			}
			st := waitStatus(t, d, "a full disk in the status", func(st daemonStatus) bool {
				for _, dk := range st.Disks {
					if dk.State == "full" {
						return true
					}
				}
				return false
			})
			out, _ := shallotCmd(t, "status", "--data", d.Data)
			t.Logf("status:\n%s", out)
			_ = st

			// The mount: a large write fails with ENOSPC at write or close.
			f, err := os.Create(filepath.Join(d.Mount, bucket, "big-on-mount"))
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			chunk := randBytes(1 << 20)
			for i := 0; i < 64 && werr == nil; i++ {
				_, werr = f.Write(chunk)
			}
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if !errors.Is(werr, syscall.ENOSPC) {
				t.Errorf("64 MiB written through the mount on full disks: %v, want ENOSPC", werr)
			}
			if !d.Running() {
				t.Fatal("the daemon died on full disks")
			}
			// Small files still go: they live in the metadata.
			writeFile(t, filepath.Join(d.Mount, bucket), "small-on-mount", []byte("tiny"))
			stored["small-on-mount"] = []byte("tiny")
			checkStored(t, s, bucket, stored, "disks full")

			// Free space: delete half the objects; writes work again.
			n := 0
			for k := range stored {
				if n%2 == 0 && k != "small-on-mount" {
					if r := s.Do(t, "DELETE", "/"+bucket+"/"+k, nil, nil); r.Status != 204 {
						t.Fatalf("DELETE %s: %s", k, r)
					}
					delete(stored, k)
				}
				n++
			}
			os.Remove(filepath.Join(d.Mount, bucket, "big-on-mount"))
			waitStatus(t, d, "no full disk", func(st daemonStatus) bool {
				for _, dk := range st.Disks {
					if dk.State != "ok" {
						return false
					}
				}
				return true
			})
			for i := 0; i < 2; i++ {
				key := fmt.Sprintf("again/%d", i)
				body := randBytes(4 << 20)
				if r := s.do("PUT", "/"+bucket+"/"+key, nil, body); r.Err != nil || r.Status != 200 {
					t.Errorf("PUT after space was freed: %s", r)
				} else {
					stored[key] = body
				}
			}
			mountFile := randBytes(3<<20 + 5)
			writeFile(t, filepath.Join(d.Mount, bucket), "again-on-mount", mountFile)
			stored["again-on-mount"] = mountFile
			checkStored(t, s, bucket, stored, "after freeing space")
			// The stored data survives a restart too.
			if err := d.Restart(); err != nil {
				t.Fatal(err)
			}
			checkStored(t, s, bucket, stored, "after a restart")
		})
	}
}

func checkStored(t *testing.T, s *s3raw, bucket string, stored map[string][]byte, when string) {
	t.Helper()
	for k, want := range stored {
		r := s.do("GET", "/"+bucket+"/"+k, nil, nil)
		if r.Err != nil || r.Status != 200 || string(r.Body) != string(want) {
			t.Errorf("%s: GET %s: HTTP %d, %d bytes (want %d), %v", when, k, r.Status, len(r.Body), len(want), r.Err)
		}
	}
}
