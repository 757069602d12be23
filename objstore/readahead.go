package objstore

import (
	"context"
	"sync"

	"github.com/shallot-storage/shallot/meta"
)

// Read-ahead for files read sequentially: the kernel asks for at most 1 MiB
// at a time, one request after another, and each cold request would wait
// for its own shard reads. Once a file is read in order, whole windows
// ahead of the reader are fetched in the background, each window's data
// shards in parallel, so the disks stay busy while the kernel catches up.
const (
	raWindow = 4 << 20 // one blob's worth
	raAhead  = 2       // windows fetched beyond the one being read
)

// readahead caches windows of an open file's layout (view and inline
// content, without buffered writes, which reads lay on top). Any change of
// the layout drops it.
type readahead struct {
	mu      sync.Mutex
	gen     uint64
	next    uint64 // where the next read starts if the reader goes on in order
	windows map[uint64]*raFetch
}

type raFetch struct {
	done chan struct{}
	data []byte
	err  error
}

// drop forgets every window: the layout they were read from changed.
func (ra *readahead) drop() {
	ra.mu.Lock()
	ra.gen++
	ra.windows = nil
	ra.mu.Unlock()
}

// readLayoutLocked fills p from the layout at off (holes as zeros), through
// the read-ahead windows when the reader goes in order. f.mu is held for
// reading at least, so the layout cannot change meanwhile. p is zeroed only
// when it is not copied whole from a window: a sequential reader would
// otherwise clear every 1 MiB buffer just before overwriting it.
func (f *openFile) readLayoutLocked(ctx context.Context, p []byte, off uint64) error {
	if w := f.ra.window(f, off, len(p)); w != nil {
		<-w.done
		if w.err == nil {
			idx := off / raWindow
			start := off - idx*raWindow
			if start+uint64(len(p)) <= uint64(len(w.data)) {
				copy(p, w.data[start:])
				return nil
			}
		}
	}
	clear(p)
	return f.s.readCommitted(ctx, f.view, f.inline, p, off)
}

// window returns the fetch that holds [off, off+n), starting fetches
// ahead, or nil when the read is not part of an in-order pass.
func (ra *readahead) window(f *openFile, off uint64, n int) *raFetch {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	inOrder := off == ra.next
	ra.next = off + uint64(n)
	idx := off / raWindow
	if !inOrder || (off+uint64(n)-1)/raWindow != idx {
		return nil
	}
	// Nothing on the disks to read (inline content, holes), or nothing
	// beyond this read: a fetch in the background would only add a
	// goroutine handoff, which costs more than a small file's read.
	if len(f.view) == 0 || off+uint64(n) >= f.size {
		return nil
	}
	if ra.windows == nil {
		ra.windows = map[uint64]*raFetch{}
	}
	for i := range ra.windows {
		if i < idx {
			delete(ra.windows, i)
		}
	}
	for i := idx; i <= idx+raAhead && i*raWindow < f.size; i++ {
		if ra.windows[i] == nil {
			ra.windows[i] = ra.fetch(f, i)
		}
	}
	return ra.windows[idx]
}

// fetch reads window i of the current layout in the background. The
// layout slices are never changed in place (a commit builds new ones), so
// the goroutine may keep reading them after the lock is gone; blobs a
// commit frees meanwhile make the fetch fail, and the reader then reads
// the new layout itself.
func (ra *readahead) fetch(f *openFile, i uint64) *raFetch {
	start := i * raWindow
	w := &raFetch{done: make(chan struct{}), data: make([]byte, min(raWindow, f.size-start))}
	ext, inline, s := f.view, f.inline, f.s
	go func(ext []meta.Extent, inline []byte) {
		defer close(w.done)
		w.err = s.readCommitted(context.Background(), ext, inline, w.data, start)
	}(ext, inline)
	return w
}
