// Command floor mounts go-fuse's loopback file system over a directory,
// configured as the shallot mount is (1 MiB requests, 1 s attribute and
// entry timeouts, default_permissions) and without FUSE passthrough.
// bench/run.sh measures it beside the mount as the FUSE floor: what a
// go-fuse file system that only forwards each request to ext4 reaches on
// the machine. go-fuse's own example/loopback is not that floor on kernels
// with passthrough (6.9 and later): it hands the kernel the backing file,
// and reads and writes then never reach the daemon at all.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func main() {
	passthrough := flag.Bool("passthrough", false, "let the kernel read and write the backing files directly (FUSE passthrough)")
	readAheadKB := flag.Int("read-ahead-kb", 4096, "the kernel's read-ahead for the mount, as shallot sets it for its own (fuse.readAheadKB)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: floor [-passthrough] MOUNTPOINT DIR\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	root, err := fs.NewLoopbackRoot(flag.Arg(1))
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v\n", err)
		os.Exit(1)
	}
	sec := time.Second
	opts := &fs.Options{
		AttrTimeout:     &sec,
		EntryTimeout:    &sec,
		NegativeTimeout: &sec,
		NullPermissions: true,
		MountOptions: fuse.MountOptions{
			FsName:        flag.Arg(1),
			Name:          "floor",
			DirectMount:   true,
			MaxWrite:      1 << 20,
			MaxReadAhead:  1 << 20,
			MaxBackground: 64,
			Options:       []string{"default_permissions"},
		},
	}
	if !*passthrough {
		opts.MountOptions.DisabledCapabilities = fuse.CAP_PASSTHROUGH
	}
	server, err := fs.Mount(flag.Arg(0), root, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "floor: mount %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	if err := setReadAhead(flag.Arg(0), *readAheadKB); err != nil {
		fmt.Fprintf(os.Stderr, "floor: %v (the kernel's default stays)\n", err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		server.Unmount()
	}()
	server.Wait()
}

// setReadAhead sets the read-ahead of the mount's backing device info,
// which the kernel starts at 128 KiB for every FUSE mount.
func setReadAhead(dir string, kb int) error {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return err
	}
	path := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	return os.WriteFile(path, []byte(strconv.Itoa(kb)), 0)
}
