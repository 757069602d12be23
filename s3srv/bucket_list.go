package s3srv

import "sort"

// listBuckets is ListBuckets: every bucket, whoever owns it; access to the
// contents is decided per object by the store.
func (s *Server) listBuckets(req *request) (*response, error) {
	buckets, err := s.store.ListBuckets(req.ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	doc := xmlListAllMyBucketsResult{Owner: ownerXML(req.owner()), Buckets: []xmlBucket{}}
	for _, b := range buckets {
		doc.Buckets = append(doc.Buckets, xmlBucket{Name: b.Name, CreationDate: xmlTime(b.Created)})
	}
	return &response{xml: doc}, nil
}
