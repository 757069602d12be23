package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeLog records what a writer attempted and what was acknowledged.
type writeLog struct {
	mu        sync.Mutex
	attempted map[string][][]byte // every version tried, in order
	acked     map[string][]byte   // the last acknowledged version
}

func newWriteLog() *writeLog {
	return &writeLog{attempted: map[string][][]byte{}, acked: map[string][]byte{}}
}

func (w *writeLog) try(key string, b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.attempted[key] = append(w.attempted[key], b)
}

func (w *writeLog) ack(key string, b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.acked[key] = b
}

// TestCrashKill9 kills the daemon with SIGKILL while both doors write, and
// wants every acknowledged write back after a restart, the doors agreeing.
func TestCrashKill9(t *testing.T) {
	d := startDaemon(t, daemonOptions{})
	s := rootS3(d)
	bucket := newBucket(t, d, "crash")
	b := filepath.Join(d.Mount, bucket)
	log := newWriteLog()

	// Writes finished before the crash.
	for i, size := range []int{10, 70 << 10, 2<<20 + 1} {
		key := fmt.Sprintf("before/s3-%d", i)
		body := randBytes(size)
		if r := s.Do(t, "PUT", "/"+bucket+"/"+key, nil, body); r.Status != 200 {
			t.Fatalf("PUT %s: %s", key, r)
		}
		log.try(key, body)
		log.ack(key, body)
		key = fmt.Sprintf("before/fs-%d", i)
		body = randBytes(size)
		writeFile(t, b, key, body)
		log.try(key, body)
		log.ack(key, body)
	}

	// Writers running when the crash comes.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // S3: new keys and overwrites of one key
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			key := fmt.Sprintf("stream/s3-%04d", i)
			if i%2 == 1 {
				key = "stream/s3-overwritten"
			}
			body := randBytes(1000 + (i%7)*150_000)
			log.try(key, body)
			r := s.do("PUT", "/"+bucket+"/"+key, nil, body)
			if r.Err != nil || r.Status != 200 {
				return
			}
			log.ack(key, body)
		}
	}()
	go func() { // the mount: files written and closed
		defer wg.Done()
		os.MkdirAll(filepath.Join(b, "stream"), 0o755)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			key := fmt.Sprintf("stream/fs-%04d", i)
			body := randBytes(1000 + (i%5)*200_000)
			log.try(key, body)
			f, err := os.Create(filepath.Join(b, key))
			if err != nil {
				return
			}
			_, werr := f.Write(body)
			if cerr := f.Close(); werr != nil || cerr != nil {
				return
			}
			log.ack(key, body)
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	d.Kill9()
	close(stop)
	wg.Wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	t.Logf("killed after %d acknowledged writes (%d keys attempted)", len(log.acked), len(log.attempted))

	// The next start must cope with the stale mount a crash leaves.
	if err := d.Start(); err != nil {
		t.Fatalf("restart after kill -9: %v\nlog tail:\n%s", err, d.LogTail(40))
	}

	listed := s.listKeys(t, bucket, "")
	onMount := treeFiles(t, b)
	for key, tries := range log.attempted {
		acked, wasAcked := log.acked[key]
		r := s.do("GET", "/"+bucket+"/"+key, nil, nil)
		if r.Err != nil {
			t.Errorf("GET %s: %v", key, r.Err)
			continue
		}
		if r.Status == 404 {
			if wasAcked {
				t.Errorf("%s: acknowledged before the crash, gone after it", key)
			}
			continue
		}
		if r.Status != 200 {
			t.Errorf("GET %s: %s", key, r)
			continue
		}
		// What is there must be a version that was written whole: the last
		// acknowledged one or one attempted after it.
		ok := false
		from := 0
		if wasAcked {
			for i, v := range tries {
				if bytes.Equal(v, acked) {
					from = i
				}
			}
		}
		for _, v := range tries[from:] {
			ok = ok || bytes.Equal(v, r.Body)
		}
		// A file created on the mount but not yet closed may survive
		// empty: its creation was a committed state of its own.
		ok = ok || (!wasAcked && len(r.Body) == 0 && strings.Contains(key, "/fs-"))
		if !ok {
			t.Errorf("%s after the crash: %d bytes md5 %s, which is no version written since the last acknowledged one (acknowledged: %v)", key, len(r.Body), md5hex(r.Body), wasAcked)
		}
		if m, ok := onMount[key]; !ok || !bytes.Equal(m, r.Body) {
			t.Errorf("%s: the mount shows %d bytes (present %v), S3 %d bytes: the doors disagree", key, len(m), ok, len(r.Body))
		}
	}
	// Both doors list the same names.
	var a, bb []string
	for k := range listed {
		if !strings.HasSuffix(k, "/") { // a directory made on the mount
			a = append(a, k)
		}
	}
	for k := range onMount {
		bb = append(bb, k)
	}
	sort.Strings(a)
	sort.Strings(bb)
	if strings.Join(a, "\n") != strings.Join(bb, "\n") {
		t.Errorf("after the crash S3 lists %d keys and the mount holds %d files:\nS3: %q\nmount: %q", len(a), len(bb), a, bb)
	}
}
