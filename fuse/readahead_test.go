package fuse

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMountReadAhead: the mount's backing device gets the read-ahead the
// door asks for, not the kernel's 128 KiB default.
func TestMountReadAhead(t *testing.T) {
	m := mountTesting(t, Options{})
	var st unix.Stat_t
	if err := unix.Stat(m.dir, &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev)))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := strconv.Atoi(strings.TrimSpace(string(b))); got != readAheadKB {
		t.Fatalf("read_ahead_kb = %d, want %d", got, readAheadKB)
	}
}
