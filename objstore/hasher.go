package objstore

import (
	"crypto/md5"
	"hash"
)

// seqHasher computes the MD5 of a file written sequentially from offset 0
// on its own goroutine, so the writer only hands over slices of its
// buffer. Handed-over slices are never written again: the write buffer
// only grows by appending and replaces (never edits) merged runs.
type seqHasher struct {
	ch chan hashItem
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
	}
}

func (h *seqHasher) feed(p []byte) { h.ch <- hashItem{data: p} }

// sum waits for everything fed so far and returns its MD5.
func (h *seqHasher) sum() []byte {
	reply := make(chan []byte, 1)
	h.ch <- hashItem{reply: reply}
	return <-reply
}

// stop ends the goroutine; the hasher must not be used after.
func (h *seqHasher) stop() { close(h.ch) }
