package s3srv

import (
	"fmt"
	"sync"
	"testing"
)

// Racing conditional writes through the door: exactly one 200, the others
// 412 PreconditionFailed, for PUT, copy and multipart completion alike.
func TestWriteConditionsRaceThroughTheDoor(t *testing.T) {
	const writers = 8
	e := newTestEnv(t)
	e.do(call{method: "PUT", path: "/bkt"})
	e.do(call{method: "PUT", path: "/bkt/src", body: []byte("source")})
	star := map[string]string{"If-None-Match": "*"}
	for _, c := range []struct {
		name    string
		prepare func(key string, i int) call
	}{
		{"put", func(key string, i int) call {
			return call{method: "PUT", path: "/bkt/" + key, body: []byte(fmt.Sprint("writer ", i)), header: star}
		}},
		{"copy", func(key string, i int) call {
			return call{method: "PUT", path: "/bkt/" + key, header: map[string]string{"If-None-Match": "*",
				"x-amz-copy-source": "/bkt/src", "x-amz-metadata-directive": "REPLACE", "x-amz-meta-writer": fmt.Sprint(i)}}
		}},
		{"complete", func(key string, i int) call {
			id := e.createUpload(t, "/bkt/"+key, nil)
			part := []byte(fmt.Sprint("part of writer ", i))
			r := e.do(call{method: "PUT", path: "/bkt/" + key, query: "partNumber=1&uploadId=" + id, body: part})
			if r.status != 200 {
				t.Fatalf("part: %d %s", r.status, r.body)
			}
			return call{method: "POST", path: "/bkt/" + key, query: "uploadId=" + id, body: completeDoc(r.header.Get("ETag")), header: star}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := make([]call, writers)
			for i := range calls {
				calls[i] = c.prepare(c.name, i)
			}
			results := make([]result, writers)
			var wg sync.WaitGroup
			for i := range calls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = e.do(calls[i])
				}()
			}
			wg.Wait()
			won := 0
			for i, r := range results {
				switch {
				case r.status == 200:
					won++
				case r.status != 412 || r.code() != "PreconditionFailed":
					t.Errorf("writer %d: %d %s", i, r.status, r.body)
				}
			}
			if won != 1 {
				t.Fatalf("%d writers won, want 1", won)
			}
		})
	}
}
