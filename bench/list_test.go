package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shallot-storage/shallot/objstore"
)

// BenchmarkListObjects lists 1000 keys per operation (one ListObjectsV2
// page, without the HTTP door) from 20,000 empty objects, 100 per
// directory, as bench/s3load's LIST phase lays them out; successive
// operations walk successive pages. The baseline reads the same number of
// entries from plain directories of plain files (readdir and lstat of
// each), what a listing of a file tree costs at least.
func BenchmarkListObjects(b *testing.B) {
	const keys, perDir, page = 20000, 100, 1000
	b.Run("objstore", func(b *testing.B) {
		r := newRig(b)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < keys; i += 8 {
					k := fmt.Sprintf("list/d%04d/k%07d", i/perDir, i)
					if _, err := r.s.PutObject(ctx, bucket, k, strings.NewReader(""), 0, objstore.PutOptions{}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		after := ""
		for i := 0; i < b.N; i++ {
			res, err := r.s.ListObjects(ctx, bucket, objstore.ListQuery{Prefix: "list/", After: after, Limit: page})
			if err != nil || len(res.Objects) != page {
				b.Fatalf("page after %q: %d keys, %v", after, len(res.Objects), err)
			}
			after = res.NextAfter
			if !res.Truncated {
				after = ""
			}
		}
		b.ReportMetric(float64(b.N*page)/b.Elapsed().Seconds(), "keys/s")
	})
	b.Run("plainfile", func(b *testing.B) {
		dir := b.TempDir()
		for d := 0; d < keys/perDir; d++ {
			sub := filepath.Join(dir, fmt.Sprintf("d%04d", d))
			if err := os.Mkdir(sub, 0o755); err != nil {
				b.Fatal(err)
			}
			for i := d * perDir; i < (d+1)*perDir; i++ {
				if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("k%07d", i)), nil, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ResetTimer()
		next := 0
		for i := 0; i < b.N; i++ {
			for n := 0; n < page/perDir; n++ {
				sub := filepath.Join(dir, fmt.Sprintf("d%04d", next))
				next = (next + 1) % (keys / perDir)
				ents, err := os.ReadDir(sub)
				if err != nil || len(ents) != perDir {
					b.Fatalf("readdir %s: %d entries, %v", sub, len(ents), err)
				}
				for _, e := range ents {
					if _, err := os.Lstat(filepath.Join(sub, e.Name())); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		b.ReportMetric(float64(b.N*page)/b.Elapsed().Seconds(), "keys/s")
	})
}
