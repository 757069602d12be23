package objstore

import (
	"crypto/md5"
	"hash"
	"sync/atomic"
)

// inlineHashMax is how many bytes a seqHasher digests on the writer's own
// goroutine before it hands the rest to a goroutine of its own. Small files
// never start one: on these machines a goroutine handoff (a futex wake and a
// cross-CPU interrupt) costs more than hashing a few KiB, and a small-file
// create paid about four of them.
const inlineHashMax = 64 << 10

// seqHasher computes the MD5 of a file written sequentially from offset 0.
// The first inlineHashMax bytes are digested in feed; past that the writer
// only hands over slices of its buffer to the hasher's goroutine. Handed-over
// slices are never written again: the write buffer only grows by appending
// and replaces (never edits) merged runs.
//
// feed, sumLater, sum and stop are called by one goroutine at a time (the
// open file's lock); backlog may be called at any time.
type seqHasher struct {
	m  hash.Hash     // owned by the caller until ch is made, then by run
	ch chan hashItem // nil while hashing inline
	// fed and hashed count bytes handed over and bytes digested: their
	// difference is the backlog a digest would wait for.
	fed, hashed atomic.Uint64
}

type hashItem struct {
	data  []byte
	reply chan []byte // when set: send the digest of everything so far
}

func newSeqHasher() *seqHasher { return &seqHasher{m: md5.New()} }

func (h *seqHasher) run(m hash.Hash) {
	for it := range h.ch {
		if it.reply != nil {
			it.reply <- m.Sum(nil)
			continue
		}
		m.Write(it.data)
		h.hashed.Add(uint64(len(it.data)))
	}
}

func (h *seqHasher) feed(p []byte) {
	fed := h.fed.Add(uint64(len(p)))
	if h.ch == nil {
		if fed <= inlineHashMax {
			h.m.Write(p)
			h.hashed.Add(uint64(len(p)))
			return
		}
		h.ch = make(chan hashItem, 256)
		go h.run(h.m)
	}
	h.ch <- hashItem{data: p}
}

// backlog is how many bytes fed are not digested yet.
func (h *seqHasher) backlog() uint64 {
	hashed := h.hashed.Load() // first: fed only grows past it
	return h.fed.Load() - hashed
}

// sumLater asks for the MD5 of everything fed so far; it arrives on the
// channel once everything before has been digested, while later feeds go on.
func (h *seqHasher) sumLater() <-chan []byte {
	reply := make(chan []byte, 1)
	if h.ch == nil {
		reply <- h.m.Sum(nil)
		return reply
	}
	h.ch <- hashItem{reply: reply}
	return reply
}

// sum waits for everything fed so far and returns its MD5.
func (h *seqHasher) sum() []byte {
	if h.ch == nil {
		return h.m.Sum(nil)
	}
	return <-h.sumLater()
}

// stop ends the goroutine, if one runs; the hasher must not be used after.
func (h *seqHasher) stop() {
	if h.ch != nil {
		close(h.ch)
	}
}
