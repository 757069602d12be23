package meta

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Txn is one metadata transaction. Its typed methods live beside the
// record they handle; the raw operations below are all they use.
type Txn struct {
	t *badger.Txn
	// inodes is how many inode records the transaction added, less those
	// it deleted (see inodecount.go).
	inodes int64
	// present: inodes whose record this transaction read or wrote.
	present []uint64
}

func (x *Txn) get(k []byte) ([]byte, error) {
	it, err := x.t.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return it.ValueCopy(nil)
}

func (x *Txn) exists(k []byte) (bool, error) {
	_, err := x.t.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (x *Txn) set(k, v []byte) error { return x.t.Set(k, v) }
func (x *Txn) del(k []byte) error    { return x.t.Delete(k) }

// scan calls fn for each key with the prefix, from `from` on (inclusive),
// in key order, until fn returns false. Keys and values are copies.
func (x *Txn) scan(prefix, from []byte, keysOnly bool, fn func(k, v []byte) (bool, error)) error {
	o := badger.DefaultIteratorOptions
	o.Prefix = prefix
	o.PrefetchValues = !keysOnly
	if !keysOnly {
		o.PrefetchSize = 16
	}
	it := x.t.NewIterator(o)
	defer it.Close()
	if from == nil || bytes.Compare(from, prefix) < 0 {
		from = prefix
	}
	for it.Seek(from); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		k := item.KeyCopy(nil)
		var v []byte
		if !keysOnly {
			var err error
			if v, err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// delPrefix deletes every key with the prefix.
func (x *Txn) delPrefix(prefix []byte) error {
	var keys [][]byte
	if err := x.scan(prefix, nil, true, func(k, _ []byte) (bool, error) {
		keys = append(keys, k)
		return true, nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := x.del(k); err != nil {
			return err
		}
	}
	return nil
}

func isLockError(err error) bool {
	return strings.Contains(err.Error(), "directory lock")
}

// liveTables lists the table ids badger's MANIFEST in dir names (none when
// there is no MANIFEST yet).
func liveTables(dir string) (map[uint64]bool, error) {
	f, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, _, err := badger.ReplayManifestFile(f, 0, badger.DefaultOptions(dir))
	if err != nil {
		return nil, err
	}
	live := make(map[uint64]bool, len(m.Tables))
	for id := range m.Tables {
		live[id] = true
	}
	return live, nil
}
