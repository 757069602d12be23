package s3srv

// headBucket is HeadBucket.
func (s *Server) headBucket(req *request) (*response, error) {
	if _, err := s.store.HeadBucket(req.ctx, req.bucket); err != nil {
		return nil, err
	}
	resp := &response{}
	resp.set("X-Amz-Bucket-Region", s.opts.Region)
	return resp, nil
}
