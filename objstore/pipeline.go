package objstore

import (
	"context"
	"fmt"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
)

// A sealedRun is a blob's worth of buffered writes handed to a background
// put, so that a writer streaming through the mount keeps filling its
// buffer while earlier bytes are encoded and fsynced. Until its put ends
// the run's bytes stay in memory and reads see them; after, the blob is
// durable but not yet named by any record ("staged") until the next commit.
type sealedRun struct {
	off  uint64
	data []byte
	id   uint64
	done chan struct{}
	err  error
}

// maxRunsPerFile bounds one file's puts in flight (and its memory).
const maxRunsPerFile = 3

func (r *sealedRun) extent() meta.Extent {
	return meta.Extent{Off: r.off, Len: uint64(len(r.data)), Blob: r.id}
}

// put writes the run's blob, holding one of the store's put slots.
func (s *Store) putRun(ctx context.Context, r *sealedRun) {
	s.putSlots <- struct{}{}
	defer func() { <-s.putSlots }()
	if r.id == 0 {
		id, err := s.newBlobID()
		if err != nil {
			r.err = err
			return
		}
		r.id = id
	}
	if err := s.blobs.Put(ctx, blob.ID(r.id), r.data); err != nil {
		r.err = fmt.Errorf("write blob: %w", mapBlobErr(err))
	}
}

// sealFullLocked hands every blob-sized stretch of buffered runs to the
// background, waiting for the oldest run when too many are in flight.
func (f *openFile) sealFullLocked(ctx context.Context) error {
	if !f.dirty.full {
		return nil
	}
	size := f.s.opts.BlobSize
	for i := 0; i < len(f.dirty.pieces); i++ {
		q := &f.dirty.pieces[i]
		for len(q.data) >= size {
			if len(f.runs) >= maxRunsPerFile {
				if err := f.absorbLocked(ctx, 1); err != nil {
					return err
				}
				// absorbing does not touch the dirty map: q stays valid.
			}
			r := &sealedRun{off: q.off, data: q.data[:size:size], done: make(chan struct{})}
			q.off += uint64(size)
			q.data = q.data[size:]
			f.dirty.bytes -= size
			f.runs = append(f.runs, r)
			go func() {
				defer close(r.done)
				f.s.putRun(context.WithoutCancel(ctx), r)
			}()
		}
		if len(q.data) == 0 {
			f.dirty.pieces = append(f.dirty.pieces[:i], f.dirty.pieces[i+1:]...)
			i--
		}
	}
	f.dirty.full = false
	return nil
}

// absorbLocked waits for the oldest runs (at least min of them, all when
// min < 0) and moves those done into the staged layout, in seal order. A
// failed put is retried once here; if it fails again the run stays and
// the error is returned, so nothing buffered is lost.
func (f *openFile) absorbLocked(ctx context.Context, min int) error {
	for n := 0; len(f.runs) > 0; n++ {
		r := f.runs[0]
		if min >= 0 && n >= min {
			select {
			case <-r.done:
			default:
				return nil
			}
		}
		<-r.done
		if r.err != nil {
			r.err = nil
			r.done = make(chan struct{})
			f.s.putRun(ctx, r)
			close(r.done)
			if r.err != nil {
				return r.err
			}
		}
		f.view = overlay(f.view, []meta.Extent{r.extent()})
		f.ra.drop()
		f.staged = append(f.staged, r.id)
		f.runs = f.runs[1:]
	}
	return nil
}

// readRunsInto overlays the bytes of runs still in memory.
func (f *openFile) readRunsInto(p []byte, off uint64) {
	end := off + uint64(len(p))
	for _, r := range f.runs {
		rend := r.off + uint64(len(r.data))
		if rend <= off || r.off >= end {
			continue
		}
		lo, hi := max(r.off, off), min(rend, end)
		copy(p[lo-off:hi-off], r.data[lo-r.off:hi-r.off])
	}
}
