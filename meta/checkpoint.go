package meta

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Damage detection. badger replays its write-ahead log at open and stops,
// silently, at the first entry that fails its checksum: a truncated or
// garbled log loses every transaction after the damage without an error,
// and a missing log loses them all. To notice, the daemon writes a
// checkpoint now and then: a counter stored in the database (synced) and
// then in a small file beside it. At the next start the database must hold
// a counter at least as high as the file's; if it does not, committed
// transactions are gone and CheckDamage refuses to start. A loss that
// leaves the last checkpoint in place (damage after it) goes unnoticed:
// the window is the checkpoint interval.
//
// CheckTables, run before Open, catches a truncated table file, on which
// badger would panic rather than fail.

// ErrDamaged means the metadata directory lost data or does not open.
var ErrDamaged = errors.New("metadata directory damaged")

const checkpointKey = "checkpoint"

// CheckpointFile is the file, in the metadata's parent directory, holding
// the last checkpoint.
func CheckpointFile(metaDir string) string {
	return filepath.Join(filepath.Dir(filepath.Clean(metaDir)), "meta-checkpoint")
}

func readCheckpointFile(path string) (uint64, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(string(b), "shallot metadata checkpoint")), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("checkpoint file %s: %q: %w", path, b, err)
	}
	return v, true, nil
}

func (x *Txn) checkpoint() (uint64, error) {
	v, err := x.Config(checkpointKey)
	if err == ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("checkpoint record %q: %w", v, errCorrupt)
	}
	return n, nil
}

// WriteCheckpoint records a new checkpoint in the database (durably) and
// then in path. Calls must not overlap.
func WriteCheckpoint(db *DB, path string) error {
	fileN, _, err := readCheckpointFile(path)
	if err != nil {
		return err
	}
	var n uint64
	err = db.Update(func(x *Txn) error {
		cur, err := x.checkpoint()
		if err != nil {
			return err
		}
		n = max(cur, fileN) + 1
		return x.PutConfig(checkpointKey, []byte(strconv.FormatUint(n, 10)))
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return writeFileSync(path, []byte(fmt.Sprintf("shallot metadata checkpoint %d\n", n)))
}

// CheckDamage compares the database with the checkpoint file at path.
func CheckDamage(db *DB, path string) error {
	fileN, ok, err := readCheckpointFile(path)
	if err != nil || !ok {
		return err
	}
	var dbN uint64
	if err := db.View(func(x *Txn) (err error) { dbN, err = x.checkpoint(); return }); err != nil {
		return fmt.Errorf("%w: read checkpoint: %w", ErrDamaged, err)
	}
	if dbN < fileN {
		return fmt.Errorf("%w: the database holds checkpoint %d but checkpoint %d was written after a synced commit (%s): "+
			"badger dropped committed transactions (a truncated, garbled or missing log file). Restore the metadata "+
			"directory from a backup; to start anyway with what is left, delete %s and run shallot fsck first",
			ErrDamaged, dbN, fileN, path, path)
	}
	return nil
}

// writeFileSync replaces path with data durably.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	return err
}

// CheckTables looks at the footer of every table file in dir before badger
// opens them: badger panics on a truncated one instead of failing. The
// footer (badger v4's table format) ends with the length of the index
// checksum, preceded by the checksum and by the length of the index.
// Only tables the MANIFEST names are checked: a crash during a flush or a
// compaction leaves a table file the MANIFEST does not name yet (often
// empty), which badger deletes at open.
func CheckTables(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil {
		return err
	}
	live, err := liveTables(dir)
	if err != nil {
		return fmt.Errorf("%w: MANIFEST in %s: %v: restore the metadata directory from a backup", ErrDamaged, dir, err)
	}
	for _, p := range files {
		id, perr := strconv.ParseUint(strings.TrimSuffix(filepath.Base(p), ".sst"), 10, 64)
		if perr == nil && !live[id] {
			continue
		}
		if err := checkTableFooter(p); err != nil {
			return fmt.Errorf("%w: table %s: %v: restore the metadata directory from a backup", ErrDamaged, p, err)
		}
	}
	return nil
}

func checkTableFooter(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	u32 := func(off int64) (int64, error) {
		var b [4]byte
		if off < 0 {
			return 0, errors.New("truncated")
		}
		if _, err := f.ReadAt(b[:], off); err != nil {
			return 0, err
		}
		return int64(b[0])<<24 | int64(b[1])<<16 | int64(b[2])<<8 | int64(b[3]), nil
	}
	if size < 8 {
		return fmt.Errorf("%d bytes: truncated", size)
	}
	chk, err := u32(size - 4)
	if err != nil {
		return err
	}
	if chk+8 > size {
		return fmt.Errorf("footer names a %d-byte checksum in a %d-byte file: truncated or garbled", chk, size)
	}
	idx, err := u32(size - 8 - chk)
	if err != nil {
		return err
	}
	if idx == 0 || idx+chk+8 > size {
		return fmt.Errorf("footer names a %d-byte index in a %d-byte file: truncated or garbled", idx, size)
	}
	return nil
}
