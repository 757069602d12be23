package main

import (
	"context"
	"fmt"
	"github.com/shallot-storage/shallot/bench/s3sign"
	"io"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore"
	"github.com/shallot-storage/shallot/s3srv"
)

// targets under test: shallot's real S3 door on an in-memory store (the
// signer must satisfy its SigV4 check), and the baseline server.
func testTargets(t *testing.T) map[string]*client {
	t.Helper()
	store := objstore.NewTesting(t)
	key, err := store.Keys().EnsureRoot(context.Background(), "s3loadtest", "s3load-test-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv := httptest.NewServer(s3srv.New(store, s3srv.Options{Log: logrus.NewEntry(log)}))
	t.Cleanup(srv.Close)
	b, err := startBaseline(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.stop)
	sg := s3sign.Signer{AccessKey: key.AccessKey, SecretKey: key.SecretKey, Region: "us-east-1"}
	out := map[string]*client{"shallot": newClient(srv.URL, sg, 2), "baseline": newClient(b.endpoint(), sg, 2)}
	for _, c := range out {
		t.Cleanup(c.close)
	}
	return out
}

func TestClientAgainstTargets(t *testing.T) {
	ctx := context.Background()
	for name, cl := range testTargets(t) {
		t.Run(name, func(t *testing.T) {
			if err := cl.createBucket(ctx, "bkt"); err != nil {
				t.Fatal(err)
			}
			if err := cl.createBucket(ctx, "bkt"); err != nil {
				t.Fatalf("second create: %v", err)
			}
			body := randomBytes(100 << 10)
			for _, key := range []string{"plain", "dir/sub/obj", "sp ace$+", "日本語/ファイル"} {
				if err := cl.put(ctx, "bkt", key, body); err != nil {
					t.Fatalf("put %q: %v", key, err)
				}
				if err := cl.get(ctx, "bkt", key, int64(len(body)), make([]byte, 4096)); err != nil {
					t.Fatalf("get %q: %v", key, err)
				}
				if err := cl.head(ctx, "bkt", key); err != nil {
					t.Fatalf("head %q: %v", key, err)
				}
			}
			if err := cl.get(ctx, "bkt", "plain", 1, nil); err == nil {
				t.Error("get with the wrong length succeeded")
			}
			if err := cl.head(ctx, "bkt", "missing"); err == nil {
				t.Error("head of a missing key succeeded")
			}
			if err := cl.put(ctx, "bkt", "empty", []byte{}); err != nil {
				t.Fatalf("empty put: %v", err)
			}
		})
	}
}

func TestListPaging(t *testing.T) {
	ctx := context.Background()
	cl := testTargets(t)["shallot"]
	if err := cl.createBucket(ctx, "lst"); err != nil {
		t.Fatal(err)
	}
	const n = 250
	for i := 0; i < n; i++ {
		if err := cl.put(ctx, "lst", fmt.Sprintf("list/d%04d/k%07d", i/keysPerDir, i), []byte{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("full walk", func(t *testing.T) {
		token, seen, pages := "", 0, 0
		for {
			p, err := cl.list(ctx, "lst", "list/", "", token, 100)
			if err != nil {
				t.Fatal(err)
			}
			seen += len(p.Contents)
			pages++
			if !p.IsTruncated {
				break
			}
			token = p.NextContinuationToken
		}
		if seen != n || pages != 3 {
			t.Errorf("walk saw %d keys in %d pages, want %d in 3", seen, pages, n)
		}
	})
	t.Run("delimited page", func(t *testing.T) {
		p, err := cl.list(ctx, "lst", "list/", "/", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.CommonPrefixes) != 3 || p.CommonPrefixes[0].Prefix != "list/d0000/" {
			t.Errorf("common prefixes %+v", p.CommonPrefixes)
		}
	})
}

func TestRunLoadBounds(t *testing.T) {
	cases := []struct {
		name       string
		conc, n    int
		dur, sleep time.Duration
		wantOps    func(int) bool
	}{
		{"count bounds", 4, 10, time.Minute, 0, func(n int) bool { return n == 10 }},
		{"duration bounds", 2, 1 << 30, 50 * time.Millisecond, 5 * time.Millisecond, func(n int) bool { return n > 0 && n < 100 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int64
			st := runLoad(context.Background(), c.conc, c.n, c.dur, func(ctx context.Context, i int) (int64, error) {
				calls.Add(1)
				time.Sleep(c.sleep)
				if i%5 == 4 {
					return 0, fmt.Errorf("op %d fails", i)
				}
				return 10, nil
			})
			if total := st.ops + st.errs; !c.wantOps(total) || int64(total) != calls.Load() {
				t.Errorf("%d ops + %d errors, %d calls", st.ops, st.errs, calls.Load())
			}
			if st.bytes != int64(st.ops)*10 || st.firstErr == nil {
				t.Errorf("bytes %d for %d ops, first error %v", st.bytes, st.ops, st.firstErr)
			}
			if st.pct(.5) > st.pct(.99) {
				t.Errorf("p50 %v > p99 %v", st.pct(.5), st.pct(.99))
			}
		})
	}
}
