package tests

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The crash harness: workers run a mixed workload through both doors, each
// on keys of its own, and record what was acknowledged; the daemon is
// killed with SIGKILL at a random moment, restarted, and every key must
// then be in a state the record allows: the last acknowledged one, or one
// the operation in flight could have left (an operation is atomic, or has
// the committed intermediate states POSIX lets it have, such as the empty
// file after open(O_TRUNC)). Both doors must show the same bytes and the
// same names.

// kstate is the state of one key: absent, or present with content.
type kstate struct {
	present bool
	data    []byte
}

func (s kstate) String() string {
	if !s.present {
		return "absent"
	}
	return fmt.Sprintf("%d bytes md5 %s", len(s.data), md5hex(s.data))
}

func (s kstate) equal(o kstate) bool {
	return s.present == o.present && bytes.Equal(s.data, o.data)
}

func present(b []byte) kstate { return kstate{present: true, data: b} }

// world is a state the keys an operation touches may be left in.
type world map[string]kstate

type crashWorker struct {
	id    int
	door  string // "mount" or "s3"
	dir   string // the worker's directory in the bucket
	keys  []string
	acked map[string]kstate
	// inflight lists the worlds the operation running at the crash may
	// have left; nil when none runs.
	inflight []world
	opName   string
	rng      *rand.Rand

	ops, acks map[string]int
	err       error
	errAt     time.Time
}

func newCrashWorker(id int, door string, nkeys int, seed uint64) *crashWorker {
	w := &crashWorker{id: id, door: door, dir: fmt.Sprintf("%s%d", door[:1], id), acked: map[string]kstate{},
		rng: rand.New(rand.NewPCG(seed, uint64(id))), ops: map[string]int{}, acks: map[string]int{}}
	for j := 0; j < nkeys; j++ {
		k := fmt.Sprintf("%s/k%d", w.dir, j)
		w.keys = append(w.keys, k)
		w.acked[k] = kstate{}
	}
	return w
}

// content returns a body of a size from a mix around the interesting
// boundaries: empty, small (inline), near the inline limit, a few blobs.
func (w *crashWorker) content() []byte {
	var n int
	switch r := w.rng.IntN(100); {
	case r < 5:
		n = 0
	case r < 45:
		n = 1 + w.rng.IntN(4000)
	case r < 60:
		n = 60<<10 + w.rng.IntN(10<<10)
	case r < 92:
		n = 100<<10 + w.rng.IntN(1500<<10)
	default:
		n = 4<<20 + w.rng.IntN(2<<20)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.rng.Uint32())
	}
	return b
}

func (w *crashWorker) pick() string { return w.keys[w.rng.IntN(len(w.keys))] }

func (w *crashWorker) pickPresent() (string, bool) {
	var ks []string
	for _, k := range w.keys {
		if w.acked[k].present {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return "", false
	}
	return ks[w.rng.IntN(len(ks))], true
}

// begin records an operation's possible outcomes before it is issued; the
// acknowledged (unchanged) world is always one of them.
func (w *crashWorker) begin(name string, outcomes ...world) {
	keys := map[string]bool{}
	for _, o := range outcomes {
		for k := range o {
			keys[k] = true
		}
	}
	unchanged := world{}
	for k := range keys {
		unchanged[k] = w.acked[k]
	}
	w.inflight = append([]world{unchanged}, outcomes...)
	w.opName = name
	w.ops[name]++
}

// ack records that the operation was acknowledged with outcome o.
func (w *crashWorker) ack(o world) {
	for k, s := range o {
		w.acked[k] = s
	}
	w.inflight = nil
	w.acks[w.opName]++
}

// run performs operations until stop is closed or one fails.
func (w *crashWorker) run(d *daemon, s *s3raw, bucket string, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		var err error
		if w.door == "mount" {
			err = w.mountOp(filepath.Join(d.Mount, bucket))
		} else {
			err = w.s3Op(s, bucket)
		}
		if err != nil {
			w.err, w.errAt = err, time.Now()
			return
		}
	}
}

