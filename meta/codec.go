package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errCorrupt reports a record that does not decode; it means the metadata
// directory is damaged, never a caller mistake.
var errCorrupt = errors.New("meta: corrupt record")

// enc appends fields to a record in a fixed order. Records start with a
// format version byte so the schema can evolve.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) uv(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) sv(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) str(s string) { e.uv(uint64(len(s))); e.b = append(e.b, s...) }

// checksums encodes a map of checksums by algorithm (parts, objects).
func (e *enc) checksums(m map[string]string) {
	e.uv(uint64(len(m)))
	for alg, v := range m {
		e.str(alg)
		e.str(v)
	}
}
func (e *enc) bytes(p []byte) {
	e.uv(uint64(len(p)))
	e.b = append(e.b, p...)
}

// dec reads fields in the order enc wrote them; the first error sticks.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
}

func (d *dec) u8() uint8 {
	if d.err != nil || len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) uv() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) sv() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) u32() uint32 {
	v := d.uv()
	if v > 1<<32-1 {
		d.fail()
	}
	return uint32(v)
}

func (d *dec) raw() []byte {
	n := d.uv()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string { return string(d.raw()) }

// maxChecksums bounds a decoded checksum map: there are five algorithms.
const maxChecksums = 16

// checksums decodes what enc.checksums wrote; nil when empty.
func (d *dec) checksums() map[string]string {
	n := d.uv()
	if n > maxChecksums {
		d.fail()
	}
	var m map[string]string
	for i := uint64(0); i < n && d.err == nil; i++ {
		if m == nil {
			m = make(map[string]string, n)
		}
		alg := d.str()
		m[alg] = d.str()
	}
	return m
}

// done checks the version byte was known and nothing was left over.
func (d *dec) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("%s: %w", what, d.err)
	}
	return nil
}
