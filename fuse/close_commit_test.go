package fuse

import (
	"bytes"
	"os"
	"testing"
)

// TestReaderCloseDoesNotPublish: writes through one open reach S3 at its
// close, not at the close of another descriptor of the file. The reader
// sees the buffered bytes through the mount at once, but its close must
// not make them an object: S3 would serve a writer's work half done.
func TestReaderCloseDoesNotPublish(t *testing.T) {
	m := mountTesting(t, Options{})
	p := m.path("f")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	s3Get := func() string { return string(s3Read(t, m, "f")) }
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	body := bytes.Repeat([]byte("new "), 1<<18) // 1 MiB: one WRITE request
	if _, err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("a reader through the mount got %d bytes (%v), want the %d buffered", len(got), err, len(body))
		}
	}
	if got := s3Get(); got != "" {
		t.Fatalf("after readers closed, S3 reads %d bytes, want the empty file open(O_TRUNC) committed", len(got))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := s3Get(); got != string(body) {
		t.Fatalf("after the writer's close, S3 reads %d bytes, want %d", len(got), len(body))
	}
}
