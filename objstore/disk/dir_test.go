package disk

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDirFanout(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir("d0", root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.WriteFile(ctx, "0000000000000001.0", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, fanout("0000000000000001.0"), "0000000000000001.0")); err != nil {
		t.Fatalf("file not in its fan-out directory: %v", err)
	}
}

func TestDirStaleTemp(t *testing.T) {
	root := t.TempDir()
	d, err := NewDir("d0", root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := d.WriteFile(ctx, "keep", []byte("x")); err != nil {
		t.Fatal(err)
	}
	leaf, _ := d.path("keep")
	stale := filepath.Join(leaf, ".lost.tmp123")
	fresh := filepath.Join(leaf, ".busy.tmp456")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * StaleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := d.List(ctx, func(n string) error { names = append(names, n); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "keep" {
		t.Fatalf("List = %q, want only keep", names)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary not removed: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary removed: %v", err)
	}
}
