package objstore

import (
	"context"
	"crypto/md5"
	"fmt"
	"io"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
)

// ingested is a body streamed into blobs (or kept inline when small) and
// not yet named by any record: the caller commits it or drops it.
type ingested struct {
	size    uint64
	md5     []byte
	inline  []byte
	extents []meta.Extent
	blobs   []uint64 // written for this body: freed if it is not committed
	// upload, when set, is the multipart upload whose parts become the
	// object: its records go in the same transaction, which checks that
	// parts (the records the object is made of) are still current and
	// collects in garbage the data of the parts left out.
	upload  *meta.Upload
	parts   []meta.Part
	garbage []uint64
}

// drop frees the blobs of a body that will not be committed.
func (s *Store) drop(in *ingested) { s.deleteBlobs(in.blobs) }

// ingest reads r to EOF (size is a hint, -1 if unknown), hashing it once
// and writing full blobs while the next one is read. A read error (a bad
// signature, a client that went away) writes nothing that survives.
func (s *Store) ingest(ctx context.Context, r io.Reader, size int64, inlineOK bool) (*ingested, error) {
	h := md5.New()
	in := &ingested{}
	bufSize := s.opts.BlobSize
	if size >= 0 && size < int64(bufSize) {
		bufSize = int(size) + 1 // +1 so the read that sees EOF needs no second buffer
	}
	type put struct {
		id  uint64
		err error
	}
	var pending chan put
	wait := func() error {
		if pending == nil {
			return nil
		}
		p := <-pending
		pending = nil
		if p.err != nil {
			return fmt.Errorf("write blob: %w", mapBlobErr(p.err))
		}
		return nil
	}
	fail := func(err error) (*ingested, error) {
		if werr := wait(); werr != nil && err == nil {
			err = werr
		}
		s.drop(in)
		return nil, err
	}
	spare := make([]byte, bufSize)
	var cur []byte
	for {
		buf := spare
		n, eof, rerr := fill(r, buf)
		if rerr != nil {
			return fail(fmt.Errorf("read body: %w", rerr))
		}
		h.Write(buf[:n])
		first := in.size == 0 && len(in.blobs) == 0
		in.size += uint64(n)
		if in.size > maxFileSize {
			return fail(fmt.Errorf("body: %w", ErrTooLarge))
		}
		if first && eof && inlineOK && n <= s.opts.InlineMax {
			in.inline = append([]byte(nil), buf[:n]...)
			break
		}
		if n > 0 {
			if err := wait(); err != nil {
				return fail(err)
			}
			id, err := s.newBlobID()
			if err != nil {
				return fail(err)
			}
			in.extents = append(in.extents, meta.Extent{Off: in.size - uint64(n), Len: uint64(n), Blob: id})
			in.blobs = append(in.blobs, id)
			pending = make(chan put, 1)
			data := buf[:n]
			go func(ch chan put) { ch <- put{id, s.blobs.Put(ctx, blob.ID(id), data)} }(pending)
			// The buffer being written must not be reused until its put ends.
			spare, cur = cur, buf
			if spare == nil || cap(spare) < bufSize {
				spare = make([]byte, bufSize)
			}
			spare = spare[:bufSize]
		}
		if eof {
			break
		}
	}
	if err := wait(); err != nil {
		return fail(err)
	}
	if size >= 0 && in.size != uint64(size) {
		return fail(fmt.Errorf("body of %d bytes, declared %d: %w", in.size, size, ErrIncompleteBody))
	}
	in.md5 = h.Sum(nil)
	return in, nil
}

// fill reads into buf until it is full or the reader ends. Only a clean
// io.EOF ends a body: any other error, io.ErrUnexpectedEOF from a client
// that hung up included, fails it.
func fill(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}
