package objstore

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Racing conditional writers: the condition is checked in the commit
// transaction, so exactly one of them wins and the others get
// ErrPrecondition, whatever kind of write each one is.
func TestWriteConditionsRace(t *testing.T) {
	const writers = 8
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	if _, err := s.PutObject(ctx, "bkt", "src", bytes.NewReader([]byte("source")), 6, PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// Each kind prepares writer i's write (outside the race) and returns it.
	kinds := []struct {
		name    string
		prepare func(t *testing.T, key string, i int, ifMatch string) func() error
	}{
		{"put", func(t *testing.T, key string, i int, ifMatch string) func() error {
			body := []byte(fmt.Sprintf("writer %d", i))
			return func() error {
				_, err := s.PutObject(ctx, "bkt", key, bytes.NewReader(body), int64(len(body)),
					PutOptions{IfNoneMatchStar: ifMatch == "", IfMatch: ifMatch})
				return err
			}
		}},
		{"copy", func(t *testing.T, key string, i int, ifMatch string) func() error {
			return func() error {
				_, err := s.CopyObject(ctx, "bkt", "src", "bkt", key, CopyOptions{ReplaceMeta: true,
					Meta: map[string]string{"writer": fmt.Sprint(i)}, IfNoneMatchStar: ifMatch == "", IfMatch: ifMatch})
				return err
			}
		}},
		{"complete", func(t *testing.T, key string, i int, ifMatch string) func() error {
			id, err := s.CreateMultipartUpload(ctx, "bkt", key, PutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			body := []byte(fmt.Sprintf("part of writer %d", i))
			p, err := s.UploadPart(ctx, "bkt", key, id, 1, bytes.NewReader(body), int64(len(body)), PartOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return func() error {
				_, err := s.CompleteMultipartUpload(ctx, "bkt", key, id, []CompletePart{{Number: 1, ETag: p.ETag}},
					CompleteOptions{IfNoneMatchStar: ifMatch == "", IfMatch: ifMatch})
				return err
			}
		}},
	}
	for _, k := range kinds {
		for _, cond := range []string{"if-none-match", "if-match"} {
			t.Run(k.name+"/"+cond, func(t *testing.T) {
				key := k.name + "-" + cond
				ifMatch := ""
				if cond == "if-match" {
					info, err := s.PutObject(ctx, "bkt", key, bytes.NewReader([]byte("old")), 3, PutOptions{})
					if err != nil {
						t.Fatal(err)
					}
					ifMatch = info.ETag
				}
				writes := make([]func() error, writers)
				for i := range writes {
					writes[i] = k.prepare(t, key, i, ifMatch)
				}
				errs := make([]error, writers)
				var start, done sync.WaitGroup
				start.Add(1)
				for i := range writes {
					done.Add(1)
					go func() {
						defer done.Done()
						start.Wait()
						errs[i] = writes[i]()
					}()
				}
				start.Done()
				done.Wait()
				won := 0
				for i, err := range errs {
					switch {
					case err == nil:
						won++
					case !errors.Is(err, ErrPrecondition):
						t.Errorf("writer %d: %v", i, err)
					}
				}
				if won != 1 {
					t.Fatalf("%d writers won, want 1: %v", won, errs)
				}
			})
		}
	}
}
