package tests

import (
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bitrot flips bytes in the shard files of a data set behind the daemon's
// back, at most m = 2 shards per blob so that every blob stays readable.
type bitrot struct {
	disks []string
	// shards: blob id -> shard index -> path of its file.
	shards map[string]map[int]string
	hit    map[string]bool // blobs damaged already
}

func newBitrot(t *testing.T, disks []string) *bitrot {
	t.Helper()
	b := &bitrot{disks: disks, shards: map[string]map[int]string{}, hit: map[string]bool{}}
	for _, dir := range disks {
		for _, p := range shardFiles(t, dir) {
			id, idx, ok := strings.Cut(filepath.Base(p), ".")
			n, err := strconv.Atoi(idx)
			if !ok || err != nil || len(id) != 16 {
				continue // the disk's identity marker
			}
			if b.shards[id] == nil {
				b.shards[id] = map[int]string{}
			}
			b.shards[id][n] = p
		}
	}
	return b
}

// inject damages `blobs` blobs not damaged before, one or two shards
// each, flipping 1 to 4 bytes per shard (anywhere: header, data,
// padding). It returns the blobs and shard files it damaged.
func (b *bitrot) inject(t *testing.T, rng *mrand.Rand, blobs int) (damagedBlobs, damagedShards int) {
	t.Helper()
	var ids []string
	for id := range b.shards {
		if !b.hit[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for _, id := range ids[:min(blobs, len(ids))] {
		var idxs []int
		for i := range b.shards[id] {
			idxs = append(idxs, i)
		}
		sort.Ints(idxs)
		rng.Shuffle(len(idxs), func(i, j int) { idxs[i], idxs[j] = idxs[j], idxs[i] })
		for _, i := range idxs[:1+rng.IntN(2)] {
			flipRandomBytes(t, rng, b.shards[id][i], 1+rng.IntN(4))
			damagedShards++
		}
		b.hit[id] = true
		damagedBlobs++
	}
	return damagedBlobs, damagedShards
}

// flipRandomBytes changes n distinct bytes of the file at path in place.
func flipRandomBytes(t *testing.T, rng *mrand.Rand, path string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		t.Fatalf("%s: %v (size %d)", path, err, fi.Size())
	}
	done := map[int64]bool{}
	for len(done) < min(n, int(fi.Size())) {
		off := rng.Int64N(fi.Size())
		if done[off] {
			continue
		}
		done[off] = true
		c := make([]byte, 1)
		f.ReadAt(c, off)
		c[0] ^= byte(1 + rng.IntN(255))
		if _, err := f.WriteAt(c, off); err != nil {
			t.Fatal(err)
		}
	}
}

// readers GET every object (whole and ranges) and read it through the
// mount in a loop until stop; any wrong byte is an error, failures are
// counted.
func startReaders(t *testing.T, d *daemon, set *objectSet, stop <-chan struct{}) (wait func() (reads, failures int64)) {
	var reads, failures atomic.Int64
	var wg sync.WaitGroup
	s := rootS3(d)
	keys := make([]string, 0, len(set.files))
	for k := range set.files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for r := 0; r < 3; r++ {
		wg.Go(func() {
			rng := mrand.New(mrand.NewPCG(uint64(r), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := keys[rng.IntN(len(keys))]
				want := set.files[k]
				reads.Add(1)
				switch r {
				case 0: // whole object over S3
					resp := s.do("GET", "/"+set.bucket+"/"+k, nil, nil)
					if resp.Err != nil || resp.Status != 200 {
						failures.Add(1)
					} else if string(resp.Body) != string(want) {
						t.Errorf("GET %s during bitrot: WRONG BYTES (%d bytes, want %d)%s", k, len(resp.Body), len(want), firstDiff(resp.Body, want))
					}
				case 1: // a range over S3
					if len(want) == 0 {
						continue
					}
					a := rng.IntN(len(want))
					e := min(len(want), a+1+rng.IntN(300<<10))
					resp := s.do("GET", "/"+set.bucket+"/"+k, url.Values{}, nil, "Range", fmt.Sprintf("bytes=%d-%d", a, e-1))
					if resp.Err != nil || resp.Status != 206 {
						failures.Add(1)
					} else if string(resp.Body) != string(want[a:e]) {
						t.Errorf("GET %s bytes %d-%d during bitrot: WRONG BYTES", k, a, e-1)
					}
				default: // through the mount (maybe from the page cache: never wrong either)
					got, err := os.ReadFile(filepath.Join(d.Mount, set.bucket, k))
					if err != nil {
						failures.Add(1)
					} else if string(got) != string(want) {
						t.Errorf("%s through the mount during bitrot: WRONG BYTES (%d bytes, want %d)", k, len(got), len(want))
					}
				}
			}
		})
	}
	return func() (int64, int64) { wg.Wait(); return reads.Load(), failures.Load() }
}

// scrubNow runs `shallot scrub` and parses its counts.
func scrubNow(t *testing.T, d *daemon) map[string]int {
	t.Helper()
	out, code := shallotCmd(t, "scrub", "--data", d.Data)
	if code != 0 {
		t.Errorf("shallot scrub: exit %d\n%s", code, out)
	}
	return parseCounts(t, out)
}

// parseCounts reads "12 blobs, 3.0MiB read, 2 damaged (3 shards), 2
// repaired, ..." into a map.
func parseCounts(t *testing.T, out string) map[string]int {
	t.Helper()
	c := map[string]int{}
	line := out[strings.Index(out, ":")+1:]
	for _, part := range strings.Split(line, ",") {
		f := strings.Fields(strings.NewReplacer("(", "", ")", "").Replace(part))
		if len(f) < 2 {
			continue
		}
		if n, err := strconv.Atoi(f[0]); err == nil {
			c[f[1]] = n
			if len(f) >= 4 {
				if m, err := strconv.Atoi(f[2]); err == nil {
					c[f[3]] = m // "2 damaged (3 shards)"
				}
			}
		}
	}
	return c
}

// TestDurabilityBitrot flips random bytes in random shard files while the
// daemon serves reads: every read returns the right bytes or an error,
// never wrong bytes; a scrub finds and repairs every damaged shard, with
// the counts in its answer, the status and the log. Then the background
// scrub (rate-limited) does the same after a restart, resuming a pass
// that a stop cut short.
func TestDurabilityBitrot(t *testing.T) {
	base := t.TempDir()
	var disks []string
	for i := 0; i < 6; i++ {
		disks = append(disks, filepath.Join(base, fmt.Sprintf("disk%d", i)))
	}
	d := durableDaemon(t, daemonOptions{Disks: disks, EC: "4+2"}, false, "--scrub-rate", "off", "--probe-interval", "200ms")
	bucket := newBucket(t, d, "bitrot")
	set := writeObjectSet(t, d, bucket)
	s := rootS3(d)
	for i := 0; i < 120; i++ {
		k := fmt.Sprintf("more/m%03d", i)
		set.files[k] = randBytes(100<<10 + i*1000)
		if r := s.Do(t, "PUT", "/"+bucket+"/"+k, nil, set.files[k]); r.Status != 200 {
			t.Fatalf("PUT: %s", r)
		}
	}
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	rot := newBitrot(t, disks)
	t.Logf("%d blobs on the disks", len(rot.shards))
	if c := scrubNow(t, d); c["damaged"] != 0 {
		t.Fatalf("damage before any injection: %v", c)
	}

	totalBlobs, totalShards, totalReads := 0, 0, int64(0)
	for round := 1; round <= 3; round++ {
		stop := make(chan struct{})
		wait := startReaders(t, d, set, stop)
		blobs, shards := 0, 0
		for i := 0; i < 4; i++ { // while the readers run
			b, sh := rot.inject(t, rng, 3)
			blobs, shards = blobs+b, shards+sh
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond)
		close(stop)
		reads, failures := wait()
		totalReads += reads
		c := scrubNow(t, d)
		t.Logf("round %d: %d reads during the injection (%d failed, none wrong); %d blobs with %d damaged shards; scrub: %v",
			round, reads, failures, blobs, shards, c)
		if c["damaged"] != blobs || c["shards"] != shards || c["repaired"] != blobs {
			t.Errorf("round %d: scrub found %v; the disks held %d damaged blobs (%d shards)", round, c, blobs, shards)
		}
		if again := scrubNow(t, d); again["damaged"] != 0 {
			t.Errorf("round %d: a second scrub still finds %v", round, again)
		}
		totalBlobs, totalShards = totalBlobs+blobs, totalShards+shards
		checkS3(t, s, set, fmt.Sprintf("after scrub round %d", round))
		rot = newBitrot(t, disks)
	}
	st := statusOf(t, d)
	if st.Scrub.Last.Damaged != 0 || st.DegradedBlobs != 0 || st.LostBlobs != 0 {
		t.Errorf("status after the scrubs: %+v", st)
	}
	if n := strings.Count(d.LogTail(100000), "scrub repaired blob"); n < totalBlobs {
		t.Errorf("the log tells of %d scrub repairs, want %d", n, totalBlobs)
	}
	t.Logf("bitrot: %d blobs, %d shard files damaged in 3 rounds, %d reads during injection", totalBlobs, totalShards, totalReads)

	// The background scrub, slow, stopped half way and resumed.
	blobs, shards := rot.inject(t, rng, 8)
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	setWrapperFlags(t, d, nil, "--scrub-rate", "8MiB", "--scrub-interval", "1s", "--probe-interval", "200ms")
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	first := waitStatus(t, d, "a background scrub pass past its first 64 blobs", func(st daemonStatus) bool {
		return st.Scrub.Running && st.Scrub.Current.Blobs > 70
	})
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}
	setWrapperFlags(t, d, nil, "--scrub-rate", "512MiB", "--scrub-interval", "1h", "--probe-interval", "200ms")
	off := d.LogSize()
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	st = waitStatus(t, d, "the resumed pass to finish", func(st daemonStatus) bool {
		return !st.Scrub.Running && st.Scrub.Pass == first.Scrub.Pass && st.Scrub.Last.Blobs > 0
	})
	if !strings.Contains(d.LogSince(off), "scrub pass resumed") {
		t.Error("the log does not tell of a resumed scrub pass")
	}
	if int(st.Scrub.Last.Damaged) != blobs || int(st.Scrub.Last.ShardsBad) != shards || int(st.Scrub.Last.Repaired) != blobs ||
		int(st.Scrub.Last.Blobs) != len(rot.shards) {
		t.Errorf("resumed background pass counted %+v; %d blobs (%d shards) of %d were damaged", st.Scrub.Last, blobs, shards, len(rot.shards))
	}
	checkS3(t, s, set, "after the background scrub")
	t.Logf("background scrub: %d blobs with %d damaged shards repaired by pass %d, resumed after a stop", blobs, shards, st.Scrub.Pass)
}
