package objstore

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// listModel is what S3 would answer for a sorted key set.
func listModel(keys []string, q ListQuery) (objs, cps []string, truncated bool) {
	last := ""
	for _, k := range keys {
		if !strings.HasPrefix(k, q.Prefix) {
			continue
		}
		item, isCP := k, false
		if q.Delimiter != "" {
			if i := strings.Index(k[len(q.Prefix):], q.Delimiter); i >= 0 {
				item, isCP = k[:len(q.Prefix)+i+len(q.Delimiter)], true
			}
		}
		if item <= q.After || isCP && item == last {
			continue
		}
		if len(objs)+len(cps) == q.Limit {
			return objs, cps, true
		}
		last = item
		if isCP {
			cps = append(cps, item)
		} else {
			objs = append(objs, item)
		}
	}
	return objs, cps, false
}

func TestListObjectsMatchesModel(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	keys := []string{"a-c", "a/b/c", "a/b/d", "a/bb", "a/c/", "a0", "b/x/y/z", "b/x-y",
		"c d/e", "日本語/ファイル", "z", "a/b-/q", "a/b./q", "dir/", "dir/sub/", "dir/sub/f"}
	for _, k := range keys {
		if _, err := s.PutObject(ctx, "bkt", k, bytes.NewReader(nil), 0, PutOptions{}); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	var stored []string
	res, err := s.ListObjects(ctx, "bkt", ListQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Objects {
		stored = append(stored, o.Key)
	}
	if !sort.StringsAreSorted(stored) {
		t.Fatalf("full listing not in S3 order: %q", stored)
	}
	queries := []ListQuery{}
	for _, p := range []string{"", "a", "a/", "a/b", "b/x", "dir/", "日本語/", "nope", "a/c/"} {
		for _, d := range []string{"", "/", "-"} {
			for _, after := range []string{"", "a/", "a/b/c", "b", "dir/sub/"} {
				for _, lim := range []int{1, 2, 3, 1000} {
					queries = append(queries, ListQuery{Prefix: p, Delimiter: d, After: after, Limit: lim})
				}
			}
		}
	}
	for _, q := range queries {
		name := fmt.Sprintf("p=%q d=%q a=%q l=%d", q.Prefix, q.Delimiter, q.After, q.Limit)
		res, err := s.ListObjects(ctx, "bkt", q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var objs []string
		for _, o := range res.Objects {
			objs = append(objs, o.Key)
		}
		wo, wc, wt := listModel(stored, q)
		if !reflect.DeepEqual(objs, wo) || !reflect.DeepEqual(res.CommonPrefixes, wc) || res.Truncated != wt {
			t.Errorf("%s:\n got %q %q %v\nwant %q %q %v", name, objs, res.CommonPrefixes, res.Truncated, wo, wc, wt)
		}
	}
	// Paging with Limit 1 walks the whole listing exactly once.
	for _, d := range []string{"", "/"} {
		var all []string
		q := ListQuery{Delimiter: d, Limit: 1}
		for i := 0; i < 100; i++ {
			res, err := s.ListObjects(ctx, "bkt", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				all = append(all, o.Key)
			}
			all = append(all, res.CommonPrefixes...)
			if !res.Truncated {
				break
			}
			q.After = res.NextAfter
		}
		wo, wc, _ := listModel(stored, ListQuery{Delimiter: d, Limit: 1000})
		want := append(wo, wc...)
		sort.Strings(all)
		sort.Strings(want)
		if !reflect.DeepEqual(all, want) {
			t.Errorf("paging d=%q: got %q want %q", d, all, want)
		}
	}
}

// Listings report the storage class however it was given (S3 header,
// copy, xattr through the mount) and forget it when the xattr goes.
func TestListStorageClass(t *testing.T) {
	s := small(t)
	s.CreateBucket(ctx, "bkt", Owner{})
	put := func(key string, headers map[string]string) ObjectInfo {
		t.Helper()
		info, err := s.PutObject(ctx, "bkt", key, bytes.NewReader([]byte(key)), int64(len(key)), PutOptions{Headers: headers})
		if err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
		return info
	}
	put("cold", map[string]string{"x-amz-storage-class": "GLACIER"})
	plain := put("plain", nil)
	put("unset", map[string]string{"x-amz-storage-class": "STANDARD_IA"})
	if _, err := s.CopyObject(ctx, "bkt", "cold", "bkt", "copied", CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetXattr(ctx, plain.Ino, xattrStorageClass, []byte("ONEZONE_IA"), 0); err != nil {
		t.Fatal(err)
	}
	unset, err := s.HeadObject(ctx, "bkt", "unset")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveXattr(ctx, unset.Ino, xattrStorageClass); err != nil {
		t.Fatal(err)
	}
	res, err := s.ListObjects(ctx, "bkt", ListQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range res.Objects {
		got[o.Key] = o.Headers["x-amz-storage-class"]
	}
	want := map[string]string{"cold": "GLACIER", "copied": "GLACIER", "plain": "ONEZONE_IA", "unset": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("storage classes listed: %v, want %v", got, want)
	}
}
