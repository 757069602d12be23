package fuse

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// readAheadKB is the kernel read-ahead asked for the mount. A FUSE mount
// starts with the kernel's default of 128 KiB whatever max_readahead
// says, so a cold sequential reader waits for one small request after
// another; a blob's worth keeps the daemon's parallel shard reads busy
// (bench/README.md has the measurement).
const readAheadKB = 4096

// setReadAhead sets the read-ahead of the mount's backing device (the
// anonymous device FUSE gives each mount), as root may.
func setReadAhead(dir string, kb int) error {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return fmt.Errorf("read-ahead of %s: %w", dir, err)
	}
	path := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	if err := os.WriteFile(path, []byte(strconv.Itoa(kb)), 0); err != nil {
		return fmt.Errorf("read-ahead of %s: %w", dir, err)
	}
	return nil
}
