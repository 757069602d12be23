package meta

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "meta")
	d, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	path := CheckpointFile(dir)
	if err := CheckDamage(d, path); err != nil {
		t.Fatalf("no checkpoint yet: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := WriteCheckpoint(d, path); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckDamage(d, path); err != nil {
		t.Fatalf("after checkpoints: %v", err)
	}
	// The file ahead of the database: commits were lost.
	if err := os.WriteFile(path, []byte("shallot metadata checkpoint 99\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckDamage(d, path); !errors.Is(err, ErrDamaged) {
		t.Fatalf("database behind its checkpoint file: %v, want ErrDamaged", err)
	}
	// The next checkpoint goes past both.
	if err := WriteCheckpoint(d, path); err != nil {
		t.Fatal(err)
	}
	if err := CheckDamage(d, path); err != nil {
		t.Fatalf("after a new checkpoint: %v", err)
	}
}

func TestCheckTablesFindsTruncatedTable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "meta")
	d, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Update(func(x *Txn) error {
		for i := uint64(1); i < 200; i++ {
			if err := x.PutInode(&Inode{Ino: i, Mode: 0o100644, ETag: "some etag to fill the table"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d.Close() // flushes the memtable into a table file
	if err := CheckTables(dir); err != nil {
		t.Fatalf("intact tables: %v", err)
	}
	// A table a crash left half-written, before the MANIFEST named it, is
	// badger's to delete at open, not damage.
	stray := filepath.Join(dir, "999999.sst")
	os.WriteFile(stray, nil, 0o644)
	if err := CheckTables(dir); err != nil {
		t.Fatalf("unnamed empty table reported: %v", err)
	}
	os.Remove(stray)
	tables, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	if len(tables) == 0 {
		t.Fatal("no table file after close")
	}
	orig, err := os.ReadFile(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{0, 7, 200, int64(len(orig)) - 1} {
		if err := os.WriteFile(tables[0], orig[:size], 0o644); err != nil {
			t.Fatal(err)
		}
		if err := CheckTables(dir); !errors.Is(err, ErrDamaged) {
			t.Errorf("table truncated to %d bytes: %v, want ErrDamaged", size, err)
		}
	}
	// Zeros where the tail was (a crash on some file systems).
	zeroed := append(append([]byte(nil), orig[:len(orig)/2]...), make([]byte, len(orig)-len(orig)/2)...)
	os.WriteFile(tables[0], zeroed, 0o644)
	if err := CheckTables(dir); !errors.Is(err, ErrDamaged) {
		t.Errorf("table with a zeroed tail: %v, want ErrDamaged", err)
	}
}
