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
		StorageClass:         "STANDARD",
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
		})
	}
	if !res.Truncated && len(res.Parts) > 0 {
		doc.NextPartNumberMarker = res.Parts[len(res.Parts)-1].Number
	}
	return &response{xml: doc}, nil
}

// listMultipartUploads is ListMultipartUploads (GET bucket?uploads). The
// store pages by key and upload id; a delimiter folds the uploads of one
// page into common prefixes here.
func (s *Server) listMultipartUploads(req *request) (*response, error) {
	q := req.query
	p, err := parseListParams(q, "max-uploads")
	if err != nil {
		return nil, err
	}
	keyMarker, idMarker := q.Get("key-marker"), q.Get("upload-id-marker")
	res, err := s.store.ListMultipartUploads(req.ctx, req.bucket, objstore.UploadQuery{
		Prefix: p.prefix, KeyMarker: keyMarker, UploadIDMarker: idMarker, Limit: p.maxKeys,
	})
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
		IsTruncated:    res.Truncated,
	}
	if p.urlEncode {
		doc.EncodingType = "url"
	}
	if res.Truncated {
		doc.NextKeyMarker = p.enc(res.NextKeyMarker)
		doc.NextUploadIDMarker = res.NextUploadIDMarker
	}
	seen := map[string]bool{}
	for _, u := range res.Uploads {
		if p.delimiter != "" {
			rest := strings.TrimPrefix(u.Key, p.prefix)
			if i := strings.Index(rest, p.delimiter); i >= 0 {
				cp := p.prefix + rest[:i+len(p.delimiter)]
				if !seen[cp] {
					seen[cp] = true
					doc.CommonPrefixes = append(doc.CommonPrefixes, xmlPrefix{Prefix: p.enc(cp)})
				}
				continue
			}
		}
		doc.Uploads = append(doc.Uploads, xmlUpload{
			Key:          p.enc(u.Key),
			UploadID:     u.UploadID,
			Initiator:    ownerXML(u.Owner),
			Owner:        ownerXML(u.Owner),
			StorageClass: "STANDARD",
			Initiated:    xmlTime(u.Initiated),
		})
	}
	return &response{xml: doc}, nil
}
