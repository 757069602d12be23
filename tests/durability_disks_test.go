package tests

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// durableDaemon starts a daemon like startDaemon, with extra serve flags,
// and optionally without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (through
// setpriv), so that a shard directory made unreadable with chmod 000 is
// unreadable to it as it would be to a non-root daemon.
func durableDaemon(t *testing.T, opts daemonOptions, noDAC bool, extra ...string) *daemon {
	t.Helper()
	d, err := newDaemon(t.TempDir(), opts, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	var prefix []string
	if noDAC {
		setpriv := needTool(t, "/usr/bin/setpriv", "apt-get install util-linux")
		prefix = []string{setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"}
	}
	setWrapperFlags(t, d, prefix, extra...)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log tail (%s):\n%s", d.LogPath, d.LogTail(80))
		}
		if err := d.Stop(); err != nil {
			t.Errorf("stop daemon: %v", err)
		}
	})
	if err := d.Start(); err != nil {
		t.Fatalf("start daemon: %v\nlog tail:\n%s", err, d.LogTail(60))
	}
	return d
}

// setWrapperFlags makes the daemon run through a wrapper script that adds
// extra to serve's arguments (the harness passes its own), under the
// command prefix (e.g. setpriv). It takes effect at the next Start.
func setWrapperFlags(t testing.TB, d *daemon, prefix []string, extra ...string) {
	t.Helper()
	bin, err := daemonBinary()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(d.base, "shallot-wrapper")
	argv := append(append([]string(nil), prefix...), bin)
	script := "#!/bin/sh\nexec " + shellQuote(argv[0], argv[1:]) + ` "$@"` + shellQuote("", extra) + "\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	d.bin = wrapper
}

// daemonStatus is the part of `shallot status --json` the tests read.
type daemonStatus struct {
	Disks []struct {
		ID          string `json:"id"`
		State       string `json:"state"`
		PendingHeal bool   `json:"pending_heal"`
		Free        uint64 `json:"free_bytes"`
	} `json:"disks"`
	DegradedBlobs int64  `json:"degraded_blobs"`
	LostBlobs     uint64 `json:"lost_blobs"`
	Scrub         jobStatus
	Heal          jobStatus
}

type jobStatus struct {
	Running bool `json:"running"`
	Pass    uint64
	Pending []int `json:"pending_disks"`
	Current struct{ Blobs uint64 }

	Last struct {
		Blobs, Bytes, Damaged, ShardsBad, Repaired, Unreadable, Missing, RepairFails uint64
	} `json:"last"`
}

func statusOf(t testing.TB, d *daemon) daemonStatus {
	t.Helper()
	out, code := shallotCmd(t, "status", "--data", d.Data, "--json")
	var st daemonStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("shallot status --json: exit %d:\n%s", code, out)
	}
	return st
}

