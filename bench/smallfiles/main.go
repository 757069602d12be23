// Command smallfiles measures small-file metadata and data paths in one
// thread: create N files of S bytes, then stat them all with the caches
// dropped, then read them all with the caches dropped. Run it on the FUSE
// mount and on a plain directory of the same disk and compare (bench/run.sh
// does). Each phase is bounded by -duration; the rate counts the files it
// finished.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	dir := flag.String("dir", "", "directory to work in (created; required)")
	n := flag.Int("n", 5000, "files (20000 for the full run)")
	size := flag.Int("size", 4096, "bytes per file")
	fsync := flag.Bool("fsync", false, "fsync each file before closing it")
	drop := flag.Bool("drop-caches", true, "sync and drop the page, dentry and inode caches before stat and read (needs root)")
	dur := flag.Duration("duration", 5*time.Minute, "time limit of each phase")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "smallfiles: -dir is required")
		os.Exit(2)
	}
	if err := run(*dir, *n, *size, *fsync, *drop, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "smallfiles:", err)
		os.Exit(1)
	}
}

func run(dir string, n, size int, fsync, drop bool, dur time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := func(i int) string { return filepath.Join(dir, fmt.Sprintf("f%07d", i)) }
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	dropCaches := func() error {
		if !drop {
			return nil
		}
		syscall.Sync()
		if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
			return fmt.Errorf("drop caches (run as root or pass -drop-caches=false): %w", err)
		}
		return nil
	}

	// Per-call time shows which system call a slow phase spends in.
	var tOpen, tWrite, tSync, tClose, tRead time.Duration
	timed := func(acc *time.Duration, fn func() error) error {
		t0 := time.Now()
		err := fn()
		*acc += time.Since(t0)
		return err
	}
	created, err := phase("create", n, dur, func(i int) error {
		var f *os.File
		err := timed(&tOpen, func() (err error) {
			f, err = os.OpenFile(name(i), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
			return err
		})
		if err != nil {
			return err
		}
		if err := timed(&tWrite, func() error { _, err := f.Write(data); return err }); err != nil {
			f.Close()
			return err
		}
		if fsync {
			if err := timed(&tSync, f.Sync); err != nil {
				f.Close()
				return err
			}
		}
		return timed(&tClose, f.Close)
	})
	if err != nil {
		return err
	}
	perCall(created, "create", []call{{"open", tOpen}, {"write", tWrite}, {"fsync", tSync}, {"close", tClose}})
	if err := dropCaches(); err != nil {
		return err
	}
	if _, err := phase("stat", created, dur, func(i int) error {
		st, err := os.Lstat(name(i))
		if err == nil && st.Size() != int64(size) {
			err = fmt.Errorf("%s: size %d, want %d", name(i), st.Size(), size)
		}
		return err
	}); err != nil {
		return err
	}
	if err := dropCaches(); err != nil {
		return err
	}
	buf := make([]byte, size+1)
	tOpen, tClose = 0, 0
	read, err := phase("read", created, dur, func(i int) error {
		var f *os.File
		err := timed(&tOpen, func() (err error) { f, err = os.Open(name(i)); return err })
		if err != nil {
			return err
		}
		got := 0
		err = timed(&tRead, func() error {
			for {
				m, err := f.Read(buf[got:])
				got += m
				if err != nil || m == 0 || got == len(buf) {
					return nil
				}
			}
		})
		if err := timed(&tClose, f.Close); err != nil {
			return err
		}
		if got != size {
			return fmt.Errorf("%s: read %d bytes, want %d", name(i), got, size)
		}
		return nil
	})
	perCall(read, "read", []call{{"open", tOpen}, {"read", tRead}, {"close", tClose}})
	return err
}

// call is the total time a phase spent in one system call.
type call struct {
	name  string
	total time.Duration
}

// perCall prints the mean time per file of each call that ran, as
// "smallfiles PHASE-calls open=12us ...".
func perCall(files int, label string, calls []call) {
	if files == 0 {
		return
	}
	line := "smallfiles " + label + "-calls"
	for _, c := range calls {
		if c.total > 0 {
			line += fmt.Sprintf(" %s=%.0fus", c.name, float64(c.total.Microseconds())/float64(files))
		}
	}
	fmt.Println(line)
}

// phase runs fn for 0..n-1 until done or dur has passed, and prints one
// line that bench/run.sh parses: "smallfiles PHASE files=N secs=S rate=R".
func phase(label string, n int, dur time.Duration, fn func(i int) error) (int, error) {
	start := time.Now()
	deadline := start.Add(dur)
	done := 0
	for ; done < n && time.Now().Before(deadline); done++ {
		if err := fn(done); err != nil {
			return done, fmt.Errorf("%s file %d: %w", label, done, err)
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("smallfiles %s files=%d secs=%.3f rate=%.1f\n", label, done, secs, float64(done)/secs)
	return done, nil
}
