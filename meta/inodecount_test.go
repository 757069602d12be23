package meta

import (
	"errors"
	"testing"
)

// TestInodeCount: Inodes follows the inode records committed transactions
// create and delete, whatever else they do, and a reopened database counts
// what it holds.
func TestInodeCount(t *testing.T) {
	errAbort := errors.New("abort")
	put := func(inos ...uint64) func(*Txn) error {
		return func(x *Txn) error {
			for _, ino := range inos {
				if err := x.PutInode(&Inode{Ino: ino, Nlink: 1}); err != nil {
					return err
				}
			}
			return nil
		}
	}
	del := func(inos ...uint64) func(*Txn) error {
		return func(x *Txn) error {
			for _, ino := range inos {
				if err := x.DeleteInode(ino); err != nil {
					return err
				}
			}
			return nil
		}
	}
	dir := t.TempDir()
	d, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		fn      func(*Txn) error
		wantErr error
		want    uint64
	}{
		{"create three", put(10, 11, 12), nil, 3},
		{"rewrite existing", put(10, 11), nil, 3},
		{"create and rewrite in one", put(13, 13, 10), nil, 4},
		{"delete existing", del(11), nil, 3},
		{"delete missing", del(11, 99), nil, 3},
		{"create then delete in one", func(x *Txn) error {
			if err := put(20)(x); err != nil {
				return err
			}
			return del(20)(x)
		}, nil, 3},
		{"aborted", func(x *Txn) error {
			if err := put(30, 31)(x); err != nil {
				return err
			}
			return errAbort
		}, errAbort, 3},
		{"damaged record", func(x *Txn) error { return x.DamageInodeForTesting(40) }, nil, 4},
	}
	for _, st := range steps {
		if err := d.Update(st.fn); !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := d.Inodes(); got != st.want {
			t.Errorf("after %s: %d inodes, want %d", st.name, got, st.want)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := d.Inodes(); got != 4 {
		t.Errorf("reopened: %d inodes, want 4", got)
	}
}
