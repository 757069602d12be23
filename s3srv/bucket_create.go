package s3srv

import (
	"encoding/xml"
	"errors"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// createBucket is CreateBucket. A CreateBucketConfiguration body is
// accepted for any region: buckets of this server all live in one place,
// and refusing a client configured for another region would only get in
// the way.
func (s *Server) createBucket(req *request) (*response, error) {
	if strings.EqualFold(req.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled"), "true") {
		return nil, errNotImplemented.with("Object Lock is not supported.")
	}
	if err := checkCannedACL(req); err != nil {
		return nil, err
	}
	body, err := readSmallBody(req.body, 64<<10)
	if err != nil {
		return nil, req.bodyErr(malformedIfTooLarge(err))
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var cfg xmlCreateBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return nil, errMalformedXML
		}
	}
	err = s.store.CreateBucket(req.ctx, req.bucket, req.owner())
	if errors.Is(err, objstore.ErrExist) {
		b, herr := s.store.HeadBucket(req.ctx, req.bucket)
		if herr == nil && b.Owner != req.owner() {
			return nil, errBucketAlreadyExists
		}
		return nil, errBucketAlreadyOwnedByYou
	}
	if err != nil {
		return nil, err
	}
	resp := &response{}
	resp.set("Location", "/"+req.bucket)
	return resp, nil
}

func malformedIfTooLarge(err error) error {
	if errors.Is(err, errBodyTooLarge) {
		return errMalformedXML.with("The XML document is too large.")
	}
	return err
}
