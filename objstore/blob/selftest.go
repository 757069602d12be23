package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/klauspost/reedsolomon"
)

// knownParity returns the SHA-256 of the parity shards selfTestInput
// produces, for common geometries ("" when not recorded). The parity of
// every stored shard depends on the library's encoding matrix: if an
// upgrade changed it, old parity would reconstruct garbage, so a mismatch
// here must stop the daemon.
func knownParity(k, m int) string {
	switch [2]int{k, m} {
	case [2]int{2, 1}:
		return "c7b53ea39f9f2adae444722b7473b326ad61fcf9ca0f998c1f486c5b4abce515"
	case [2]int{3, 2}:
		return "f7703159b05780f143134bee0ddc610376cf30fb6cfaff385d19827fc6fe37fb"
	case [2]int{4, 2}:
		return "b73bebd543eed521a60c9619780b0ef6019cfc911366ce53d29258c910772a92"
	case [2]int{6, 3}:
		return "c37ac709770a82fb70d31a3bdc62a5c6c5adaf964260bbfd7dd4701f932fe661"
	case [2]int{8, 4}:
		return "5f4d614bfc83c435f0e436d491e32091cd9dee5de11f0aba2377ebf0521b16fd"
	case [2]int{10, 4}:
		return "280cc3c82699c67b3ee178c82017cfb3535d918600f4eec2f45ef1c3c29e8b4a"
	case [2]int{12, 4}:
		return "fcdbb34b34e99037dd65bce79caa4eed4d43ef58e8d9434907f376ca6488ed17"
	}
	return ""
}

// selfTestInput is a fixed, irregular buffer whose shard length (1031
// bytes) is not a multiple of any SIMD width, so both the vector loops and
// the scalar tails run.
func selfTestInput(k int) []byte {
	b := make([]byte, k*1031)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// selfTest catches a broken SIMD code path at start-up: it encodes a fixed
// buffer with enc and with the library's portable code, compares the
// parity (and, for known geometries, its hash), then erases m shards and
// checks that enc reconstructs them bit-exact.
func selfTest(enc reedsolomon.Encoder, k, m int) error {
	ref, err := reedsolomon.New(k, m,
		reedsolomon.WithSSSE3(false), reedsolomon.WithAVX2(false), reedsolomon.WithSSE2(false),
		reedsolomon.WithAVX512(false), reedsolomon.WithGFNI(false), reedsolomon.WithAVXGFNI(false),
		reedsolomon.WithNEON(false), reedsolomon.WithSVE(false))
	if err != nil {
		return fmt.Errorf("blob: self-test: %w", err)
	}
	in := selfTestInput(k)
	encode := func(e reedsolomon.Encoder) ([][]byte, error) {
		shards := make([][]byte, k+m)
		for i := range shards {
			shards[i] = make([]byte, 1031)
			if i < k {
				copy(shards[i], in[i*1031:])
			}
		}
		return shards, e.Encode(shards)
	}
	got, err := encode(enc)
	if err != nil {
		return fmt.Errorf("blob: self-test: encode: %w", err)
	}
	want, err := encode(ref)
	if err != nil {
		return fmt.Errorf("blob: self-test: portable encode: %w", err)
	}
	for i := k; i < k+m; i++ {
		if !bytes.Equal(got[i], want[i]) {
			return fmt.Errorf("blob: self-test: %d+%d parity shard %d differs from the portable encoder's: broken erasure-coding code path", k, m, i)
		}
	}
	if h := knownParity(k, m); h != "" {
		if p := parityHash(got[k:]); p != h {
			return fmt.Errorf("blob: self-test: %d+%d parity hash %s, want %s: encoding matrix changed", k, m, p, h)
		}
	}
	for i := 0; i < m; i++ {
		got[i] = got[i][:0]
	}
	if err := enc.ReconstructData(got); err != nil {
		return fmt.Errorf("blob: self-test: reconstruct: %w", err)
	}
	for i := 0; i < m && i < k; i++ {
		if !bytes.Equal(got[i], in[i*1031:(i+1)*1031]) {
			return fmt.Errorf("blob: self-test: %d+%d reconstruction of shard %d is wrong", k, m, i)
		}
	}
	return nil
}

func parityHash(parity [][]byte) string {
	h := sha256.New()
	for _, p := range parity {
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
