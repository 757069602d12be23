// Package fsx is shallot's randomized file exerciser, in the spirit of the
// classic fsx (NeXT's, later kept alive by BSD and xfstests): it applies a
// seeded random mix of operations to one file through a mount and checks
// every byte it reads against an in-memory model of the file.
//
// The operations are those users and their libraries mix on one file:
// pread and pwrite anywhere (past the end included, leaving holes),
// ftruncate up and down, reads and writes through a shared mmap, fallocate
// (allocate, punch hole, zero range), copy_file_range inside the file,
// lseek SEEK_DATA and SEEK_HOLE (whose answers must agree with the bytes),
// O_APPEND writes through a second descriptor, fsync, fdatasync, and close
// then reopen (sometimes O_DIRECT). A whole-file comparison through a fresh
// descriptor runs at every reopen and at the end. Truncate-then-extend is
// common in the mix, since stale bytes reappearing there are a known
// failure of FUSE file systems.
//
// A run is a pure function of its Config: the same seed replays the same
// operations, so a failure report names the seed and the operation number,
// and lists the operations that last touched the first bad byte.
//
// Run may be called from any goroutine; concurrent runs need distinct
// files. It must not run in the process that serves the file system: the
// munmap of a dirty shared mapping holds the process's mmap lock while the
// kernel waits for the server's write-back, and a server thread that
// faults on fresh memory needs that lock (fsx_test.go runs it in a child).
// The package keeps no global state.
package fsx

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Config is one run. The zero value of every field but Dir is usable.
type Config struct {
	// Dir is where the file is created (on the file system under test).
	Dir string
	// Name of the file in Dir; "fsx.<seed>" when empty.
	Name string
	// Seed chooses the operations; runs with the same Config are equal.
	Seed uint64
	// Ops is the number of operations (default 1000).
	Ops int
	// MaxLen bounds the file's size (default 1 MiB).
	MaxLen int64
	// MaxIO bounds one read, write, mmap or copy (default 64 KiB).
	MaxIO int
	// Skip names operations not to run (see OpNames); for file systems
	// that lack one, e.g. fallocate on some.
	Skip []string
	// Direct reopens the file with O_DIRECT now and then, so that uncached
	// I/O mixes with cached pages and mappings.
	Direct bool
	// Logf, when set, receives a line per reopen (progress).
	Logf func(format string, args ...any)
}

// OpNames lists every operation the exerciser knows, for Config.Skip.
var OpNames = []string{"read", "write", "extend", "truncate", "mapread", "mapwrite",
	"falloc", "punch", "zero", "copy", "append", "seek", "fsync", "reopen", "check"}

// Failure is what Run returns when the file and the model disagree.
type Failure struct {
	Seed   uint64
	Op     int    // index of the failing operation
	What   string // the failing operation
	Detail string // what differed, and the history of the bad bytes
}

func (f *Failure) Error() string {
	return fmt.Sprintf("fsx seed %d, op %d (%s): %s", f.Seed, f.Op, f.What, f.Detail)
}

// Stats counts what a run did, per operation name.
type Stats map[string]int

// Run performs one run and removes the file afterwards when it passed.
func Run(cfg Config) (Stats, error) {
	if cfg.Ops <= 0 {
		cfg.Ops = 1000
	}
	if cfg.MaxLen <= 0 {
		cfg.MaxLen = 1 << 20
	}
	if cfg.MaxIO <= 0 {
		cfg.MaxIO = 64 << 10
	}
	if cfg.Name == "" {
		cfg.Name = fmt.Sprintf("fsx.%d", cfg.Seed)
	}
	r := &runner{cfg: cfg, path: filepath.Join(cfg.Dir, cfg.Name),
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x5ca1ab1e)),
		stats: Stats{}, skip: map[string]bool{}, page: int64(os.Getpagesize())}
	for _, s := range cfg.Skip {
		r.skip[s] = true
	}
	if err := r.start(); err != nil {
		return r.stats, err
	}
	err := r.loop()
	r.closeAll()
	if err == nil {
		err = r.checkFresh(cfg.Ops, "final check")
	}
	if err == nil {
		err = os.Remove(r.path)
	}
	return r.stats, err
}

// runner is the state of one run.
type runner struct {
	cfg   Config
	path  string
	rng   *rand.Rand
	stats Stats
	skip  map[string]bool
	page  int64

	model []byte // what the file must contain
	hist  []record

	fd       int  // the main descriptor, read-write
	direct   bool // fd is O_DIRECT
	appendFD int  // a second, O_APPEND descriptor, or -1
}

// record is one operation as the history keeps it: enough to tell which
// operations last wrote a byte.
type record struct {
	op       int
	what     string
	off, end int64 // byte range the op changed (end == off: none)
}

func (r *runner) start() error {
	fd, err := unix.Open(r.path, unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("fsx: create %s: %w", r.path, err)
	}
	r.fd, r.appendFD = fd, -1
	return nil
}

func (r *runner) closeAll() {
	if r.appendFD >= 0 {
		unix.Close(r.appendFD)
		r.appendFD = -1
	}
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}

// weights sets how often each operation runs, relative to the others.
var weights = []struct {
	name string
	w    int
}{
	{"read", 16}, {"write", 18}, {"extend", 6}, {"truncate", 9},
	{"mapread", 6}, {"mapwrite", 6}, {"falloc", 3}, {"punch", 4}, {"zero", 3},
	{"copy", 4}, {"append", 4}, {"seek", 3}, {"fsync", 3}, {"reopen", 3}, {"check", 1},
}

