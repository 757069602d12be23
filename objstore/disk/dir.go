package disk

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Dir is a Disk kept in a directory of a real file system.
//
// Files live one fan-out level down (root/xx/name, xx taken from a hash of
// the name), so that millions of files spread over 256 directories that
// stay in the dentry cache; ext4's hashed directories keep lookups fast at
// tens of thousands of entries each. (Two levels, 65536 directories, made
// nearly every blob of a young store create and fsync two directories.)
// The fan-out directories are created when the Dir is opened and again on
// demand if they vanish. A file is written as a temporary ".name.tmp*" in its
// final directory, fsynced, renamed and the directory fsynced; temporaries
// left by a crash are invisible to List and removed by it once they are
// older than StaleTemp.
type Dir struct {
	id   string
	root string
}

var _ Disk = (*Dir)(nil)

// StaleTemp is the age after which List deletes a temporary file: no
// WriteFile runs that long, so such a file was left by a crash.
const StaleTemp = time.Hour

// NewDir opens (creating if needed) the directory root as a Disk named id
// ("" names it by its path).
func NewDir(id, root string) (*Dir, error) {
	if id == "" {
		id = root
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("disk %s: %w", id, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("disk %s: %w", id, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("disk %s: %s is not a directory", id, root)
	}
	d := &Dir{id: id, root: root}
	if err := d.makeFanout(); err != nil {
		return nil, fmt.Errorf("disk %s: %w", id, err)
	}
	return d, nil
}

// makeFanout creates the missing fan-out directories, syncing the root
// once if any was made.
func (d *Dir) makeFanout() error {
	made := false
	for i := 0; i < 256; i++ {
		err := os.Mkdir(filepath.Join(d.root, fanoutName(uint32(i))), 0o755)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		made = made || err == nil
	}
	if made {
		return syncDir(d.root)
	}
	return nil
}

func (d *Dir) ID() string { return d.id }

// Root is the directory holding the disk's files.
func (d *Dir) Root() string { return d.root }

// fanout returns the fan-out directory name of a file.
func fanout(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fanoutName(h.Sum32() >> 24)
}

func fanoutName(v uint32) string {
	const hex = "0123456789abcdef"
	return string([]byte{hex[v>>4&0xf], hex[v&0xf]})
}

func (d *Dir) path(name string) (string, string) {
	leaf := filepath.Join(d.root, fanout(name))
	return leaf, filepath.Join(leaf, name)
}

func (d *Dir) WriteFile(ctx context.Context, name string, data ...[]byte) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	leaf, final := d.path(name)
	f, err := os.CreateTemp(leaf, "."+name+".tmp*")
	if errors.Is(err, fs.ErrNotExist) {
		if err = d.makeLeaf(leaf); err == nil {
			f, err = os.CreateTemp(leaf, "."+name+".tmp*")
		}
	}
	if err != nil {
		return d.wrap("write "+name, err)
	}
	tmp := f.Name()
	err = writeSync(f, data)
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return d.wrap("write "+name, err)
	}
	if err := syncDir(leaf); err != nil {
		return d.wrap("write "+name, err)
	}
	return nil
}

// writeSync writes data to f, fsyncs and closes it.
func writeSync(f *os.File, data [][]byte) error {
	for _, b := range data {
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// makeLeaf creates a fan-out directory that vanished and makes its entry
// durable. The root is fsynced even when another writer created the
// directory first, since that writer may not have synced it yet. A missing
// root is never recreated: it is a lost disk (or one not mounted), and
// writing into a fresh directory in its place would hide that.
func (d *Dir) makeLeaf(leaf string) error {
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(leaf))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadAt opens, reads and closes the file with plain system calls: an
// os.File would also register the descriptor with the poller, which costs
// more than the read itself for small reads.
func (d *Dir) ReadAt(ctx context.Context, name string, p []byte, off int64) (int, error) {
	if err := CheckName(name); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, d.wrap("read "+name, fs.ErrInvalid)
	}
	_, path := d.path(name)
	fd, err := openRead(path)
	if err != nil {
		return 0, d.wrap("read "+name, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	defer syscall.Close(fd)
	n := 0
	for n < len(p) {
		m, err := syscall.Pread(fd, p[n:], off+int64(n))
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return n, d.wrap("read "+name, &fs.PathError{Op: "pread", Path: path, Err: err})
		case m == 0:
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

func openRead(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func (d *Dir) Remove(ctx context.Context, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, path := d.path(name)
	if err := os.Remove(path); err != nil {
		return d.wrap("remove "+name, err)
	}
	return nil
}

func (d *Dir) List(ctx context.Context, fn func(name string) error) error {
	tops, err := os.ReadDir(d.root)
	if err != nil {
		return d.wrap("list", err)
	}
	now := time.Now()
	for _, top := range tops {
		if !top.IsDir() || len(top.Name()) != 2 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := filepath.Join(d.root, top.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return d.wrap("list", err)
		}
		for _, f := range files {
			name := f.Name()
			switch {
			case f.IsDir():
				continue
			case strings.HasPrefix(name, "."):
				d.removeIfStale(filepath.Join(dir, name), f, now)
				continue
			}
			if err := fn(name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Dir) removeIfStale(path string, f fs.DirEntry, now time.Time) {
	if !strings.Contains(f.Name(), ".tmp") {
		return
	}
	if fi, err := f.Info(); err == nil && now.Sub(fi.ModTime()) > StaleTemp {
		os.Remove(path)
	}
}

func (d *Dir) Stat(ctx context.Context) (Usage, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(d.root, &st); err != nil {
		return Usage{}, d.wrap("statfs", err)
	}
	bs := uint64(st.Bsize)
	u := Usage{Total: st.Blocks * bs, Free: st.Bavail * bs}
	var fi syscall.Stat_t
	if err := syscall.Stat(d.root, &fi); err == nil {
		u.Device = uint64(fi.Dev) + 1 // never 0, which means "its own"
	}
	return u, nil
}

// wrap adds the disk and operation to err, and makes an exhausted quota
// match ErrNoSpace too: for the caller both mean "this disk is full".
func (d *Dir) wrap(op string, err error) error {
	if errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("disk %s: %s: %w (%w)", d.id, op, ErrNoSpace, err)
	}
	return fmt.Errorf("disk %s: %s: %w", d.id, op, err)
}
