package disk

import (
	"container/list"
	"sync"
	"syscall"
)

// Shard files are read in small ranges (a random 4 KiB read of a file is
// one range of one shard), and opening and closing the file around every
// pread cost as much as the read: a tenth of the daemon's CPU under fio
// random reads. Dir therefore keeps recently read files open, in one cache
// for the process so that the descriptors it holds stay bounded however
// many Dirs exist (tests open hundreds).
//
// A cached descriptor is only used while its file still has a name:
// WriteFile and Remove drop the entry for their path, and every use checks
// the link count with fstat, so a shard file replaced or deleted behind the
// process's back (a repair by another process, an operator, a fault test)
// is never read through the old descriptor. Data changed in place is seen
// at once, as the descriptor is the file.
var openFiles = newFDCache(fdCacheSize())

// fdCacheSize is a quarter of the descriptors the process may open, at most
// 2048: the rest stay for the FUSE device, badger and client connections.
func fdCacheSize() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 64
	}
	return int(min(max(rl.Cur/4, 16), 2048))
}

type fdCache struct {
	mu    sync.Mutex
	max   int
	files map[string]*cachedFD
	lru   list.List // of *cachedFD, most recently used first
}

// cachedFD is an open descriptor for reading; refs counts reads using it,
// and a descriptor dropped from the cache is closed when the last ends.
type cachedFD struct {
	path string
	fd   int
	refs int
	gone bool
	el   *list.Element
}

func newFDCache(max int) *fdCache {
	return &fdCache{max: max, files: map[string]*cachedFD{}}
}

// acquire returns an open descriptor for path, opening it if no linked one
// is cached; the caller reads with it and then calls release.
func (c *fdCache) acquire(path string) (*cachedFD, error) {
	c.mu.Lock()
	e := c.files[path]
	if e != nil {
		e.refs++
		c.lru.MoveToFront(e.el)
	}
	c.mu.Unlock()
	if e != nil {
		var st syscall.Stat_t
		if err := syscall.Fstat(e.fd, &st); err == nil && st.Nlink > 0 {
			return e, nil
		}
		c.release(e)
		c.drop(path)
	}
	fd, err := openRead(path)
	if err != nil {
		return nil, err
	}
	return c.add(path, fd), nil
}

// add caches fd for path, with one reference for the caller, evicting the
// least recently used entries beyond the size.
func (c *fdCache) add(path string, fd int) *cachedFD {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.files[path]; old != nil {
		// Another reader opened it meanwhile: keep one.
		c.removeLocked(old)
	}
	e := &cachedFD{path: path, fd: fd, refs: 1}
	e.el = c.lru.PushFront(e)
	c.files[path] = e
	for c.lru.Len() > c.max {
		c.removeLocked(c.lru.Back().Value.(*cachedFD))
	}
	return e
}

// release ends a read that acquire started.
func (c *fdCache) release(e *cachedFD) {
	c.mu.Lock()
	e.refs--
	closeNow := e.gone && e.refs == 0
	c.mu.Unlock()
	if closeNow {
		syscall.Close(e.fd)
	}
}

// drop forgets path: its file was replaced or removed.
func (c *fdCache) drop(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.files[path]; e != nil {
		c.removeLocked(e)
	}
}

// removeLocked takes e out of the cache and closes it unless a read still
// uses it (release closes it then).
func (c *fdCache) removeLocked(e *cachedFD) {
	delete(c.files, e.path)
	c.lru.Remove(e.el)
	e.gone = true
	if e.refs == 0 {
		syscall.Close(e.fd)
	}
}

// len is the number of cached descriptors (for tests).
func (c *fdCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
