package s3srv

import "github.com/shallot-storage/shallot/objstore"

// objectPartRange is where part N of a completed multipart object lies,
// for GET and HEAD ?partNumber=N.
type objectPartRange struct {
	start, length int64
	checksums     map[string]string
}

// partRange finds part n (1-based, counted in the object's part order, so
// that 1..x-amz-mp-parts-count are the parts whatever numbers they were
// uploaded with). An object that is not multipart is its own part 1, sent
// whole as a plain GET would send it (nil range).
func partRange(info objstore.ObjectInfo, n int) (*objectPartRange, error) {
	if len(info.Parts) == 0 {
		if n != 1 {
			return nil, errInvalidPartNumber
		}
		return nil, nil
	}
	if n > len(info.Parts) {
		return nil, errInvalidPartNumber
	}
	var start int64
	for _, p := range info.Parts[:n-1] {
		start += p.Size
	}
	p := info.Parts[n-1]
	return &objectPartRange{start: start, length: p.Size, checksums: p.Checksums}, nil
}
