package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"sync"
)

// Disk health, for the store's healing and status. A disk carries an
// identity marker (a small file written by WriteMarker) naming the store
// and the shard position it belongs to: a directory that answers but has
// no marker is blank (a replaced or emptied disk) and needs its shards
// rebuilt; one whose marker names another store or position is foreign
// (disks swapped or mounted at the wrong place) and is left alone.

// markerName is the file holding a disk's identity. It cannot be mistaken
// for a shard file (see parseShardName).
const markerName = "shallot-disk-id"

// DiskState is what a probe found of one disk.
type DiskState uint8

const (
	DiskOK         DiskState = iota
	DiskFull                 // answers, but has no room for another shard
	DiskBlank                // answers, but holds no identity marker
	DiskForeign              // its marker names another store or position
	DiskUnreadable           // fails statfs or the marker read
	DiskMissing              // its directory is gone
)

func (d DiskState) String() string {
	switch d {
	case DiskOK:
		return "ok"
	case DiskFull:
		return "full"
	case DiskBlank:
		return "blank"
	case DiskForeign:
		return "foreign"
	case DiskUnreadable:
		return "unreadable"
	case DiskMissing:
		return "missing"
	}
	return fmt.Sprintf("DiskState(%d)", uint8(d))
}

// Usable reports whether shards can be read from and written to the disk.
func (d DiskState) Usable() bool { return d == DiskOK || d == DiskFull }

// DiskStatus is the state of disk Index at one probe.
type DiskStatus struct {
	Index       int
	ID          string
	Path        string // the directory, for disks kept in one
	State       DiskState
	Total, Free uint64 // from statfs; 0 when it failed
	Err         error  // why the state is not OK
}

// Layout returns k (data shards) and m (parity shards).
func (s *Store) Layout() (k, m int) { return s.k, s.m }

// NumDisks is k+m.
func (s *Store) NumDisks() int { return len(s.disks) }

// markerText is the content of the identity marker of disk i.
func markerText(storeID string, i int) string {
	return "shallot-disk v1 store=" + storeID + " index=" + strconv.Itoa(i) + "\n"
}

// WriteMarker writes the identity marker of disk i for store storeID.
func (s *Store) WriteMarker(ctx context.Context, i int, storeID string) error {
	if err := s.disks[i].WriteFile(ctx, markerName, []byte(markerText(storeID, i))); err != nil {
		return fmt.Errorf("disk %s: write identity marker: %w", s.disks[i].ID(), err)
	}
	return nil
}

// ProbeDisks checks every disk in parallel: statfs, then the identity
// marker (one small read). A disk with less free space than one shard of
// a largest blob is full.
func (s *Store) ProbeDisks(ctx context.Context, storeID string) []DiskStatus {
	out := make([]DiskStatus, len(s.disks))
	var wg sync.WaitGroup
	for i, d := range s.disks {
		wg.Go(func() { out[i] = s.probe(ctx, i, d.ID(), storeID) })
	}
	wg.Wait()
	return out
}

func (s *Store) probe(ctx context.Context, i int, id, storeID string) DiskStatus {
	d := s.disks[i]
	st := DiskStatus{Index: i, ID: id}
	if r, ok := d.(interface{ Root() string }); ok {
		st.Path = r.Root()
	}
	u, err := d.Stat(ctx)
	if err != nil {
		st.State, st.Err = DiskUnreadable, err
		if errors.Is(err, fs.ErrNotExist) {
			st.State = DiskMissing
		}
		return st
	}
	st.Total, st.Free = u.Total, u.Free
	want := markerText(storeID, i)
	buf := make([]byte, len(want)+64)
	n, err := d.ReadAt(ctx, markerName, buf, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		st.State, st.Err = DiskBlank, fmt.Errorf("no identity marker: %w", err)
		return st
	case err != nil && !errors.Is(err, io.EOF):
		st.State, st.Err = DiskUnreadable, err
		return st
	case string(buf[:n]) != want:
		st.State = DiskForeign
		st.Err = fmt.Errorf("identity marker %q, want %q", strings.TrimSpace(string(buf[:n])), strings.TrimSpace(want))
		return st
	}
	if need := uint64(s.maxSize/s.k + maxHeaderFor(s.maxSize/s.k, s.bs)); u.Free < need {
		st.State, st.Err = DiskFull, fmt.Errorf("%d bytes free, a shard may need %d", u.Free, need)
	}
	return st
}

// maxHeaderFor is the header length of a shard of shardLen bytes.
func maxHeaderFor(shardLen, blockSize int) int {
	return fixedLen + 4*((shardLen+blockSize-1)/blockSize) + 4
}

// BadShardHeaders reads the header of blob id's shard on each disk of
// disks and returns the disks whose shard is missing, unreadable or fails
// its header checks. It is the cheap test a heal makes of every blob: one
// small read per disk, no data.
func (s *Store) BadShardHeaders(ctx context.Context, id ID, disks []int) ([]int, error) {
	bad := make([]bool, len(disks))
	var wg sync.WaitGroup
	for n, i := range disks {
		wg.Go(func() {
			_, raw, err := s.readHeader(ctx, id, i)
			s.bufs.put(raw)
			bad[n] = err != nil
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []int
	for n, b := range bad {
		if b {
			out = append(out, disks[n])
		}
	}
	return out, nil
}

// StoredSize is the number of bytes the shard files of blob id hold on all
// disks together (headers included): what Verify reads.
func (s *Store) StoredSize(ctx context.Context, id ID) (int64, error) {
	g, err := s.geometry(ctx, id)
	if err != nil {
		return 0, err
	}
	return int64(len(s.disks)) * (int64(g.headerLen()) + g.shardLen()), nil
}

// ReadMarker returns the store and position named by disk i's identity
// marker; found is false when the disk has none (and err is nil).
func (s *Store) ReadMarker(ctx context.Context, i int) (storeID string, index int, found bool, err error) {
	buf := make([]byte, 256)
	n, err := s.disks[i].ReadAt(ctx, markerName, buf, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, false, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return "", 0, false, err
	}
	var v string
	if _, err := fmt.Sscanf(string(buf[:n]), "shallot-disk %s store=%s index=%d", &v, &storeID, &index); err != nil {
		return "", 0, true, fmt.Errorf("disk %s: identity marker %q: %w", s.disks[i].ID(), buf[:n], err)
	}
	return storeID, index, true, nil
}
