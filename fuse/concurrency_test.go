package fuse

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

// TestConcurrentClients runs several processes' worth of file traffic at
// once, through the mount and through S3, for the race detector and for
// go-fuse's node bookkeeping (lookups racing with forgets and renames).
// The S3 side lists the directories the mount writes in, so the kernel's
// READDIRPLUS looks files up while their writes commit at close: the size
// it caches must never be older than the commit.
func TestConcurrentClients(t *testing.T) {
	m := mountTesting(t, Options{})
	const workers, rounds = 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for w := 0; w < workers; w++ {
		dir := m.path(fmt.Sprintf("w%d", w))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- mountWorker(dir, w, rounds)
		}()
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				key := fmt.Sprintf("w%d/s3-%d", w, r%3)
				if _, err := m.store.PutObject(s3ctx(), testBucket, key, bytes.NewReader([]byte(key)), int64(len(key)), objstore.PutOptions{}); err != nil {
					errs <- err
					return
				}
				if _, err := os.ReadDir(dir); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func mountWorker(dir string, w, rounds int) error {
	data := bytes.Repeat([]byte{byte('a' + w)}, 256<<10+w)
	for r := 0; r < rounds; r++ {
		p := filepath.Join(dir, fmt.Sprintf("f%d", r%2))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("%s: read back %d bytes that differ", p, len(got))
		}
		if err := os.Rename(p, p+".moved"); err != nil {
			return err
		}
		if err := os.Remove(p + ".moved"); err != nil {
			return err
		}
	}
	return nil
}
