package fuse

import (
	"context"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/shallot-storage/shallot/objstore"
)

var _ fusefs.NodeReaddirer = (*node)(nil)

// dirPageSize is how many entries one store.ReadDir call returns. A kernel
// READDIR request holds 4 KiB to 128 KiB of entries, so a page serves a few
// requests, and memory per open directory stays bounded.
const dirPageSize = 512

// Readdir lists the directory lazily, one store page at a time. "." and
// ".." are not listed: go-fuse does not need them (it resolves them itself)
// and the store has no such entries to page through.
func (n *node) Readdir(ctx context.Context) (fusefs.DirStream, syscall.Errno) {
	return &dirStream{srv: n.srv, dir: n.ino()}, 0
}

// dirStream walks a directory by name cursor, so entries added or removed
// while it is open never make it repeat or skip an entry that stays. It is
// used by one open directory; go-fuse serialises calls on it.
type dirStream struct {
	srv *Server
	dir objstore.Ino

	page []objstore.DirEntry // current page, page[i:] not yet returned
	i    int
	// after is the name of the last entry fetched: the next page starts
	// strictly after it.
	after string
	done  bool // the store has no entries after `after`
	err   syscall.Errno
	// off counts the entries returned so far; the kernel's readdir
	// offset (telldir cookie) of the next entry is off.
	off uint64
}

var (
	_ fusefs.DirStream     = (*dirStream)(nil)
	_ fusefs.FileSeekdirer = (*dirStream)(nil)
)

// fill fetches the next page when the current one is used up.
func (d *dirStream) fill() {
	if d.i < len(d.page) || d.done || d.err != 0 {
		return
	}
	// DirStream calls carry no request context: the listing is not
	// cancellable, but each page is short.
	ctx := d.srv.ctx(context.Background())
	page, err := d.srv.store.ReadDir(ctx, d.dir, d.after, dirPageSize)
	if err != nil {
		d.err = d.srv.errno("readdir", err, permDenied)
		return
	}
	if d.off == 0 && d.after == "" {
		d.srv.accessed(d.dir)
	}
	d.page, d.i = page, 0
	if len(page) < dirPageSize {
		d.done = true
	}
	if len(page) > 0 {
		d.after = page[len(page)-1].Name
	}
}

// HasNext reports whether Next has an entry (or an error) to return.
func (d *dirStream) HasNext() bool {
	d.fill()
	return d.i < len(d.page) || d.err != 0
}

// Next returns the next entry.
func (d *dirStream) Next() (gofuse.DirEntry, syscall.Errno) {
	d.fill()
	if d.err != 0 {
		return gofuse.DirEntry{}, d.err
	}
	e := d.page[d.i]
	d.i++
	d.off++
	return gofuse.DirEntry{Name: e.Name, Ino: uint64(e.Ino), Mode: e.Mode, Off: d.off}, 0
}

// Seekdir serves rewinddir(3) (off 0) and seekdir(3) to a cookie handed out
// earlier. Names, not positions, are the store's cursor, so a seek replays
// the listing from the start: cheap for rewind, linear for the rare seekdir.
func (d *dirStream) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	if off == d.off {
		return 0
	}
	d.page, d.i, d.after, d.done, d.err, d.off = nil, 0, "", false, 0, 0
	for d.off < off {
		if !d.HasNext() {
			return 0
		}
		if _, errno := d.Next(); errno != 0 {
			return errno
		}
	}
	return 0
}

// Close releases nothing: the stream holds no store resources.
func (d *dirStream) Close() {}
