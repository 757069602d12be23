package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// metaFiles lists the metadata files with the given suffix.
func metaFiles(t *testing.T, d *daemon, suffix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(d.Data, "meta", "*"+suffix))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *%s file in %s/meta (%v)", suffix, d.Data, err)
	}
	return files
}

// usedLen is the length of a preallocated log file up to its last
// non-zero byte.
func usedLen(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(bytes.TrimRight(b, "\x00"))
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// TestDurabilityMetaDamage damages the metadata directory of a stopped (or
// killed) daemon the ways disks and people do, and wants the next start
// to refuse with a clear message rather than serve a namespace that
// silently lost committed changes, and never to delete shard files.
func TestDurabilityMetaDamage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		kill   bool // kill -9 (the log holds the commits) or stop (tables hold them)
		damage func(t *testing.T, d *daemon)
		want   string // in the log of the refused start
	}{
		{name: "garbled log", kill: true, want: "metadata directory damaged", damage: func(t *testing.T, d *daemon) {
			p := metaFiles(t, d, ".mem")[0]
			flipByte(t, p, int64(usedLen(t, p)/3))
		}},
		{name: "truncated log", kill: true, want: "metadata directory damaged", damage: func(t *testing.T, d *daemon) {
			p := metaFiles(t, d, ".mem")[0]
			if err := os.Truncate(p, int64(usedLen(t, p)/2)); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "log deleted", kill: true, want: "metadata directory damaged", damage: func(t *testing.T, d *daemon) {
			for _, p := range metaFiles(t, d, ".mem") {
				os.Remove(p)
			}
		}},
		{name: "truncated table", want: "metadata directory damaged", damage: func(t *testing.T, d *daemon) {
			p := metaFiles(t, d, ".sst")[0]
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "garbled table", want: "open metadata", damage: func(t *testing.T, d *daemon) {
			p := metaFiles(t, d, ".sst")[0]
			fi, _ := os.Stat(p)
			for off := int64(64); off < fi.Size()-64; off += 61 {
				flipByte(t, p, off)
			}
		}},
		{name: "metadata directory deleted", want: "metadata directory damaged", damage: func(t *testing.T, d *daemon) {
			if err := os.RemoveAll(filepath.Join(d.Data, "meta")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "metadata and checkpoint deleted", want: "not the metadata these disks were written with", damage: func(t *testing.T, d *daemon) {
			os.RemoveAll(filepath.Join(d.Data, "meta"))
			os.Remove(filepath.Join(d.Data, "meta-checkpoint"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := durableDaemon(t, daemonOptions{}, false, "--scrub-rate", "off", "--checkpoint-interval", "100ms")
			bucket := newBucket(t, d, "meta")
			s := rootS3(d)
			// Many small commits, so the log has a middle to damage.
			for i := 0; i < 150; i++ {
				if r := s.Do(t, "PUT", fmt.Sprintf("/%s/k%03d", bucket, i), nil, randBytes(200+i)); r.Status != 200 {
					t.Fatalf("PUT: %s", r)
				}
			}
			if r := s.Do(t, "PUT", "/"+bucket+"/big", nil, randBytes(3<<20)); r.Status != 200 {
				t.Fatalf("PUT: %s", r)
			}
			// Let a checkpoint pass after the writes.
			time.Sleep(400 * time.Millisecond)
			if tc.kill {
				d.Kill9()
			} else if err := d.Stop(); err != nil {
				t.Fatal(err)
			}
			shards := 0
			for i := 0; i < 6; i++ {
				shards += len(shardFiles(t, filepath.Join(d.Data, fmt.Sprintf("disk%d", i))))
			}
			tc.damage(t, d)
			off := d.LogSize()
			err := d.Start()
			if err == nil {
				t.Fatalf("the daemon started on damaged metadata (%s)", tc.name)
			}
			log := d.LogSince(off)
			if !strings.Contains(log, tc.want) || strings.Contains(log, "goroutine ") {
				t.Errorf("start on %s: want a clear message with %q, no panic; got:\n%s", tc.name, tc.want, lastLines(log, 15))
			} else {
				t.Logf("start refused: %s", lastLines(log, 1))
			}
			after := 0
			for i := 0; i < 6; i++ {
				after += len(shardFiles(t, filepath.Join(d.Data, fmt.Sprintf("disk%d", i))))
			}
			if after != shards {
				t.Errorf("%d shard files before the refused start, %d after", shards, after)
			}
		})
	}
}