func (w *crashWorker) mountOp(root string) error {
	path := func(k string) string { return filepath.Join(root, k) }
	switch r := w.rng.IntN(100); {
	case r < 30: // create or overwrite: open(O_TRUNC) commits the empty file
		k, c := w.pick(), w.content()
		w.begin("mount write", world{k: present(nil)}, world{k: present(c)})
		if err := writeInTwo(path(k), os.O_TRUNC, c); err != nil {
			return err
		}
		w.ack(world{k: present(c)})
	case r < 45: // append
		k, ok := w.pickPresent()
		if !ok {
			return nil
		}
		old, c := w.acked[k].data, w.content()
		if len(old)+len(c) > 12<<20 {
			c = c[:min(len(c), 1000)]
		}
		nw := append(append([]byte(nil), old...), c...)
		w.begin("mount append", world{k: present(nw)})
		if err := writeInTwo(path(k), os.O_APPEND, c); err != nil {
			return err
		}
		w.ack(world{k: present(nw)})
	case r < 55: // overwrite a range in place
		k, ok := w.pickPresent()
		if !ok {
			return nil
		}
		old := w.acked[k].data
		off := w.rng.IntN(len(old) + 1)
		c := w.content()
		c = c[:min(len(c), 200<<10)]
		nw := append([]byte(nil), old...)
		if end := off + len(c); end > len(nw) {
			nw = append(nw, make([]byte, end-len(nw))...)
		}
		copy(nw[off:], c)
		w.begin("mount pwrite", world{k: present(nw)})
		f, err := os.OpenFile(path(k), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(c, int64(off)); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		w.ack(world{k: present(nw)})
	case r < 65: // write, fsync, write more, close: the fsync acknowledges the first half
		k, a, b := w.pick(), w.content(), w.content()
		ab := append(append([]byte(nil), a...), b...)
		w.begin("mount fsync", world{k: present(nil)}, world{k: present(a)}, world{k: present(ab)})
		f, err := os.OpenFile(path(k), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(a); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		w.acked[k] = present(a)
		w.inflight = []world{{k: present(a)}, {k: present(ab)}}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		w.ack(world{k: present(ab)})
	case r < 80: // rename over another key
		src, ok := w.pickPresent()
		dst := w.pick()
		if !ok || src == dst {
			return nil
		}
		moved := world{src: {}, dst: w.acked[src]}
		w.begin("mount rename", moved)
		if err := os.Rename(path(src), path(dst)); err != nil {
			return err
		}
		w.ack(moved)
	default: // unlink
		k, ok := w.pickPresent()
		if !ok {
			return nil
		}
		w.begin("mount unlink", world{k: {}})
		if err := os.Remove(path(k)); err != nil {
			return err
		}
		w.ack(world{k: {}})
	}
	return nil
}

// writeInTwo opens path with flag (and O_WRONLY|O_CREATE), writes c in two
// pieces and closes it.
func writeInTwo(path string, flag int, c []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|flag, 0o644)
	if err != nil {
		return err
	}
	half := len(c) / 2
	for _, p := range [][]byte{c[:half], c[half:]} {
		if _, err := f.Write(p); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func (w *crashWorker) s3Op(s *s3raw, bucket string) error {
	obj := func(k string) string { return "/" + bucket + "/" + k }
	check := func(r s3resp, want int) error {
		if r.Err != nil {
			return r.Err
		}
		if r.Status != want {
			return fmt.Errorf("%s %s: HTTP %d %s", r.Method, r.Path, r.Status, r.ErrorCode())
		}
		return nil
	}
	switch r := w.rng.IntN(100); {
	case r < 45:
		k, c := w.pick(), w.content()
		w.begin("s3 put", world{k: present(c)})
		if err := check(s.do("PUT", obj(k), nil, c), 200); err != nil {
			return err
		}
		w.ack(world{k: present(c)})
	case r < 55:
		k := w.pick()
		c := randBytes(5<<20 + w.rng.IntN(300<<10))
		w.begin("s3 multipart", world{k: present(c)})
		if err := tryMultipart(s, bucket, k, c, 5<<20); err != nil {
			return err
		}
		w.ack(world{k: present(c)})
	case r < 75:
		src, ok := w.pickPresent()
		dst := w.pick()
		if !ok || src == dst {
			return nil
		}
		w.begin("s3 copy", world{dst: w.acked[src]})
		if err := check(s.do("PUT", obj(dst), nil, nil, "X-Amz-Copy-Source", obj(src)), 200); err != nil {
			return err
		}
		w.ack(world{dst: w.acked[src]})
	default:
		k := w.pick()
		w.begin("s3 delete", world{k: {}})
		if err := check(s.do("DELETE", obj(k), nil, nil), 204); err != nil {
			return err
		}
		w.ack(world{k: {}})
	}
	return nil
}

// tryMultipart is multipartPut returning errors instead of failing.
func tryMultipart(s *s3raw, bucket, key string, data []byte, partSize int) error {
	path := "/" + bucket + "/" + key
	r := s.do("POST", path, url.Values{"uploads": {""}}, nil)
	var ir struct{ UploadId string }
	if r.Err != nil || r.Status != 200 || xml.Unmarshal(r.Body, &ir) != nil {
		return fmt.Errorf("CreateMultipartUpload: %s", r)
	}
	var done strings.Builder
	done.WriteString("<CompleteMultipartUpload>")
	for n, off := 1, 0; off < len(data); n, off = n+1, off+partSize {
		pr := s.do("PUT", path, url.Values{"uploadId": {ir.UploadId}, "partNumber": {strconv.Itoa(n)}}, data[off:min(off+partSize, len(data))])
		if pr.Err != nil || pr.Status != 200 {
			return fmt.Errorf("UploadPart %d: %s", n, pr)
		}
		fmt.Fprintf(&done, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", n, pr.Header.Get("ETag"))
	}
	done.WriteString("</CompleteMultipartUpload>")
	r = s.do("POST", path, url.Values{"uploadId": {ir.UploadId}}, []byte(done.String()))
	if r.Err != nil || r.Status != 200 || !bytes.Contains(r.Body, []byte("CompleteMultipartUploadResult")) {
		return fmt.Errorf("CompleteMultipartUpload: %s", r)
	}
	return nil
}

// observe reads a key through both doors; they must agree.
func observe(t *testing.T, d *daemon, s *s3raw, bucket, k string) (kstate, bool) {
	t.Helper()
	r := s.do("GET", "/"+bucket+"/"+k, nil, nil)
	var viaS3 kstate
	switch {
	case r.Err != nil:
		t.Errorf("GET %s after the restart: %v", k, r.Err)
		return kstate{}, false
	case r.Status == 404:
	case r.Status == 200:
		viaS3 = present(r.Body)
	default:
		t.Errorf("GET %s after the restart: %s", k, r)
		return kstate{}, false
	}
	var viaMount kstate
	b, err := os.ReadFile(filepath.Join(d.Mount, bucket, k))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		t.Errorf("read %s through the mount after the restart: %v", k, err)
		return kstate{}, false
	default:
		viaMount = present(b)
	}
	if !viaS3.equal(viaMount) {
		t.Errorf("%s: the doors disagree: S3 %s, mount %s", k, viaS3, viaMount)
		return kstate{}, false
	}
	return viaS3, true
}

// verify checks every key of w against its record and rebases the record
// on what is there.
func (w *crashWorker) verify(t *testing.T, d *daemon, s *s3raw, bucket string, cycle int) {
	t.Helper()
	seen := map[string]kstate{}
	for _, k := range w.keys {
		st, ok := observe(t, d, s, bucket, k)
		if !ok {
			return
		}
		seen[k] = st
	}
	touched := map[string]bool{}
	for _, o := range w.inflight {
		for k := range o {
			touched[k] = true
		}
	}
	for _, k := range w.keys {
		if !touched[k] && !seen[k].equal(w.acked[k]) {
			t.Errorf("cycle %d: %s (no operation in flight on it) is %s, acknowledged %s: LOST OR CHANGED", cycle, k, seen[k], w.acked[k])
		}
	}
	if len(w.inflight) > 0 {
		match := false
		for _, o := range w.inflight {
			all := true
			for k, want := range o {
				all = all && seen[k].equal(want)
			}
			match = match || all
		}
		if !match {
			var b strings.Builder
			for i, o := range w.inflight {
				fmt.Fprintf(&b, "\n  outcome %d:", i)
				for k, st := range o {
					fmt.Fprintf(&b, " %s=%s (found %s)", k, st, seen[k])
				}
			}
			t.Errorf("cycle %d: worker %s: %s in flight at the crash left a state it cannot produce:%s", cycle, w.dir, w.opName, b.String())
		}
	}
	for k, st := range seen {
		w.acked[k] = st
	}
	w.inflight = nil
}

// mountNames lists the regular files under root, relative to it.
func mountNames(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", root, err)
	}
	sort.Strings(out)
	return out
}

// fsckAfterCrash runs fsck on the killed daemon's data: a crash may leave
// orphan blobs (written for commits that never came) and nothing else.
func fsckAfterCrash(t *testing.T, d *daemon, data string) {
	t.Helper()
	out, code := shallotCmd(t, "fsck", "--data", d.Data, "--check-data", data, "--json")
	var rep struct {
		Problems []struct{ Kind, Object, Detail string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || (code != 0 && code != 4) {
		t.Errorf("fsck after kill -9: exit %d: %v\n%s", code, err, out)
		return
	}
	for _, p := range rep.Problems {
		if p.Kind != "orphan-blob" {
			t.Errorf("fsck after kill -9: %s %s: %s", p.Kind, p.Object, p.Detail)
		}
	}
}

// TestDurabilityCrash runs the crash harness: SHALLOT_CRASH_CYCLES kill
// cycles (default 50).
func TestDurabilityCrash(t *testing.T) {
	cycles := 50
	if v := os.Getenv("SHALLOT_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("SHALLOT_CRASH_CYCLES=%q", v)
		}
		cycles = n
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("SHALLOT_CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (SHALLOT_CRASH_SEED to repeat), %d cycles", seed, cycles)
	rng := rand.New(rand.NewPCG(seed, 0))

	d := durableDaemon(t, daemonOptions{}, false, "--scrub-rate", "off")
	s := rootS3(d)
	bucket := newBucket(t, d, "crash")
	var workers []*crashWorker
	for i, door := range []string{"mount", "mount", "s3", "s3"} {
		w := newCrashWorker(i, door, 6, seed)
		if door == "mount" {
			if err := os.Mkdir(filepath.Join(d.Mount, bucket, w.dir), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		workers = append(workers, w)
	}

	start := time.Now()
	var restarts time.Duration
	for cycle := 1; cycle <= cycles && !t.Failed(); cycle++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, w := range workers {
			w.err = nil
			wg.Go(func() { w.run(d, s, bucket, stop) })
		}
		time.Sleep(time.Duration(50+rng.IntN(700)) * time.Millisecond)
		killAt := time.Now()
		d.Kill9()
		close(stop)
		wg.Wait()
		for _, w := range workers {
			if w.err != nil && w.errAt.Before(killAt) {
				t.Errorf("cycle %d: worker %s: %s failed before the crash: %v", cycle, w.dir, w.opName, w.err)
			}
		}
		if cycle%10 == 0 || cycle == cycles {
			fsckAfterCrash(t, d, "headers")
		}
		// The restart itself clears the stale mount the crash left (see
		// TestDurabilityQuickRestart).
		t0 := time.Now()
		if err := d.Start(); err != nil {
			t.Fatalf("cycle %d: restart after kill -9: %v\n%s", cycle, err, d.LogTail(30))
		}
		restarts += time.Since(t0)
		for _, w := range workers {
			w.verify(t, d, s, bucket, cycle)
		}
		var listed []string
		for k := range s.listKeys(t, bucket, "") {
			if !strings.HasSuffix(k, "/") {
				listed = append(listed, k)
			}
		}
		sort.Strings(listed)
		onMount := mountNames(t, filepath.Join(d.Mount, bucket))
		if strings.Join(listed, " ") != strings.Join(onMount, " ") {
			t.Errorf("cycle %d: S3 lists %q, the mount holds %q", cycle, listed, onMount)
		}
	}
	ops, acks := map[string]int{}, map[string]int{}
	for _, w := range workers {
		for k, v := range w.ops {
			ops[k] += v
		}
		for k, v := range w.acks {
			acks[k] += v
		}
	}
	var summary []string
	for k, v := range ops {
		summary = append(summary, fmt.Sprintf("%s %d/%d", k, acks[k], v))
	}
	sort.Strings(summary)
	t.Logf("%d kill cycles in %v (restarts %v); operations acknowledged/issued: %s", cycles,
		time.Since(start).Round(time.Millisecond), restarts.Round(time.Millisecond), strings.Join(summary, ", "))
}

// TestDurabilityQuickRestart: a daemon restarted at once after kill -9
// (systemd's default RestartSec is 100 ms) must clear the dead mount, not
// stack a new one on it. stat(2) of the dead mount still succeeds from the
// kernel's attribute cache for a moment, so serve asks mountinfo.
func TestDurabilityQuickRestart(t *testing.T) {
	d := durableDaemon(t, daemonOptions{}, false)
	// Fresh attributes of the mount root in the kernel's cache.
	if _, err := os.Stat(d.Mount); err != nil {
		t.Fatal(err)
	}
	d.Kill9()
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile("/proc/self/mounts")
	if n := strings.Count(string(b), " "+d.Mount+" "); n != 1 {
		t.Errorf("%d mounts on %s after a quick restart, want 1", n, d.Mount)
		for i := 0; i < n-1; i++ {
			releaseMount(d.Mount)
		}
	}
}
