package blob

import "sync"

// tableCache keeps the block checksum tables of shard headers read for
// partial reads deep in a shard, so that a random small read costs one
// disk read per shard instead of two (header, then data).
//
// A cached table never goes stale: a blob never changes, blob ids are never
// reused, and a shard rewritten by a repair carries the same table. The
// data blocks are still checked against it, so a shard damaged or replaced
// on disk after its table was cached is caught as before.
type tableCache struct {
	mu    sync.Mutex
	max   int // bytes of tables kept at most
	bytes int
	m     map[tableKey][]byte
}

type tableKey struct {
	id    ID
	shard int
}

// tableCacheBytes covers ~8000 shards of 1 MiB (4 KiB tables): the
// shards of ~1300 blobs, 5 GiB of data, for 32 MiB of memory.
const tableCacheBytes = 32 << 20

func newTableCache(max int) *tableCache {
	return &tableCache{max: max, m: make(map[tableKey][]byte)}
}

func (c *tableCache) get(id ID, shard int) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[tableKey{id, shard}]
	return t, ok
}

// add keeps a copy of table (the caller's buffer is pooled). When full it
// forgets entries at random until a quarter of the room is free.
func (c *tableCache) add(id ID, shard int, table []byte) {
	if len(table) > c.max/4 {
		return
	}
	t := append([]byte(nil), table...)
	c.mu.Lock()
	defer c.mu.Unlock()
	k := tableKey{id, shard}
	if old, ok := c.m[k]; ok {
		c.bytes -= len(old)
	}
	if c.bytes+len(t) > c.max {
		for key, old := range c.m {
			if c.bytes+len(t) <= c.max*3/4 {
				break
			}
			delete(c.m, key)
			c.bytes -= len(old)
		}
	}
	c.m[k] = t
	c.bytes += len(t)
}

// drop forgets the tables of a deleted blob.
func (c *tableCache) drop(id ID, shards int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < shards; i++ {
		k := tableKey{id, i}
		if t, ok := c.m[k]; ok {
			c.bytes -= len(t)
			delete(c.m, k)
		}
	}
}