// waitStatus polls the status until cond holds (30 s at most).
func waitStatus(t testing.TB, d *daemon, what string, cond func(daemonStatus) bool) daemonStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := statusOf(t, d)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			out, _ := shallotCmd(t, "status", "--data", d.Data)
			t.Fatalf("timed out waiting for %s; status:\n%s", what, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeAtOnce deletes path as a failing disk loses it: all at once. The
// daemon probes its disks every 200 ms here, and a RemoveAll in place
// raced with it: a probe that found the identity marker already gone
// wrote it again into the half-removed directory ("directory not empty").
func removeAtOnce(path string) error {
	gone := path + ".removed"
	if err := os.Rename(path, gone); err != nil {
		return err
	}
	return os.RemoveAll(gone)
}

func healed(st daemonStatus) bool {
	for _, dk := range st.Disks {
		if dk.State != "ok" || dk.PendingHeal {
			return false
		}
	}
	return !st.Heal.Running && len(st.Heal.Pending) == 0
}

// TestDurabilityDiskLoss takes m = 2 shard directories away from a running
// daemon in each way a disk goes (deleted, emptied, made unreadable):
// reads go on, status says so, and once replacements (or the originals)
// are back the heal rebuilds every shard, after which any two other
// directories can go. More than m lost gives errors, never wrong bytes.
func TestDurabilityDiskLoss(t *testing.T) {
	base := t.TempDir()
	var disks []string
	for i := 0; i < 6; i++ {
		disks = append(disks, filepath.Join(base, fmt.Sprintf("disk%d", i)))
	}
	d := durableDaemon(t, daemonOptions{Disks: disks, EC: "4+2"}, true, "--probe-interval", "200ms", "--scrub-rate", "off")
	bucket := newBucket(t, d, "diskloss")
	set := writeObjectSet(t, d, bucket)
	s := rootS3(d)
	waitStatus(t, d, "a healthy start", healed)

	t.Run("one deleted, writes go on", func(t *testing.T) {
		healPass := statusOf(t, d).Heal.Pass
		if err := removeAtOnce(disks[2]); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, d, "the lost disk in the status", func(st daemonStatus) bool { return st.Disks[2].State == "missing" })
		for i := 0; i < 3; i++ {
			key := fmt.Sprintf("one-lost/s3-%d", i)
			set.files[key] = randBytes(1<<20 + i*100_000)
			if r := s.do("PUT", "/"+bucket+"/"+key, nil, set.files[key]); r.Err != nil || r.Status != 200 {
				t.Errorf("PUT with one disk deleted: %s", r)
			}
			key = fmt.Sprintf("one-lost/fs-%d", i)
			set.files[key] = randBytes(2<<20 + i)
			writeFile(t, filepath.Join(d.Mount, bucket), key, set.files[key])
		}
		set.check(t, d, "one disk deleted")
		if err := os.Mkdir(disks[2], 0o755); err != nil {
			t.Fatal(err)
		}
		st := waitStatus(t, d, "the heal", func(st daemonStatus) bool { return st.Heal.Pass > healPass && healed(st) })
		t.Logf("after the heal: %+v", st.Heal.Last)
	})

	for n, tc := range []struct {
		mode string
		lost []int
	}{
		{"deleted", []int{0, 3}},
		{"emptied", []int{1, 5}},
		{"unreadable", []int{2, 4}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			healPass := statusOf(t, d).Heal.Pass
			for _, i := range tc.lost {
				var err error
				switch tc.mode {
				case "deleted":
					err = removeAtOnce(disks[i])
				case "emptied":
					var ents []os.DirEntry
					if ents, err = os.ReadDir(disks[i]); err == nil {
						for _, e := range ents {
							if err = removeAtOnce(filepath.Join(disks[i], e.Name())); err != nil {
								break
							}
						}
					}
				case "unreadable":
					err = os.Chmod(disks[i], 0)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if tc.mode != "emptied" {
				want := map[string]string{"deleted": "missing", "unreadable": "unreadable"}[tc.mode]
				st := waitStatus(t, d, "the lost disks in the status", func(st daemonStatus) bool {
					return st.Disks[tc.lost[0]].State == want && st.Disks[tc.lost[1]].State == want
				})
				if st.DegradedBlobs != -1 {
					t.Errorf("status with two disks lost: %d degraded blobs, want unknown (-1)", st.DegradedBlobs)
				}
				out, _ := shallotCmd(t, "status", "--data", d.Data)
				t.Logf("status with disks %v %s:\n%s", tc.lost, tc.mode, out)
			}
			set.check(t, d, "two disks "+tc.mode)

			// Small files live in the metadata: they are written whatever
			// the disks do.
			key := fmt.Sprintf("during/%s-small", tc.mode)
			set.files[key] = randBytes(1000)
			if r := s.do("PUT", "/"+bucket+"/"+key, nil, set.files[key]); r.Err != nil || r.Status != 200 {
				t.Errorf("small PUT with two disks %s: %s", tc.mode, r)
			}
			// Blobs too: written with the k+2-m shards the disks left take.
			key = fmt.Sprintf("during/%s-large", tc.mode)
			body := randBytes(1<<20 + 17)
			if r := s.do("PUT", "/"+bucket+"/"+key, nil, body); r.Err != nil || r.Status != 200 {
				t.Errorf("1 MiB PUT with two disks %s: %s", tc.mode, r)
			} else {
				set.files[key] = body
			}
			key = fmt.Sprintf("during/%s-mount", tc.mode)
			set.files[key] = randBytes(3<<20 + 1)
			writeFile(t, filepath.Join(d.Mount, bucket), key, set.files[key])
			if !d.Running() {
				t.Fatal("the daemon died")
			}

			// Replacements (or, for unreadable, the originals) come back.
			for _, i := range tc.lost {
				var err error
				switch tc.mode {
				case "deleted":
					err = os.Mkdir(disks[i], 0o755)
				case "unreadable":
					err = os.Chmod(disks[i], 0o755)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			// A heal pass after the loss (the probe may not have seen an
			// emptied disk yet: wait for the pass, not only for calm).
			st := waitStatus(t, d, "the heal", func(st daemonStatus) bool { return st.Heal.Pass > healPass && healed(st) })
			t.Logf("after the heal: %+v", st.Heal.Last)
			set.check(t, d, "after healing "+tc.mode)

			// Any two other directories may go now.
			other := []int{(tc.lost[0] + 1 + n) % 6, (tc.lost[1] + 2 + n) % 6}
			if other[0] == other[1] || containsInt(tc.lost, other[0]) || containsInt(tc.lost, other[1]) {
				other = otherTwo(tc.lost)
			}
			for _, i := range other {
				if err := os.Rename(disks[i], disks[i]+".away"); err != nil {
					t.Fatal(err)
				}
			}
			checkS3(t, s, set, fmt.Sprintf("healed from %s, disks %v away", tc.mode, other))
			away := waitStatus(t, d, "the disks away", func(st daemonStatus) bool {
				return st.Disks[other[0]].State == "missing" && st.Disks[other[1]].State == "missing"
			})
			for _, i := range other {
				if err := os.Rename(disks[i]+".away", disks[i]); err != nil {
					t.Fatal(err)
				}
			}
			waitStatus(t, d, "the disks back", func(st daemonStatus) bool { return st.Heal.Pass > away.Heal.Pass && healed(st) })
		})
	}

	t.Run("three lost", func(t *testing.T) {
		lost := []int{0, 2, 4}
		for _, i := range lost {
			if err := os.Rename(disks[i], disks[i]+".away"); err != nil {
				t.Fatal(err)
			}
		}
		errorsSeen := 0
		for k, want := range set.files {
			r := s.do("GET", "/"+bucket+"/"+k, nil, nil)
			switch {
			case r.Err == nil && r.Status == 200 && string(r.Body) == string(want):
			case r.Err == nil && r.Status >= 500:
				errorsSeen++
			case r.Err == nil && r.Status == 200:
				t.Errorf("GET %s with 3 disks lost: WRONG BYTES (%d bytes, want %d)", k, len(r.Body), len(want))
			default:
				t.Errorf("GET %s with 3 disks lost: %s; want the object or a 5xx", k, r)
			}
			got, err := readUntilError(filepath.Join(d.Mount, bucket, k))
			if !strings.HasPrefix(string(want), string(got)) {
				t.Errorf("%s through the mount with 3 disks lost: WRONG BYTES", k)
			}
			if err != nil && !errors.Is(err, syscall.EIO) {
				t.Errorf("%s through the mount with 3 disks lost: %v, want EIO", k, err)
			}
		}
		if errorsSeen == 0 {
			t.Error("no read failed with 3 of 6 disks lost")
		}
		for _, i := range lost {
			if err := os.Rename(disks[i]+".away", disks[i]); err != nil {
				t.Fatal(err)
			}
		}
		if !d.Running() {
			t.Fatal("the daemon died")
		}
		waitStatus(t, d, "the disks back", healed)
		set.check(t, d, "after three came back")
	})
}

func containsInt(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func otherTwo(lost []int) []int {
	var out []int
	for i := 5; i >= 0 && len(out) < 2; i-- {
		if !containsInt(lost, i) {
			out = append(out, i)
		}
	}
	return out
}

// checkS3 reads every object over S3 (never from a kernel cache).
func checkS3(t *testing.T, s *s3raw, set *objectSet, when string) {
	t.Helper()
	for k, want := range set.files {
		r := s.do("GET", "/"+set.bucket+"/"+k, nil, nil)
		if r.Err != nil || r.Status != 200 || string(r.Body) != string(want) {
			t.Errorf("%s: GET %s: HTTP %d, %d bytes (want %d), %v", when, k, r.Status, len(r.Body), len(want), r.Err)
		}
	}
}