func (r *runner) pick() string {
	total := 0
	for _, w := range weights {
		if !r.skip[w.name] {
			total += w.w
		}
	}
	n := r.rng.IntN(total)
	for _, w := range weights {
		if r.skip[w.name] {
			continue
		}
		if n < w.w {
			return w.name
		}
		n -= w.w
	}
	panic("unreachable")
}

func (r *runner) loop() error {
	for i := 0; i < r.cfg.Ops; i++ {
		name := r.pick()
		r.stats[name]++
		if err := r.do(i, name); err != nil {
			var f *Failure
			if errors.As(err, &f) {
				return err
			}
			return r.fail(i, name, err.Error(), -1)
		}
	}
	return nil
}

// do runs operation number i.
func (r *runner) do(i int, name string) error {
	switch name {
	case "read":
		return r.opRead(i)
	case "write":
		return r.opWrite(i, false)
	case "extend":
		return r.opWrite(i, true)
	case "truncate":
		return r.opTruncate(i)
	case "mapread":
		return r.opMapRead(i)
	case "mapwrite":
		return r.opMapWrite(i)
	case "falloc":
		return r.opFalloc(i)
	case "punch":
		return r.opPunch(i)
	case "zero":
		return r.opZero(i)
	case "copy":
		return r.opCopy(i)
	case "append":
		return r.opAppend(i)
	case "seek":
		return r.opSeek(i)
	case "fsync":
		return r.opFsync(i)
	case "reopen":
		return r.opReopen(i)
	case "check":
		return r.checkFresh(i, "check")
	}
	return fmt.Errorf("unknown operation %q", name)
}

// note records a completed operation that changed [off, end).
func (r *runner) note(i int, what string, off, end int64) {
	r.hist = append(r.hist, record{op: i, what: what, off: off, end: end})
}

// fail builds the report: the first differing offset (bad >= 0) with the
// last operations that changed it, and the last few operations overall.
func (r *runner) fail(i int, what, detail string, bad int64) error {
	var b strings.Builder
	b.WriteString(detail)
	if bad >= 0 {
		fmt.Fprintf(&b, "\nlast operations that changed offset %d (or the size below it):", bad)
		n := 0
		for j := len(r.hist) - 1; j >= 0 && n < 8; j-- {
			h := r.hist[j]
			if (bad >= h.off && bad < h.end) || strings.HasPrefix(h.what, "truncate") || strings.HasPrefix(h.what, "mapwrite") {
				fmt.Fprintf(&b, "\n  #%d %s", h.op, h.what)
				n++
			}
		}
	}
	b.WriteString("\nlast operations:")
	for j := max(0, len(r.hist)-12); j < len(r.hist); j++ {
		fmt.Fprintf(&b, "\n  #%d %s", r.hist[j].op, r.hist[j].what)
	}
	fmt.Fprintf(&b, "\nmodel size %d; replay with FSX_SEED=%d FSX_OPS=%d", len(r.model), r.cfg.Seed, i+1)
	return &Failure{Seed: r.cfg.Seed, Op: i, What: what, Detail: b.String()}
}

// compare checks got, read at off, against the model; want is how many
// bytes the read had to return.
func (r *runner) compare(i int, what string, got []byte, off int64, n, want int) error {
	if n != want {
		return r.fail(i, what, fmt.Sprintf("returned %d bytes, want %d (model size %d)", n, want, len(r.model)), off+int64(min(n, want)))
	}
	if want == 0 {
		return nil
	}
	exp := r.model[off : off+int64(want)]
	for k := 0; k < want; k++ {
		if got[k] != exp[k] {
			end := k
			for end < want && got[end] != exp[end] {
				end++
			}
			return r.fail(i, what, fmt.Sprintf("bytes [%d, %d) differ: got % x..., want % x...",
				off+int64(k), off+int64(end), got[k:min(end, k+16)], exp[k:min(end, k+16)]), off+int64(k))
		}
	}
	return nil
}

// pattern fills p with bytes that name the writing operation and offset,
// never zero, so holes and stale bytes stand out in a report.
func pattern(p []byte, op int, off int64) {
	for k := range p {
		p[k] = byte(1 + (uint64(op)*37+uint64(off)+uint64(k))%255)
	}
}

// setSize resizes the model, zero-filling growth.
func (r *runner) setSize(size int64) {
	if size <= int64(len(r.model)) {
		r.model = r.model[:size]
		return
	}
	r.model = append(r.model, make([]byte, size-int64(len(r.model)))...)
}

// modelWrite lays p at off in the model.
func (r *runner) modelWrite(p []byte, off int64) {
	if end := off + int64(len(p)); end > int64(len(r.model)) {
		r.setSize(end)
	}
	copy(r.model[off:], p)
}

// ioLen is a random I/O length in [1, MaxIO], often small or page-sized.
func (r *runner) ioLen() int {
	switch r.rng.IntN(4) {
	case 0:
		return 1 + r.rng.IntN(64)
	case 1:
		return int(r.page) * (1 + r.rng.IntN(max(1, r.cfg.MaxIO/int(r.page))))
	default:
		return 1 + r.rng.IntN(r.cfg.MaxIO)
	}
}

// offset is a random offset below limit, often page-aligned or at the end.
func (r *runner) offset(limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	switch r.rng.IntN(5) {
	case 0:
		return (r.rng.Int64N(limit) / r.page) * r.page
	case 1:
		return max(0, min(int64(len(r.model)), limit-1)-r.rng.Int64N(8))
	default:
		return r.rng.Int64N(limit)
	}
}

// errno extracts the errno of err, 0 if none.
func errno(err error) syscall.Errno {
	var e syscall.Errno
	errors.As(err, &e)
	return e
}
