package main

import (
	"context"
	"fmt"
	"time"
)

// keysPerDir spreads the LIST keys over directories (list/dNNNN/kNNNNNNN),
// so a delimited listing of "list/" has listKeys/keysPerDir prefixes.
const keysPerDir = 100

// runList fills the bucket with c.listKeys empty objects, walks them all
// with ListObjectsV2 pages of 1000 and fetches one delimited page. It has
// no baseline: the trivial server has no listing.
func runList(ctx context.Context, c config, cl *client, conc int) error {
	const rowFmt = "%-36s %7d %4d %6d %8.1f %8.0f %8.2f %8.2f\n"
	fmt.Printf("\n%-36s %7s %4s %6s %8s %8s %8s %8s\n", "LIST", "keys", "conc", "ops", "ops/s", "keys/s", "p50 ms", "p99 ms")

	fill := runLoad(ctx, conc, c.listKeys, c.listFillDur, func(ctx context.Context, i int) (int64, error) {
		k := fmt.Sprintf("list/d%04d/k%07d", i/keysPerDir, i)
		return 0, cl.put(ctx, c.bucket, k, []byte{})
	})
	fmt.Printf(rowFmt, "fill (PUT 0B)", c.listKeys, conc, fill.ops,
		fill.opsps(), fill.opsps(), ms(fill.pct(.5)), ms(fill.pct(.99)))
	if fill.errs > 0 {
		return fmt.Errorf("fill: %d errors, first: %v", fill.errs, fill.firstErr)
	}

	// Full walks: each op is one page; keys/s counts keys over all pages.
	var pages stats
	var walkErr error
	keysSeen := 0
	walks := 0
	start := time.Now()
	deadline := start.Add(max(c.duration, time.Minute))
	for w := 0; w < c.listWalks && time.Now().Before(deadline) && walkErr == nil; w++ {
		token, n := "", 0
		for {
			t0 := time.Now()
			p, err := cl.list(ctx, c.bucket, "list/", "", token, 1000)
			if err != nil {
				walkErr = err
				break
			}
			pages.lat = append(pages.lat, time.Since(t0))
			n += len(p.Contents)
			if !p.IsTruncated {
				break
			}
			if p.NextContinuationToken == "" {
				walkErr = fmt.Errorf("truncated page without NextContinuationToken after %d keys", n)
				break
			}
			token = p.NextContinuationToken
		}
		if walkErr == nil && n != fill.ops {
			walkErr = fmt.Errorf("walk %d saw %d keys, %d were written", w, n, fill.ops)
		}
		keysSeen += n
		walks++
	}
	pages.elapsed = time.Since(start)
	pages.ops = len(pages.lat)
	sortDurations(pages.lat)
	fmt.Printf(rowFmt, fmt.Sprintf("full walk, pages of 1000 (%d walks)", walks), fill.ops, 1, pages.ops,
		pages.opsps(), float64(keysSeen)/pages.elapsed.Seconds(), ms(pages.pct(.5)), ms(pages.pct(.99)))

	wantPrefixes := (fill.ops + keysPerDir - 1) / keysPerDir
	delim := runLoad(ctx, 1, c.listPages, c.duration, func(ctx context.Context, i int) (int64, error) {
		p, err := cl.list(ctx, c.bucket, "list/", "/", "", 1000)
		if err != nil {
			return 0, err
		}
		if got := len(p.CommonPrefixes); got != min(wantPrefixes, 1000) {
			return 0, fmt.Errorf("delimited page: %d common prefixes, want %d", got, min(wantPrefixes, 1000))
		}
		return 0, nil
	})
	fmt.Printf(rowFmt, fmt.Sprintf("one delimited page (%d prefixes)", min(wantPrefixes, 1000)), fill.ops, 1, delim.ops,
		delim.opsps(), delim.opsps()*float64(min(wantPrefixes, 1000)), ms(delim.pct(.5)), ms(delim.pct(.99)))
	if walkErr != nil {
		return walkErr
	}
	if delim.errs > 0 {
		return fmt.Errorf("delimited page: %d errors, first: %v", delim.errs, delim.firstErr)
	}
	return nil
}
