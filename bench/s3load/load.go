package main

import (
	"context"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// stats summarise one row of load against one target.
type stats struct {
	ops      int   // operations that succeeded
	errs     int   // operations that failed
	bytes    int64 // payload bytes moved by the successful operations
	elapsed  time.Duration
	lat      []time.Duration // per successful operation, sorted
	firstErr error
}

func (s stats) mibps() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.bytes) / (1 << 20) / s.elapsed.Seconds()
}

func (s stats) opsps() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ops) / s.elapsed.Seconds()
}

// pct is the q-quantile latency (nearest rank).
func (s stats) pct(q float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(s.lat)))) - 1
	return s.lat[max(0, min(i, len(s.lat)-1))]
}

// op performs operation number i and reports the payload bytes it moved.
type op func(ctx context.Context, i int) (int64, error)

// grace bounds how long operations started before the deadline may run on.
const grace = 2 * time.Minute

// runLoad runs op for i = 0, 1, ... on conc workers until count operations
// have started or dur has passed, whichever is first; no operation starts
// after the deadline and none runs past it by more than grace.
func runLoad(ctx context.Context, conc, count int, dur time.Duration, fn op) stats {
	ctx, cancel := context.WithTimeout(ctx, dur+grace)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var st stats
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var bytes int64
			var errs int
			var firstErr error
			for {
				i := int(next.Add(1) - 1)
				if i >= count || time.Now().After(deadline) || ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				n, err := fn(ctx, i)
				d := time.Since(t0)
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				lat = append(lat, d)
				bytes += n
			}
			mu.Lock()
			st.lat = append(st.lat, lat...)
			st.bytes += bytes
			st.errs += errs
			if st.firstErr == nil {
				st.firstErr = firstErr
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	st.ops = len(st.lat)
	sortDurations(st.lat)
	return st
}

func sortDurations(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }
