package objstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/shallot-storage/shallot/objstore/blob"
)

// blobCheck is what Fsck found of one named blob; it is read once per run.
type blobCheck struct {
	size     int64 // -1 when unknown
	err      error // the blob could not be examined
	damaged  []int // shards missing, corrupt or unreadable
	states   []string
	lost     bool // some block has fewer than k good shards
	repaired bool
}

// checkBlobs examines every named blob, opts.Workers at a time.
func (c *fscker) checkBlobs(ctx context.Context, m *fsckModel) error {
	ids := make([]uint64, 0, len(m.owners))
	for id := range m.owners {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	m.stats.Blobs = uint64(len(ids))
	if c.opts.Data == FsckDataNone {
		return nil
	}
	var mu sync.Mutex
	next, done := 0, 0
	var wg sync.WaitGroup
	for w := 0; w < c.opts.Workers; w++ {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == len(ids) || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				id := ids[next]
				next++
				mu.Unlock()
				st := c.checkBlob(ctx, blob.ID(id))
				mu.Lock()
				c.blobState[id] = st
				done++
				if c.opts.Progress != nil && (done%256 == 0 || done == len(ids)) {
					c.opts.Progress(done, len(ids))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	m.stats.BlobsChecked = uint64(len(c.blobState))
	for _, st := range c.blobState {
		if st.size > 0 {
			m.stats.BlobBytes += uint64(st.size)
		}
	}
	return nil
}

func (c *fscker) checkBlob(ctx context.Context, id blob.ID) *blobCheck {
	st := &blobCheck{size: -1}
	switch c.opts.Data {
	case FsckDataFull:
		h, err := c.blobs.Verify(ctx, id)
		if err != nil {
			st.err = err
			return st
		}
		for _, i := range h.Damaged() {
			st.damaged = append(st.damaged, i)
			st.states = append(st.states, fmt.Sprintf("shard %d %s", i, h.Shards[i].State))
		}
		st.lost = !h.Recoverable
	case FsckDataHeaders:
		bad, err := c.blobs.BadShardHeaders(ctx, id, allDisks(c.blobs))
		if err != nil {
			st.err = err
			return st
		}
		if len(bad) == c.blobs.NumDisks() {
			st.err = fmt.Errorf("blob %s: no shard header found: %w", id, fs.ErrNotExist)
			return st
		}
		st.damaged = bad
		for _, i := range bad {
			st.states = append(st.states, fmt.Sprintf("shard %d header bad or missing", i))
		}
		_, m := c.blobs.Layout()
		st.lost = len(bad) > m
	}
	size, err := c.blobs.Size(ctx, id)
	if err == nil {
		st.size = size
	} else if st.err == nil && !st.lost {
		st.err = err
	}
	return st
}

func allDisks(b *blob.Store) []int {
	out := make([]int, b.NumDisks())
	for i := range out {
		out[i] = i
	}
	return out
}

// blobProblems turns the cached blob checks into problems for the blobs m
// names.
func (c *fscker) blobProblems(m *fsckModel) {
	for id, o := range m.owners {
		obj := fmt.Sprintf("blob %016x of %s", id, m.ownerObject(o))
		key := fmt.Sprintf("%016x", id)
		if others := m.shared[id]; len(others) > 0 {
			var names []string
			for _, s := range others {
				names = append(names, s.String())
			}
			second := others[0]
			m.add("blob-shared", key+" "+second.String(), obj, "also named by "+strings.Join(names, ", ")+": freeing one would destroy the other", tierRecords,
				func(ctx context.Context) error { return c.copyBlob(ctx, id, second) })
		}
		st := c.blobState[id]
		if st == nil {
			continue
		}
		switch {
		case st.err != nil && errors.Is(st.err, fs.ErrNotExist):
			m.add("blob-missing", key, obj, "no shard of it exists on any disk: its data is lost", 0, nil)
			continue
		case st.err != nil:
			m.add("blob-unreadable", key, obj, st.err.Error(), 0, nil)
			continue
		case st.lost:
			m.add("blob-unreadable", key, obj, "too few good shards to rebuild it ("+strings.Join(st.states, ", ")+"): data lost", 0, nil)
		case len(st.damaged) > 0 && !st.repaired:
			m.add("blob-damaged", key, obj, strings.Join(st.states, ", ")+"; rebuildable from the others", tierRecords,
				func(ctx context.Context) error { return c.repairBlob(ctx, id) })
		}
		if need := m.need[id]; st.size >= 0 && need > uint64(st.size) {
			m.add("blob-too-short", key, obj, fmt.Sprintf("the records use %d bytes of a %d-byte blob", need, st.size), 0, nil)
		}
	}
}

// listOrphans lists the blobs on the disks once per run.
func (c *fscker) listOrphans(ctx context.Context) {
	c.listed = nil
	c.listErr = c.blobs.List(ctx, func(id blob.ID) error {
		c.listed = append(c.listed, uint64(id))
		return nil
	})
}

// orphanProblems reports blobs on the disks that nothing names.
func (c *fscker) orphanProblems(m *fsckModel) {
	if c.listErr != nil {
		m.add("disk-list", "", "the shard directories", fmt.Sprintf("some disks could not be listed (orphan blobs there are not found): %v", c.listErr), 0, nil)
	}
	for _, id := range c.listed {
		if _, named := m.owners[id]; named || c.deleted[id] {
			continue
		}
		key, obj := fmt.Sprintf("%016x", id), fmt.Sprintf("blob %016x", id)
		if m.corruptRefs {
			m.add("orphan-blob", key, obj, "named by no record that decodes; kept, since a damaged record may name it", 0, nil)
			continue
		}
		m.add("orphan-blob", key, obj, "on the disks but named by no record (left by a crash)", tierBlobsGone,
			func(ctx context.Context) error { return c.deleteBlob(ctx, id) })
	}
}
