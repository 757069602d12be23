package meta

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/sirupsen/logrus"
)

// ErrNotFound is returned by typed getters for a record that does not exist.
var ErrNotFound = errors.New("meta: not found")

// ErrLocked means another process holds the database (a running daemon).
var ErrLocked = errors.New("meta: database is in use by another process")

// Options configure Open.
type Options struct {
	// Dir holds the badger files; ignored when InMemory.
	Dir      string
	InMemory bool
	Log      *logrus.Entry
	// MemTableSize bounds badger's memory (default 64 MiB).
	MemTableSize int64
}

// DB is the metadata database.
type DB struct {
	bdb  *badger.DB
	log  *logrus.Entry
	sync *groupSync
	// inodes counts inode records (see inodecount.go).
	inodes atomic.Int64

	seqMu sync.Mutex
	seqs  map[string]*badger.Sequence

	stopGC chan struct{}
	gcDone chan struct{}
}

// maxConflictRetries bounds how often Update reruns a conflicting closure.
const maxConflictRetries = 64

// Open opens (or creates) the database.
func Open(opts Options) (*DB, error) {
	log := opts.Log
	if log == nil {
		log = logrus.NewEntry(logrus.StandardLogger())
	}
	log = log.WithField("component", "meta")
	bo := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		WithSyncWrites(false). // durability comes from groupSync
		WithLogger(badgerLogger{log}).
		WithNumVersionsToKeep(1).
		WithDetectConflicts(true)
	if opts.MemTableSize > 0 {
		bo = bo.WithMemTableSize(opts.MemTableSize)
	}
	if opts.InMemory {
		bo.Dir, bo.ValueDir = "", ""
	}
	bdb, err := badger.Open(bo)
	if err != nil {
		if !opts.InMemory && isLockError(err) {
			return nil, fmt.Errorf("open metadata in %s: %w (%v)", opts.Dir, ErrLocked, err)
		}
		return nil, fmt.Errorf("open metadata in %s: %w", opts.Dir, err)
	}
	d := &DB{bdb: bdb, log: log, seqs: map[string]*badger.Sequence{},
		stopGC: make(chan struct{}), gcDone: make(chan struct{})}
	d.sync = newGroupSync(bdb.Sync)
	var inodes int64
	if err := d.View(func(x *Txn) (err error) { inodes, err = x.countInodes(); return }); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("count inodes in %s: %w", opts.Dir, err)
	}
	d.inodes.Store(inodes)
	go d.valueLogGC()
	return d, nil
}

// Close releases sequences (returning unused leases is not needed: ids
// skipped after a restart are simply never used) and closes badger.
func (d *DB) Close() error {
	close(d.stopGC)
	<-d.gcDone
	d.seqMu.Lock()
	for _, s := range d.seqs {
		_ = s.Release()
	}
	d.seqs = nil
	d.seqMu.Unlock()
	if err := d.bdb.Close(); err != nil {
		return fmt.Errorf("close metadata: %w", err)
	}
	return nil
}

// View runs fn in a read-only snapshot.
func (d *DB) View(fn func(*Txn) error) error {
	return d.bdb.View(func(t *badger.Txn) error { return fn(&Txn{t: t}) })
}

// Update runs fn in a read-write transaction and commits it durably. fn is
// rerun on a conflict, so it must be free of side effects outside txn.
func (d *DB) Update(fn func(*Txn) error) error {
	if err := d.UpdateNoSync(fn); err != nil {
		return err
	}
	return d.sync.Sync()
}

// UpdateNoSync is Update without waiting for durability: for changes that
// may be lost in a crash without breaking a promise (e.g. atime).
func (d *DB) UpdateNoSync(fn func(*Txn) error) error {
	for attempt := 0; ; attempt++ {
		var x *Txn
		err := d.bdb.Update(func(t *badger.Txn) error { x = &Txn{t: t}; return fn(x) })
		if err == nil {
			d.inodes.Add(x.inodes)
			d.sync.committed()
		}
		if errors.Is(err, badger.ErrConflict) && attempt < maxConflictRetries {
			continue
		}
		if errors.Is(err, badger.ErrTxnTooBig) {
			return fmt.Errorf("metadata transaction too big: %w", err)
		}
		return err
	}
}

// NextID returns a number from the named sequence; numbers are never
// returned twice, even across restarts.
func (d *DB) NextID(name string) (uint64, error) {
	d.seqMu.Lock()
	defer d.seqMu.Unlock()
	s, ok := d.seqs[name]
	if !ok {
		var err error
		s, err = d.bdb.GetSequence(append([]byte{pfxSeq}, name...), 1000)
		if err != nil {
			return 0, fmt.Errorf("sequence %s: %w", name, err)
		}
		d.seqs[name] = s
	}
	return s.Next()
}

// Sync makes every committed transaction durable.
func (d *DB) Sync() error { return d.sync.Sync() }

// Unsynced reports how many committed transactions no finished sync has
// covered yet (a crash of the machine, not just of the process, could lose
// them).
func (d *DB) Unsynced() uint64 {
	synced := d.sync.synced.Load() // first: commits only grows
	return d.sync.commits.Load() - synced
}

// valueLogGC reclaims value-log space in the background, as badger wants
// its owner to do.
func (d *DB) valueLogGC() {
	defer close(d.gcDone)
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-d.stopGC:
			return
		case <-t.C:
			for d.bdb.RunValueLogGC(0.5) == nil {
			}
		}
	}
}

type badgerLogger struct{ log *logrus.Entry }

func (l badgerLogger) Errorf(f string, a ...interface{})   { l.log.Errorf(f, a...) }
func (l badgerLogger) Warningf(f string, a ...interface{}) { l.log.Warnf(f, a...) }
func (l badgerLogger) Infof(f string, a ...interface{})    { l.log.Debugf(f, a...) }
func (l badgerLogger) Debugf(f string, a ...interface{})   {}
