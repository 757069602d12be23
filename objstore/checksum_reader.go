package objstore

import (
	"encoding/base64"
	"fmt"
	"hash"
	"io"
)

// ChecksumReader returns a reader of r that feeds every byte to a fresh
// hash of each named algorithm (lower case) and, at r's EOF, puts each
// base64 digest into out under its name: whoever reads to the end (the
// store's ingest does) finds out filled in when it looks.
func ChecksumReader(r io.Reader, algs []string, out map[string]string) (io.Reader, error) {
	hs := make([]hash.Hash, len(algs))
	ws := make([]io.Writer, len(algs))
	for i, a := range algs {
		ca := ChecksumAlgorithmNamed(a)
		if ca == nil {
			return nil, fmt.Errorf("checksum algorithm %q: %w", a, ErrInvalid)
		}
		hs[i] = ca.New()
		ws[i] = hs[i]
	}
	return &atEOF{r: io.TeeReader(r, io.MultiWriter(ws...)), fn: func() {
		for i, a := range algs {
			out[a] = base64.StdEncoding.EncodeToString(hs[i].Sum(nil))
		}
	}}, nil
}

// atEOF calls fn once, when r reaches its end.
type atEOF struct {
	r  io.Reader
	fn func()
}

func (a *atEOF) Read(b []byte) (int, error) {
	n, err := a.r.Read(b)
	if err == io.EOF && a.fn != nil {
		a.fn()
		a.fn = nil
	}
	return n, err
}
