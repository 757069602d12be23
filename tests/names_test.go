package tests

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// oddKeys are valid keys that are valid paths but trip up encoders.
var oddKeys = []string{
	"with space/file name.txt",
	"plus+sign.txt",
	"percent%20literal%.txt",
	"hash#tag.txt",
	"tilde~file.txt",
	"日本語/ファイル.txt",
	"emoji 😀/🎉 party.txt",
	"query?like=this&that.txt",
	"quote's \"double\".txt",
	"semi;colon,comma.txt",
	"caret^[brackets]{braces}.txt",
	"trailing space .txt",
}

// TestNames round-trips awkward keys through both aws cli generations and
// the mount.
func TestNames(t *testing.T) {
	d := sharedDaemon(t)
	s := rootS3(d)
	for _, cli := range awsCLIs {
		t.Run(cli.Name, func(t *testing.T) {
			needTool(t, cli.Path, cli.Install)
			c := newClient(t, d)
			bucket := newBucket(t, d, "names-"+cli.Name)
			local := t.TempDir()
			want := map[string][]byte{}
			for _, key := range oddKeys {
				want[key] = []byte("key " + key + "\n")
				writeFile(t, local, filepath.Join("up", key), want[key])
			}
			// One request per key either way; recursive to keep it quick.
			c.AWS(t, cli, "s3", "cp", "--recursive", filepath.Join(local, "up"), "s3://"+bucket+"/")
			c.AWS(t, cli, "s3", "cp", filepath.Join(local, "up", "日本語", "ファイル.txt"), "s3://"+bucket+"/日本語/ファイル-2.txt")
			want["日本語/ファイル-2.txt"] = want["日本語/ファイル.txt"]
			// Listed with the same names over S3...
			out := c.AWS(t, cli, "s3api", "list-objects-v2", "--bucket", bucket, "--output", "json")
			var lr struct{ Contents []struct{ Key string } }
			if err := json.Unmarshal([]byte(out), &lr); err != nil {
				t.Fatalf("list-objects-v2: %v\n%s", err, out)
			}
			var got, wantKeys []string
			for _, o := range lr.Contents {
				got = append(got, o.Key)
			}
			for k := range want {
				wantKeys = append(wantKeys, k)
			}
			sort.Strings(wantKeys) // S3 lists in byte order
			if strings.Join(got, "\n") != strings.Join(wantKeys, "\n") {
				t.Errorf("list-objects-v2 keys (in order):\n  %q\nwant:\n  %q", got, wantKeys)
			}
			// ...and in the mount, with the same content...
			wantSameTree(t, treeFiles(t, filepath.Join(d.Mount, bucket)), want)
			// ...and downloadable by name.
			c.AWS(t, cli, "s3", "cp", "--recursive", "s3://"+bucket+"/", filepath.Join(local, "down"))
			wantSameTree(t, treeFiles(t, filepath.Join(local, "down")), want)
			// The other way: names made on the mount are keys over S3.
			fsWant := map[string][]byte{}
			for _, key := range oddKeys {
				fsWant[key] = []byte("fs " + key)
				p := filepath.Join(d.Mount, bucket, "fs", key)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, fsWant[key], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			listed := s.listKeys(t, bucket, "fs/")
			for _, key := range oddKeys {
				if _, ok := listed["fs/"+key]; !ok {
					t.Errorf("file fs/%q made on the mount is not listed over S3", key)
				}
			}
			c.AWS(t, cli, "s3", "sync", "s3://"+bucket+"/fs", filepath.Join(local, "fsdown"))
			wantSameTree(t, treeFiles(t, filepath.Join(local, "fsdown")), fsWant)
		})
	}

	t.Run("keys that cannot be paths", func(t *testing.T) {
		bucket := newBucket(t, d, "badnames")
		// What exists before: every refused request must leave it intact.
		before := map[string][]byte{
			"f":        []byte("a file\n"),
			"a/b":      []byte("a/b\n"),
			"d/x":      []byte("d/x\n"),
			"keep.txt": []byte("keep\n"),
		}
		for k, v := range before {
			if r := s.Do(t, "PUT", "/"+bucket+"/"+k, nil, v); r.Status != 200 {
				t.Fatalf("PUT %s: %s", k, r)
			}
		}
		long := strings.Repeat("n", 256)
		for _, tc := range []struct {
			name, key string
			// conflict: the key is a fine name that clashes with what
			// exists; a multipart upload may start (the clash may be gone
			// by then) but must not complete.
			conflict bool
		}{
			{"dot-dot segment", "a/../b", false},
			{"leading dot-dot", "../escape", false},
			{"dot segment", "a/./c", false},
			{"lone dot-dot", "..", false},
			{"empty segment", "a//b", false},
			{"leading slash", "/abs", false},
			{"NUL", "nul\x00byte", false},
			{"segment over 255 bytes", "a/" + long, false},
			{"file where a directory is needed", "f/child", true},
			{"file where a directory is needed, deeper", "a/b/c/d", true},
			{"file over a directory", "d", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantErr := func(what string, r s3resp) {
					t.Helper()
					if r.Status < 400 || r.Status >= 500 || r.ErrorCode() == "" {
						t.Errorf("%s %q: HTTP %d code %q, want a 4xx S3 error with a Code\n%s", what, tc.key, r.Status, r.ErrorCode(), r)
					}
				}
				path := "/" + bucket + "/" + tc.key
				wantErr("PUT", s.Do(t, "PUT", path, nil, []byte("should not be stored\n")))
				r := s.Do(t, "POST", path, url.Values{"uploads": {""}}, nil)
				if !tc.conflict {
					wantErr("CreateMultipartUpload", r)
					return
				}
				if r.Status != 200 {
					wantErr("CreateMultipartUpload", r)
					return
				}
				var ir struct{ UploadId string }
				xml.Unmarshal(r.Body, &ir)
				part := s.Do(t, "PUT", path, url.Values{"uploadId": {ir.UploadId}, "partNumber": {"1"}}, []byte("part one\n"))
				if part.Status != 200 {
					t.Fatalf("UploadPart: %s", part)
				}
				done := fmt.Sprintf(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>`, part.Header.Get("ETag"))
				wantErr("CompleteMultipartUpload", s.Do(t, "POST", path, url.Values{"uploadId": {ir.UploadId}}, []byte(done)))
				s.Do(t, "DELETE", path, url.Values{"uploadId": {ir.UploadId}}, nil)
			})
		}
		// A copy to a bad key too.
		r := s.Do(t, "PUT", "/"+bucket+"/f/copied", nil, nil, "X-Amz-Copy-Source", "/"+bucket+"/keep.txt")
		if r.Status < 400 || r.Status >= 500 || r.ErrorCode() == "" {
			t.Errorf("CopyObject to f/copied: HTTP %d code %q, want a 4xx S3 error\n%s", r.Status, r.ErrorCode(), r)
		}
		// Nothing lost, nothing added, through either door.
		listed := s.listKeys(t, bucket, "")
		var names []string
		for k := range listed {
			names = append(names, k)
		}
		sort.Strings(names)
		if strings.Join(names, ",") != "a/b,d/x,f,keep.txt" {
			t.Errorf("keys after the refused requests: %q, want a/b d/x f keep.txt", names)
		}
		for k, v := range before {
			wantObject(t, s, bucket, k, v)
		}
		wantSameTree(t, treeFiles(t, filepath.Join(d.Mount, bucket)), before)
	})
}
