package s3srv

import "net/http"

// deleteBucket is DeleteBucket; a bucket that holds anything is refused
// with BucketNotEmpty (the store's ErrNotEmpty).
func (s *Server) deleteBucket(req *request) (*response, error) {
	if err := s.store.DeleteBucket(req.ctx, req.bucket); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}
