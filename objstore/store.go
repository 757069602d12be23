package objstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/sirupsen/logrus"
)

// Options configure a Store.
type Options struct {
	// InlineMax is the largest content kept inline in the metadata.
	InlineMax int
	// BlobSize is the largest blob written (the unit of erasure coding).
	BlobSize int
	// MinPartSize is S3's minimum size of every part but the last.
	MinPartSize int64
	// DirtyMax is how many buffered bytes an open file holds before it
	// commits on its own.
	DirtyMax int
	Log      *logrus.Entry
	// Now is the clock (tests replace it).
	Now func() time.Time
	// SyncInterval bounds how long a change that did not wait for the disk
	// (closed through the mount without fsync) stays volatile.
	SyncInterval time.Duration
	// CompactRate bounds the bytes per second the background compaction
	// of fragmented files rewrites (default 32 MiB/s; negative: no bound).
	CompactRate int64
}

func (o *Options) setDefaults() {
	if o.InlineMax == 0 {
		o.InlineMax = 64 << 10
	}
	if o.BlobSize == 0 {
		o.BlobSize = 4 << 20
	}
	if o.MinPartSize == 0 {
		o.MinPartSize = 5 << 20
	}
	if o.DirtyMax == 0 {
		o.DirtyMax = 16 << 20
	}
	if o.Log == nil {
		o.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CompactRate == 0 {
		o.CompactRate = 32 << 20
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Second
	}
}

// Store is the namespace and data path shared by every door.
type Store struct {
	db    *meta.DB
	blobs *blob.Store
	opts  Options
	log   *logrus.Entry
	keys  *Keys

	subsMu  sync.RWMutex
	subs    []subscriber
	nextSub int

	openMu sync.Mutex
	open   map[Ino]*openFile

	// putSlots bounds background blob puts across all open files.
	putSlots   chan struct{}
	etags      chan Ino
	stop       chan struct{}
	background sync.WaitGroup // goroutines Close waits for

	freeMu    sync.Mutex
	freeQueue []uint64     // blobs to delete after the next metadata sync
	freeing   sync.RWMutex // held for reading while a syncAndFree deletes

	capChanges atomic.Uint64 // sets and removes of security.capability

	compacts       chan Ino // files to compact (compact.go)
	compactMu      sync.Mutex
	compactPending map[Ino]struct{} // queued in compacts
}

// New builds a store on an open metadata database and blob layer, creating
// the root directory on first use and freeing inodes orphaned by a crash.
func New(db *meta.DB, blobs *blob.Store, opts Options) (*Store, error) {
	opts.setDefaults()
	s := &Store{db: db, blobs: blobs, opts: opts,
		log:  opts.Log.WithField("component", "objstore"),
		open: map[Ino]*openFile{}, keys: &Keys{db: db, now: opts.Now},
		putSlots: make(chan struct{}, 4),
		etags:    make(chan Ino, etagQueueLen), stop: make(chan struct{}),
		compacts: make(chan Ino, compactQueueLen), compactPending: map[Ino]struct{}{}}
	if err := s.ensureRoot(); err != nil {
		return nil, err
	}
	if err := s.freeOrphans(context.Background()); err != nil {
		return nil, err
	}
	s.background.Add(2)
	go s.etagWorker()
	go s.syncLoop()
	s.startCompaction()
	s.collectOrphansInBackground()
	return s, nil
}

func (s *Store) ensureRoot() error {
	now := s.opts.Now().UnixNano()
	return s.db.Update(func(x *meta.Txn) error {
		if _, err := x.Inode(uint64(RootIno)); err == nil {
			return nil
		} else if err != meta.ErrNotFound {
			return err
		}
		return x.PutInode(&meta.Inode{Ino: uint64(RootIno), Mode: ModeDir | 0o755, Nlink: 2,
			Parent: uint64(RootIno), Atime: now, Mtime: now, Ctime: now, Crtime: now})
	})
}

// Subscribe registers fn to receive change events (see Event) and returns
// the function that unregisters it.
func (s *Store) Subscribe(fn func(Event)) (cancel func()) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	s.nextSub++
	id := s.nextSub
	s.subs = append(s.subs, subscriber{id, fn})
	return func() {
		s.subsMu.Lock()
		defer s.subsMu.Unlock()
		for i, sub := range s.subs {
			if sub.id == id {
				s.subs = append(s.subs[:i:i], s.subs[i+1:]...)
				return
			}
		}
	}
}

type subscriber struct {
	id int
	fn func(Event)
}

// emit delivers events; callers hold no store lock.
func (s *Store) emit(ctx context.Context, evs ...Event) {
	if len(evs) == 0 {
		return
	}
	o := originOf(ctx)
	s.subsMu.RLock()
	subs := s.subs
	s.subsMu.RUnlock()
	for _, sub := range subs {
		for _, ev := range evs {
			ev.Origin = o
			sub.fn(ev)
		}
	}
}

// newIno allocates an inode number; never 0 or the root's.
func (s *Store) newIno() (uint64, error) {
	for {
		n, err := s.db.NextID("ino")
		if err != nil {
			return 0, fmt.Errorf("allocate inode: %w", err)
		}
		if n > uint64(RootIno) {
			return n, nil
		}
	}
}

func (s *Store) newBlobID() (uint64, error) {
	for {
		n, err := s.db.NextID("blob")
		if err != nil {
			return 0, fmt.Errorf("allocate blob id: %w", err)
		}
		if n != 0 {
			return n, nil
		}
	}
}

func (s *Store) now() int64 { return s.opts.Now().UnixNano() }

// update commits a metadata change. Changes the mount makes to the
// namespace (create, rename, unlink, chmod...) need not wait for an fsync
// of the metadata log, as on a local file system: they reach the disk with
// the next sync (an fsync, any S3 change, or syncLoop within SyncInterval)
// and they survive a crash of the daemon regardless, since the log is written
// before the call returns. Every other door's change is durable when the
// call returns.
func (s *Store) update(ctx context.Context, fn func(*meta.Txn) error) error {
	if originOf(ctx) == OriginMount {
		return s.db.UpdateNoSync(fn)
	}
	return s.db.Update(fn)
}
