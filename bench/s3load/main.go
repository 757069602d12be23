// Command s3load measures an S3 endpoint (shallot's S3 door) against a
// trivial baseline HTTP server in the same run: PUT and GET of objects of
// several sizes at several concurrencies, HEAD, and ListObjectsV2 of a
// bucket with many keys (full walk by pages, and one delimited page). It
// signs requests with bench/s3sign (SigV4, UNSIGNED-PAYLOAD). Every row is
// bounded by an operation count and a duration. See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/shallot-storage/shallot/bench/s3sign"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	endpoint, access, secret, region, bucket string
	sizes                                    []int64
	counts                                   []int
	concs                                    []int
	duration                                 time.Duration
	headCount                                int
	listKeys                                 int
	listFillDur                              time.Duration
	listWalks                                int
	listPages                                int
	baselineDir                              string
	dropCaches                               bool
	phases                                   map[string]bool
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s3load:", err)
		os.Exit(1)
	}
}

func parseFlags() (config, error) {
	var c config
	var sizes, counts, concs, phases string
	flag.StringVar(&c.endpoint, "endpoint", "", "S3 endpoint, e.g. http://127.0.0.1:9000 (required)")
	flag.StringVar(&c.access, "access", firstEnv("SHALLOT_ROOT_USER", "AWS_ACCESS_KEY_ID"), "access key")
	flag.StringVar(&c.secret, "secret", firstEnv("SHALLOT_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY"), "secret key")
	flag.StringVar(&c.region, "region", "us-east-1", "region to sign for")
	flag.StringVar(&c.bucket, "bucket", "s3load", "bucket to use (created if missing)")
	flag.StringVar(&sizes, "sizes", "4KiB,1MiB,64MiB", "object sizes for PUT and GET")
	flag.StringVar(&counts, "counts", "2000,300,16", "operations per PUT/GET row, one per size")
	flag.StringVar(&concs, "conc", "1,8", "concurrency levels")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "time limit of each row on each target")
	flag.IntVar(&c.headCount, "head-count", 2000, "HEAD operations per row")
	flag.IntVar(&c.listKeys, "list-keys", 10000, "keys in the LIST bucket (100000 for the full run)")
	flag.DurationVar(&c.listFillDur, "list-fill-duration", 15*time.Minute, "time limit for creating the LIST keys")
	flag.IntVar(&c.listWalks, "list-walks", 3, "full ListObjectsV2 walks")
	flag.IntVar(&c.listPages, "list-pages", 50, "repetitions of the delimited page")
	flag.StringVar(&c.baselineDir, "baseline-dir", "", "directory for the baseline server's files (same file system as the daemon's data); empty: no baseline")
	flag.BoolVar(&c.dropCaches, "drop-caches", false, "sync and drop the page cache before each GET row (needs root)")
	flag.StringVar(&phases, "phases", "put,get,head,list", "phases to run")
	flag.Parse()
	if c.endpoint == "" {
		return c, fmt.Errorf("-endpoint is required")
	}
	var err error
	if c.sizes, err = parseList(sizes, parseSize); err != nil {
		return c, fmt.Errorf("-sizes: %w", err)
	}
	if c.counts, err = parseList(counts, strconv.Atoi); err != nil {
		return c, fmt.Errorf("-counts: %w", err)
	}
	if len(c.counts) != len(c.sizes) {
		return c, fmt.Errorf("-counts names %d counts for %d sizes", len(c.counts), len(c.sizes))
	}
	if c.concs, err = parseList(concs, strconv.Atoi); err != nil {
		return c, fmt.Errorf("-conc: %w", err)
	}
	c.phases = map[string]bool{}
	for _, p := range strings.Split(phases, ",") {
		c.phases[strings.TrimSpace(p)] = true
	}
	return c, nil
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func sizeLabel(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// target is one server under load and the keys written to it per size.
type target struct {
	name    string
	cl      *client
	written map[int64][]string
}

func run() error {
	c, err := parseFlags()
	if err != nil {
		return err
	}
	ctx := context.Background()
	sg := s3sign.Signer{AccessKey: c.access, SecretKey: c.secret, Region: c.region}
	maxConc := 1
	for _, n := range c.concs {
		maxConc = max(maxConc, n)
	}
	targets := []*target{{name: "shallot", cl: newClient(c.endpoint, sg, maxConc), written: map[int64][]string{}}}
	if c.baselineDir != "" {
		dir, err := os.MkdirTemp(c.baselineDir, "s3load-baseline-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		b, err := startBaseline(dir)
		if err != nil {
			return err
		}
		defer b.stop()
		targets = append(targets, &target{name: "baseline", cl: newClient(b.endpoint(), sg, maxConc), written: map[int64][]string{}})
	}
	for _, t := range targets {
		if err := t.cl.createBucket(ctx, c.bucket); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		defer t.cl.close()
	}

	fmt.Printf("s3load %s  endpoint %s  bucket %s  sizes %v  conc %v  row limit %s  drop-caches %v\n",
		time.Now().Format(time.RFC3339), c.endpoint, c.bucket, labels(c.sizes), c.concs, c.duration, c.dropCaches)
	const rowFmt = "%-5s %6s %4s %6s %8s %8s %8s %8s | %6s %8s %8s %8s %8s | %5s\n"
	fmt.Printf(rowFmt, "op", "size", "conc", "ops", "MiB/s", "ops/s", "p50 ms", "p99 ms",
		"b.ops", "b.MiB/s", "b.ops/s", "b.p50", "b.p99", "ratio")
	var errs []string
	row := func(opName string, size int64, conc int, per []stats) {
		cols := func(s stats) []any {
			return []any{fmt.Sprint(s.ops), fmt.Sprintf("%.1f", s.mibps()), fmt.Sprintf("%.0f", s.opsps()),
				fmt.Sprintf("%.2f", ms(s.pct(.5))), fmt.Sprintf("%.2f", ms(s.pct(.99)))}
		}
		args := append([]any{opName, sizeLabel(size), fmt.Sprint(conc)}, cols(per[0])...)
		if len(per) > 1 {
			ratio := "-"
			if per[1].opsps() > 0 {
				ratio = fmt.Sprintf("%.2f", per[0].opsps()/per[1].opsps())
			}
			args = append(append(args, cols(per[1])...), ratio)
		} else {
			args = append(args, "-", "-", "-", "-", "-", "-")
		}
		fmt.Printf(rowFmt, args...)
		for i, st := range per {
			if st.errs > 0 {
				errs = append(errs, fmt.Sprintf("%s %s %s c%d: %d errors, first: %v", targets[i].name, opName, sizeLabel(size), conc, st.errs, st.firstErr))
			}
		}
	}

	var dropper cacheDropper
	readBufs := sync.Pool{New: func() any { return make([]byte, 1<<20) }}
	bodies := map[int64][]byte{}
	for _, size := range c.sizes {
		bodies[size] = randomBytes(size)
	}
	if c.phases["put"] {
		for si, size := range c.sizes {
			for _, conc := range c.concs {
				var per []stats
				for _, t := range targets {
					keys := make([]string, c.counts[si])
					st := runLoad(ctx, conc, c.counts[si], c.duration, func(ctx context.Context, i int) (int64, error) {
						k := fmt.Sprintf("load/%s/c%d/%06d", sizeLabel(size), conc, i)
						if err := t.cl.put(ctx, c.bucket, k, bodies[size]); err != nil {
							return 0, err
						}
						keys[i] = k
						return size, nil
					})
					for _, k := range keys {
						if k != "" {
							t.written[size] = append(t.written[size], k)
						}
					}
					per = append(per, st)
				}
				row("PUT", size, conc, per)
			}
		}
	}
	if c.phases["get"] {
		for si, size := range c.sizes {
			for _, conc := range c.concs {
				var per []stats
				for _, t := range targets {
					keys := t.written[size]
					if len(keys) == 0 {
						per = append(per, stats{errs: 1, firstErr: fmt.Errorf("no %s objects written", sizeLabel(size))})
						continue
					}
					if c.dropCaches {
						dropper.drop()
					}
					st := runLoad(ctx, conc, c.counts[si], c.duration, func(ctx context.Context, i int) (int64, error) {
						buf := readBufs.Get().([]byte)
						defer readBufs.Put(buf)
						if err := t.cl.get(ctx, c.bucket, keys[i%len(keys)], size, buf); err != nil {
							return 0, err
						}
						return size, nil
					})
					per = append(per, st)
				}
				row("GET", size, conc, per)
			}
		}
	}
	if c.phases["head"] && len(c.sizes) > 0 {
		size := c.sizes[0]
		for _, conc := range c.concs {
			var per []stats
			for _, t := range targets {
				keys := t.written[size]
				if len(keys) == 0 {
					per = append(per, stats{errs: 1, firstErr: fmt.Errorf("no %s objects written", sizeLabel(size))})
					continue
				}
				per = append(per, runLoad(ctx, conc, c.headCount, c.duration, func(ctx context.Context, i int) (int64, error) {
					return 0, t.cl.head(ctx, c.bucket, keys[i%len(keys)])
				}))
			}
			row("HEAD", size, conc, per)
		}
	}
	if c.phases["list"] && c.listKeys > 0 {
		if err := runList(ctx, c, targets[0].cl, maxConc); err != nil {
			errs = append(errs, "LIST: "+err.Error())
		}
	}
	for _, e := range errs {
		fmt.Println("ERROR", e)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d rows had errors", len(errs))
	}
	return nil
}

func labels(sizes []int64) []string {
	out := make([]string, len(sizes))
	for i, s := range sizes {
		out[i] = sizeLabel(s)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func randomBytes(n int64) []byte {
	r := rand.NewChaCha8([32]byte{'s', '3', 'l', 'o', 'a', 'd'})
	b := make([]byte, n)
	r.Read(b)
	return b
}

// cacheDropper writes back dirty pages and drops the page cache, dentries
// and inodes, so the next reads come from the disk (and through FUSE, from
// the daemon). It warns once when it cannot (not root).
type cacheDropper struct{ warned bool }

func (d *cacheDropper) drop() {
	syscall.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil && !d.warned {
		d.warned = true
		fmt.Fprintln(os.Stderr, "s3load: cannot drop caches (GET rows are warm):", err)
	}
}
