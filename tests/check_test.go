package tests

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func fileMD5(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// multipartETag is S3's ETag of an object uploaded in parts of partSize.
func multipartETag(data []byte, partSize int) string {
	var sums []byte
	n := 0
	for off := 0; off < len(data); off += partSize {
		end := min(off+partSize, len(data))
		s := md5.Sum(data[off:end])
		sums = append(sums, s[:]...)
		n++
	}
	s := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), n)
}

// wantFileBytes checks that path reads back as want.
func wantFileBytes(t testing.TB, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes (md5 %s), want %d bytes (md5 %s)%s", path, len(got), md5hex(got), len(want), md5hex(want), firstDiff(got, want))
	}
}

func firstDiff(got, want []byte) string {
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			return fmt.Sprintf("; first difference at byte %d", i)
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("; equal up to byte %d", min(len(got), len(want)))
	}
	return ""
}

// cmpFiles runs cmp(1) on two files.
func cmpFiles(t testing.TB, a, b string) {
	t.Helper()
	out, err := exec.Command("cmp", a, b).CombinedOutput()
	if err != nil {
		t.Fatalf("cmp %s %s: %v: %s", a, b, err, out)
	}
}

// getfattr reads one extended attribute with getfattr(1), as a user would.
func getfattr(t testing.TB, path, name string) (string, error) {
	t.Helper()
	out, err := exec.Command("getfattr", "--only-values", "--absolute-names", "-n", name, path).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("getfattr -n %s %s: %v: %s", name, path, err, out)
	}
	return string(out), nil
}

// treeFiles maps the relative path of every regular file under root to its
// content.
func treeFiles(t testing.TB, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = b
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return out
}

// wantSameTree checks that got holds the files of want, no more, no less.
func wantSameTree(t testing.TB, got, want map[string][]byte) {
	t.Helper()
	var problems []string
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			problems = append(problems, "missing "+name)
		} else if !bytes.Equal(g, w) {
			problems = append(problems, fmt.Sprintf("%s: %d bytes md5 %s, want %d bytes md5 %s", name, len(g), md5hex(g), len(w), md5hex(w)))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			problems = append(problems, "unexpected "+name)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Fatalf("trees differ:\n  %s", strings.Join(problems, "\n  "))
	}
}

// sampleTree writes a small tree of files (nested directories, sizes from
// 0 to a few hundred KiB) under dir and returns it.
func sampleTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{
		"a.txt":             []byte("hello shallot\n"),
		"empty":             {},
		"dir1/b.bin":        randBytes(100 << 10),
		"dir1/dir2/c.bin":   randBytes(300<<10 + 7),
		"dir1/dir2/d.txt":   []byte(strings.Repeat("line\n", 1000)),
		"other dir/e f.txt": []byte("with spaces\n"),
	}
	for name, b := range files {
		writeFile(t, dir, name, b)
	}
	return files
}
