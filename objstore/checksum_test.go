package objstore

import (
	"encoding/base64"
	"encoding/hex"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// The catalogue check values ("123456789") of each CRC.
func TestChecksumAlgorithmsCheckValues(t *testing.T) {
	for _, c := range []struct{ alg, want string }{
		{"crc32", "cbf43926"},
		{"crc32c", "e3069283"},
		{"crc64nvme", "ae8b14860a799888"},
		{"sha1", "f7c3bc1d808e04732adf679965ccc34ca7ae3441"},
	} {
		t.Run(c.alg, func(t *testing.T) {
			h := ChecksumAlgorithmNamed(c.alg).New()
			h.Write([]byte("123456789"))
			if got := hex.EncodeToString(h.Sum(nil)); got != c.want {
				t.Fatalf("got %s want %s", got, c.want)
			}
		})
	}
}

func sumOf(a *ChecksumAlgorithm, b []byte) []byte {
	h := a.New()
	h.Write(b)
	return h.Sum(nil)
}

func TestMultipartChecksum(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	data := make([]byte, 300_000)
	rng.Read(data)
	splits := map[string][]int{
		"one part":       {len(data)},
		"three parts":    {100_000, 150_000, 50_000},
		"odd sizes":      {1, 99_999, 3, 199_997},
		"empty last one": {len(data), 0},
	}
	for _, a := range checksumAlgorithms {
		for name, sizes := range splits {
			t.Run(a.Name+"/"+name, func(t *testing.T) {
				var parts []partSum
				composite := a.New()
				off := 0
				for _, n := range sizes {
					s := sumOf(&a, data[off:off+n])
					composite.Write(s)
					parts = append(parts, partSum{sum: s, size: uint64(n)})
					off += n
				}
				got, err := a.multipartChecksum(ChecksumComposite, parts)
				if a.Supports(ChecksumComposite) {
					want := base64.StdEncoding.EncodeToString(composite.Sum(nil)) + "-" + strconv.Itoa(len(sizes))
					if err != nil || got != want {
						t.Errorf("composite %q %v, want %q", got, err, want)
					}
				} else if err == nil {
					t.Errorf("composite %s gave %q", a.Name, got)
				}
				got, err = a.multipartChecksum(ChecksumFullObject, parts)
				if a.Supports(ChecksumFullObject) {
					if want := base64.StdEncoding.EncodeToString(sumOf(&a, data)); err != nil || got != want {
						t.Errorf("full object %q %v, want %q", got, err, want)
					}
				} else if err == nil || strings.Contains(got, "=") {
					t.Errorf("full object %s gave %q", a.Name, got)
				}
			})
		}
	}
}
