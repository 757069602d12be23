package objstore

import (
	"crypto/md5"
	"hash"
	"sync/atomic"
)

// seqHasher computes the MD5 of a file written sequentially from offset 0
// on its own goroutine, so the writer only hands over slices of its
// buffer. Handed-over slices are never written again: the write buffer
// only grows by appending and replaces (never edits) merged runs.
type seqHasher struct {
	ch chan hashItem
	// fed and hashed count bytes handed over and bytes digested: their
	// difference is the backlog a digest would wait for.
	fed, hashed atomic.Uint64
}

type hashItem struct {
	data  []byte
	reply chan []byte // when set: send the digest of everything so far
}

func newSeqHasher() *seqHasher {
	h := &seqHasher{ch: make(chan hashItem, 256)}
	go h.run(md5.New())
	return h
}

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
	h.fed.Add(uint64(len(p)))
	h.ch <- hashItem{data: p}
}

// backlog is how many bytes fed are not digested yet.
func (h *seqHasher) backlog() uint64 {
	hashed := h.hashed.Load() // first: fed only grows past it
	return h.fed.Load() - hashed
}

// sumLater asks for the MD5 of everything fed so far; it arrives on the
// channel once the goroutine has digested it, while later feeds go on.
func (h *seqHasher) sumLater() <-chan []byte {
	reply := make(chan []byte, 1)
	h.ch <- hashItem{reply: reply}
	return reply
}

// sum waits for everything fed so far and returns its MD5.
func (h *seqHasher) sum() []byte { return <-h.sumLater() }

// stop ends the goroutine; the hasher must not be used after.
func (h *seqHasher) stop() { close(h.ch) }
