package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestBoto3 runs testdata/boto3_roundtrip.py under both pythons and checks
// the mount side of what it did.
func TestBoto3(t *testing.T) {
	d := sharedDaemon(t)
	script, err := filepath.Abs(filepath.Join("testdata", "boto3_roundtrip.py"))
	if err != nil {
		t.Fatal(err)
	}
	for _, py := range pythons {
		t.Run(py.Name, func(t *testing.T) {
			needTool(t, py.Path, py.Install)
			c := newClient(t, d)
			if r := c.Exec(nil, py.Path, "-c", "import boto3"); r.Err != nil {
				t.Fatalf("%s cannot import boto3: install %s\n%s", py.Path, py.Install, r)
			}
			bucket := newBucket(t, d, py.Name)
			local := t.TempDir()
			big := randBytes(13<<20 + 99) // three 5 MiB parts
			bigPath := writeFile(t, local, "big.bin", big)
			downPath := filepath.Join(local, "down.bin")
			out := c.Run(t, py.Path, script, d.Endpoint(), bucket, bigPath, downPath)
			var res struct {
				Boto3           string
				Botocore        string
				Problems        []string
				MultipartETag   string `json:"multipart_etag"`
				MultipartLength int64  `json:"multipart_length"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("script output: %v\n%s", err, out)
			}
			t.Logf("boto3 %s, botocore %s", res.Boto3, res.Botocore)
			for _, p := range res.Problems {
				t.Errorf("%s", p)
			}
			if want := multipartETag(big, 5<<20); res.MultipartETag != want || res.MultipartLength != int64(len(big)) {
				t.Errorf("multipart object: ETag %s length %d, want %s and %d", res.MultipartETag, res.MultipartLength, want, len(big))
			}
			cmpFiles(t, bigPath, downPath)
			cmpFiles(t, bigPath, filepath.Join(d.Mount, bucket, "multi", "big.bin"))
			for _, k := range []string{"k00", "k01", "k02", "k03", "k04"} {
				if _, err := os.Stat(filepath.Join(d.Mount, bucket, "page", k)); !os.IsNotExist(err) {
					t.Errorf("page/%s on the mount after delete_objects: %v, want ENOENT", k, err)
				}
			}
			for i, k := range []string{"k05", "k06"} {
				p := filepath.Join(d.Mount, bucket, "page", k)
				b, err := os.ReadFile(p)
				if err != nil || len(b) != 9*(i+6) {
					t.Errorf("page/%s on the mount: %d bytes, %v; want %d bytes", k, len(b), err, 9*(i+6))
				}
				if v, err := getfattr(t, p, "user.idx"); err != nil || v != []string{"5", "6"}[i] {
					t.Errorf("user.idx of page/%s = %q, %v; want %d", k, v, err, i+5)
				}
			}
		})
	}
}
