package s3srv

import (
	"strconv"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// listParts is ListParts (GET ?uploadId).
func (s *Server) listParts(req *request) (*response, error) {
	q := req.query
	maxParts := maxListKeys
	if v := q.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errInvalidArgument.with("Provided max-parts not an integer or within integer range")
		}
		maxParts = min(n, maxListKeys)
	}
	marker := 0
	if v := q.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errInvalidArgument.with("Provided part-number-marker not an integer or within integer range")
		}
		marker = n
	}
	uploadID := q.Get("uploadId")
	res, err := s.store.ListParts(req.ctx, req.bucket, req.key, uploadID, marker, maxParts)
	if err != nil {
		return nil, err
	}
	doc := xmlListPartsResult{
		Bucket:               req.bucket,
		Key:                  req.key,
		UploadID:             uploadID,
		Initiator:            ownerXML(res.Upload.Owner),
		Owner:                ownerXML(res.Upload.Owner),
		StorageClass:         uploadStorageClass(res.Upload),
		ChecksumAlgorithm:    strings.ToUpper(res.Upload.ChecksumAlgorithm),
		ChecksumType:         res.Upload.ChecksumType,
		PartNumberMarker:     marker,
		NextPartNumberMarker: res.NextMarker,
		MaxParts:             maxParts,
		IsTruncated:          res.Truncated,
	}
	for _, p := range res.Parts {
		doc.Parts = append(doc.Parts, xmlPart{
			PartNumber:   p.Number,
			LastModified: xmlTime(p.LastModified),
			ETag:         quoteETag(p.ETag),
			Size:         p.Size,
			xmlChecksums: checksumsXML(p.Checksums),
		})
	}
	if !res.Truncated && len(res.Parts) > 0 {
		doc.NextPartNumberMarker = res.Parts[len(res.Parts)-1].Number
	}
	return &response{xml: doc}, nil
}

// listMultipartUploads is ListMultipartUploads (GET bucket?uploads).
func (s *Server) listMultipartUploads(req *request) (*response, error) {
	q := req.query
	p, err := parseListParams(q, "max-uploads")
	if err != nil {
		return nil, err
	}
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	pg, err := s.pageUploads(req, p, keyMarker, idMarker)
	if err != nil {
		return nil, err
	}
	doc := xmlListMultipartUploadsResult{
		Bucket:         req.bucket,
		KeyMarker:      p.enc(keyMarker),
		UploadIDMarker: idMarker,
		Prefix:         p.enc(p.prefix),
		Delimiter:      p.enc(p.delimiter),
		MaxUploads:     p.maxKeys,
		IsTruncated:    pg.truncated,
		CommonPrefixes: p.prefixes(pg.prefixes),
	}
	if p.urlEncode {
		doc.EncodingType = "url"
	}
	if pg.truncated {
		doc.NextKeyMarker = p.enc(pg.nextKey)
		doc.NextUploadIDMarker = pg.nextID
	}
	for _, u := range pg.uploads {
		doc.Uploads = append(doc.Uploads, xmlUpload{
			Key:               p.enc(u.Key),
			UploadID:          u.UploadID,
			Initiator:         ownerXML(u.Owner),
			Owner:             ownerXML(u.Owner),
			StorageClass:      uploadStorageClass(u),
			Initiated:         xmlTime(u.Initiated),
			ChecksumAlgorithm: strings.ToUpper(u.ChecksumAlgorithm),
			ChecksumType:      u.ChecksumType,
		})
	}
	return &response{xml: doc}, nil
}

// uploadPage is one page of ListMultipartUploads after folding by the
// delimiter.
type uploadPage struct {
	uploads         []objstore.Upload
	prefixes        []string
	truncated       bool
	nextKey, nextID string
}

// pageUploads lists uploads after the markers. The store pages by (key,
// upload id); with a delimiter, the uploads under one common prefix count
// once, as the prefix, and the listing jumps past them, so that a prefix
// is never split across pages and max-uploads counts entries as S3 does.
// A key marker that is itself a common prefix resumes after that prefix.
func (s *Server) pageUploads(req *request, p listParams, keyMarker, idMarker string) (uploadPage, error) {
	var pg uploadPage
	max := p.maxKeys
	if max == 0 {
		return pg, nil
	}
	commonPrefix := func(key string) string {
		if p.delimiter == "" || !strings.HasPrefix(key, p.prefix) {
			return ""
		}
		rest := key[len(p.prefix):]
		if i := strings.Index(rest, p.delimiter); i >= 0 {
			return p.prefix + rest[:i+len(p.delimiter)]
		}
		return ""
	}
	km, im := keyMarker, idMarker
	if im == "" && km != "" && commonPrefix(km) == km {
		if km, im = pastPrefix(km); km == "" {
			return pg, nil
		}
	}
	n := 0
	for {
		res, err := s.store.ListMultipartUploads(req.ctx, req.bucket, objstore.UploadQuery{
			Prefix: p.prefix, KeyMarker: km, UploadIDMarker: im, Limit: max - n + 1,
		})
		if err != nil {
			return pg, err
		}
		jumped := false
		for _, u := range res.Uploads {
			if n == max {
				pg.truncated = true
				return pg, nil
			}
			n++
			if cp := commonPrefix(u.Key); cp != "" {
				pg.prefixes = append(pg.prefixes, cp)
				pg.nextKey, pg.nextID = cp, ""
				if km, im = pastPrefix(cp); km == "" {
					return pg, nil
				}
				jumped = true
				break
			}
			pg.uploads = append(pg.uploads, u)
			pg.nextKey, pg.nextID = u.Key, u.UploadID
			km, im = u.Key, u.UploadID
		}
		if !jumped && !res.Truncated {
			return pg, nil
		}
	}
}

// pastPrefix returns markers that resume a listing after every key that
// starts with prefix: the smallest string above all of them, with an
// upload id marker below every id so that a key equal to it is included.
// An empty key means nothing can follow.
func pastPrefix(prefix string) (key, id string) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), "\x00"
		}
	}
	return "", ""
}
