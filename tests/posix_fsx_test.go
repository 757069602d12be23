package tests

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shallot-storage/shallot/tests/fsx"
)

// TestPOSIXFsxDaemon runs the randomized file exerciser (tests/fsx) on the
// real daemon's mount, over shard files on disk: the same operations and
// checks as its in-process runs, through the daemon's own options.
// tests/fsx replays a seed: FSX_DIR=<mount>/<bucket> FSX_SEED=n.
func TestPOSIXFsxDaemon(t *testing.T) {
	d := sharedDaemon(t)
	bucket := newBucket(t, d, "posix-fsx")
	for _, seed := range []uint64{101, 102} {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			start := time.Now()
			stats, err := fsx.Run(fsx.Config{Dir: filepath.Join(d.Mount, bucket), Seed: seed, Ops: 3000, Direct: true})
			var f *fsx.Failure
			if errors.As(err, &f) {
				t.Fatalf("%v", f)
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, n := range stats {
				if strings.HasSuffix(name, "-unsupported") && n > 0 {
					t.Errorf("%s: the mount refused the operation", name)
				}
			}
			t.Logf("%v: %v", time.Since(start).Round(time.Millisecond), stats)
		})
	}
}
