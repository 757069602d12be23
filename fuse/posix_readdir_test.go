package fuse

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/objstore"
)

// TestReaddirLarge lists a directory of 100,000 entries through getdents
// while other entries come and go, through the mount and through the
// store (as S3 would): each entry present throughout must be listed
// exactly once, and nothing may be listed twice or out of nowhere.
func TestReaddirLarge(t *testing.T) {
	const stable = 100_000
	m := mountTesting(t, Options{})
	dir := m.path("big")
	mustMkdir(t, dir)
	ctx := s3ctx()
	d, err := m.store.Lookup(ctx, objstore.RootIno, testBucket)
	if err != nil {
		t.Fatal(err)
	}
	d, err = m.store.Lookup(ctx, d.Ino, "big")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < stable; i++ {
		if _, err := m.store.Mknod(ctx, d.Ino, fmt.Sprintf("s%06d", i), objstore.NodeIn{Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("created %d entries in %v", stable, time.Since(start).Round(time.Millisecond))

	// Churn: names that sort between the stable ones, so every page of the
	// listing shifts under the reader.
	stop := make(chan struct{})
	var churned atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		live := map[string]bool{}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("s%06d+", rng.IntN(stable))
			viaMount := n%2 == 0
			var err error
			if live[name] {
				if viaMount {
					err = os.Remove(dir + "/" + name)
				} else {
					err = m.store.Unlink(ctx, d.Ino, name)
				}
				delete(live, name)
			} else {
				if viaMount {
					err = os.WriteFile(dir+"/"+name, nil, 0o644)
				} else {
					_, err = m.store.Mknod(ctx, d.Ino, name, objstore.NodeIn{Mode: 0o644})
				}
				live[name] = true
			}
			if err != nil {
				t.Errorf("churn %s: %v", name, err)
				return
			}
			churned.Add(1)
		}
	})

	start = time.Now()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for {
		names, err := f.Readdirnames(1000)
		for _, n := range names {
			seen[n]++
		}
		if err != nil {
			break
		}
	}
	f.Close()
	close(stop)
	wg.Wait()
	t.Logf("listed %d names in %v while %d names came or went", len(seen), time.Since(start).Round(time.Millisecond), churned.Load())

	for i := 0; i < stable; i++ {
		if c := seen[fmt.Sprintf("s%06d", i)]; c != 1 {
			t.Fatalf("s%06d listed %d times", i, c)
		}
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s listed %d times", n, c)
		}
		if !strings.HasPrefix(n, "s") || len(n) != 7 && !(len(n) == 8 && n[7] == '+') {
			t.Errorf("unknown name %q listed", n)
		}
	}
	if churned.Load() < 10 {
		t.Errorf("only %d changes during the listing: the test did not test", churned.Load())
	}
}
