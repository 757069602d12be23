package blob

import (
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/klauspost/reedsolomon"
	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore/disk"
)

// ID names a blob. The caller allocates it and never reuses it.
type ID uint64

// String is the form used in shard file names and logs.
func (id ID) String() string { return fmt.Sprintf("%016x", uint64(id)) }

var (
	// ErrUnreadable means some requested bytes have fewer than k good
	// shards: the data is lost (the store reports EIO).
	ErrUnreadable = errors.New("blob unreadable: too few good shards")
	// ErrTooLarge rejects a Put over Options.MaxBlobSize.
	ErrTooLarge = errors.New("blob larger than the maximum blob size")
)

// DefaultBlockSize is the checksum block size of new shards. 4 KiB keeps
// a random 4 KiB read at one or two blocks of I/O and checksum work, while
// the table costs 4 bytes per 4 KiB (0.1%); see BenchmarkBlockSize and the
// package's report for the measurement behind it.
const DefaultBlockSize = 4 << 10

// Options configure a Store. Zero fields take the defaults.
type Options struct {
	DataShards   int // k, default 4
	ParityShards int // m, default 2 (at least 1)
	MaxBlobSize  int // default 4 MiB
	// BlockSize is the checksum block size written into new shards: a
	// power of two from 512 bytes to 16 MiB, default DefaultBlockSize.
	// Shards written with another block size stay readable.
	BlockSize int
	Log       *logrus.Entry
}

// Store reads and writes blobs on a fixed set of disks.
type Store struct {
	disks   []disk.Disk
	k, m    int
	bs      int
	maxSize int
	enc     reedsolomon.Encoder
	log     *logrus.Entry
	bufs    bufPool
	geo     *geoCache
	tables  *tableCache
}

// New returns a Store writing shard i of every blob to disks[i]; it needs
// exactly k+m disks. It runs the erasure-coding self-test first.
func New(disks []disk.Disk, opts Options) (*Store, error) {
	if opts.DataShards == 0 {
		opts.DataShards = 4
	}
	if opts.ParityShards == 0 {
		opts.ParityShards = 2
	}
	if opts.MaxBlobSize == 0 {
		opts.MaxBlobSize = 4 << 20
	}
	if opts.BlockSize == 0 {
		opts.BlockSize = DefaultBlockSize
	}
	if opts.Log == nil {
		l := logrus.New()
		opts.Log = logrus.NewEntry(l).WithField("component", "blob")
	}
	k, m := opts.DataShards, opts.ParityShards
	switch {
	case k < 1 || m < 1 || k+m > maxTotalShards:
		return nil, fmt.Errorf("blob: %d data + %d parity shards: out of range", k, m)
	case len(disks) != k+m:
		return nil, fmt.Errorf("blob: %d disks for %d+%d shards", len(disks), k, m)
	case opts.BlockSize < minBlockSize || opts.BlockSize > maxBlockSize || opts.BlockSize&(opts.BlockSize-1) != 0:
		return nil, fmt.Errorf("blob: block size %d: not a power of two in [%d, %d]", opts.BlockSize, minBlockSize, maxBlockSize)
	case opts.MaxBlobSize < 0 || opts.MaxBlobSize > maxBlobBytes:
		return nil, fmt.Errorf("blob: max blob size %d out of range", opts.MaxBlobSize)
	}
	enc, err := reedsolomon.New(k, m)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	if err := selfTest(enc, k, m); err != nil {
		return nil, err
	}
	return &Store{
		disks:   disks,
		k:       k,
		m:       m,
		bs:      opts.BlockSize,
		maxSize: opts.MaxBlobSize,
		enc:     enc,
		log:     opts.Log,
		geo:     newGeoCache(geoCacheEntries),
		tables:  newTableCache(tableCacheBytes),
	}, nil
}

// shardName is the file name of shard i of blob id: the shard index is in
// the name too, so that a future placement can put several shards of one
// blob on one disk.
func shardName(id ID, i int) string {
	b := make([]byte, 0, 24)
	b = fmt.Appendf(b, "%016x.", uint64(id))
	return string(strconv.AppendInt(b, int64(i), 10))
}

// parseShardName is the inverse of shardName.
func parseShardName(name string) (ID, int, bool) {
	if len(name) < 18 || name[16] != '.' {
		return 0, 0, false
	}
	id, err := strconv.ParseUint(name[:16], 16, 64)
	if err != nil {
		return 0, 0, false
	}
	i, err := strconv.Atoi(name[17:])
	if err != nil || i < 0 || strconv.Itoa(i) != name[17:] {
		return 0, 0, false
	}
	return ID(id), i, true
}

// bufPool recycles the large buffers of the read and write paths.
type bufPool struct{ p sync.Pool }

// get returns a buffer of length n.
func (bp *bufPool) get(n int) *[]byte {
	if v, ok := bp.p.Get().(*[]byte); ok {
		if cap(*v) >= n {
			*v = (*v)[:n]
			return v
		}
	}
	b := make([]byte, n)
	return &b
}

func (bp *bufPool) put(b *[]byte) {
	if b != nil {
		bp.p.Put(b)
	}
}

// geoCacheEntries bounds the geometry cache (about 50 bytes an entry).
const geoCacheEntries = 1 << 16

// geoCache remembers the geometry of recently used blobs so that a read
// knows which shard to go to without reading a header first. Entries never
// go stale since IDs are not reused; eviction is random.
type geoCache struct {
	mu  sync.Mutex
	max int
	m   map[ID]geometry
}

func newGeoCache(max int) *geoCache { return &geoCache{max: max, m: make(map[ID]geometry)} }

func (c *geoCache) get(id ID) (geometry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.m[id]
	return g, ok
}

func (c *geoCache) add(id ID, g geometry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		n := c.max / 8
		for k := range c.m {
			delete(c.m, k)
			if n--; n <= 0 {
				break
			}
		}
	}
	c.m[id] = g
}

func (c *geoCache) drop(id ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}
