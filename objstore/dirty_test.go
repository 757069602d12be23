package objstore

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPieceMapAgainstModel writes at random (appends, rewrites inside a
// run, writes that bridge runs or grow one) in both modes and checks the
// buffered bytes against a byte model, the run invariants (sorted, apart,
// byte count), and what each mode promises about bytes already handed
// out: in place, a rewrite inside one run keeps its buffer; otherwise a
// slice taken earlier keeps its bytes.
func TestPieceMapAgainstModel(t *testing.T) {
	for _, inPlace := range []bool{false, true} {
		for seed := uint64(1); seed <= 20; seed++ {
			t.Run(fmt.Sprint(inPlace, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 9))
				m := pieceMap{grain: 1 << 10}
				model := map[uint64]byte{}
				var held, heldWant []byte
				for op := 0; op < 400; op++ {
					off := uint64(rng.IntN(4 << 10))
					p := make([]byte, 1+rng.IntN(300))
					for i := range p {
						p[i] = byte(rng.Uint32())
					}
					var before *byte
					if i := m.find(off); inPlace && i >= 0 && off+uint64(len(p)) <= m.pieces[i].end() {
						before = &m.pieces[i].data[0]
					}
					if held == nil && len(m.pieces) > 0 && !inPlace {
						held = m.pieces[0].data[:len(m.pieces[0].data):len(m.pieces[0].data)]
						heldWant = bytes.Clone(held)
					}
					m.write(off, p, inPlace)
					for i, b := range p {
						model[off+uint64(i)] = b
					}
					if before != nil && &m.pieces[m.find(off)].data[0] != before {
						t.Fatalf("op %d: a rewrite inside one run moved it", op)
					}
					if held != nil && !bytes.Equal(held, heldWant) {
						t.Fatalf("op %d: bytes handed out were overwritten", op)
					}
					checkPieces(t, op, &m, model)
				}
			})
		}
	}
}

// find returns the index of the run holding off, or -1.
func (m *pieceMap) find(off uint64) int {
	for i, q := range m.pieces {
		if q.off <= off && off < q.end() {
			return i
		}
	}
	return -1
}

func checkPieces(t *testing.T, op int, m *pieceMap, model map[uint64]byte) {
	t.Helper()
	n := 0
	for i, q := range m.pieces {
		if len(q.data) == 0 || i > 0 && m.pieces[i-1].end() >= q.off {
			t.Fatalf("op %d: runs %d and %d are empty, unsorted, overlapping or touching: %d+%d, %d+%d", op, i-1, i,
				m.pieces[max(i-1, 0)].off, len(m.pieces[max(i-1, 0)].data), q.off, len(q.data))
		}
		n += len(q.data)
		for j, b := range q.data {
			if want, ok := model[q.off+uint64(j)]; !ok || want != b {
				t.Fatalf("op %d: byte at %d is %d, model %d (%v)", op, q.off+uint64(j), b, want, ok)
			}
		}
	}
	if n != len(model) || n != m.bytes {
		t.Fatalf("op %d: runs hold %d bytes, count says %d, model %d", op, n, m.bytes, len(model))
	}
}

// TestPieceMapTruncateThenGrow: bytes cut off by a truncate stay as they
// were when the run grows again (a hasher stopped by the truncate may
// still be reading them).
func TestPieceMapTruncateThenGrow(t *testing.T) {
	m := pieceMap{grain: 1 << 20}
	m.write(0, bytes.Repeat([]byte("a"), 100), false)
	held := m.pieces[0].data[50:100:100]
	m.truncate(50)
	m.write(50, bytes.Repeat([]byte("b"), 100), true)
	if !bytes.Equal(held, bytes.Repeat([]byte("a"), 50)) {
		t.Fatalf("bytes cut off by the truncate were overwritten: %q", held)
	}
	checkPieces(t, 0, &m, func() map[uint64]byte {
		model := map[uint64]byte{}
		for i := uint64(0); i < 150; i++ {
			model[i] = map[bool]byte{true: 'a', false: 'b'}[i < 50]
		}
		return model
	}())
}
