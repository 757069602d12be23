package s3srv

import (
	"errors"
	"net/http"

	"github.com/shallot-storage/shallot/objstore"
)

// deleteObject is DeleteObject. Deleting what is not there succeeds, as in
// S3; so does deleting a directory key ("a/") that still has keys below
// it: the directory stays as long as it has children, the way S3 shows a
// prefix as long as keys carry it.
func (s *Server) deleteObject(req *request) (*response, error) {
	if err := s.deleteKey(req, req.key); err != nil {
		return nil, err
	}
	return &response{status: http.StatusNoContent}, nil
}

func (s *Server) deleteKey(req *request, key string) error {
	err := s.store.DeleteObject(req.ctx, req.bucket, key)
	if err == nil || errors.Is(err, objstore.ErrNoSuchBucket) {
		return err
	}
	for _, absent := range []error{
		objstore.ErrNotExist, objstore.ErrNotDir, objstore.ErrIsDir,
		objstore.ErrInvalidName, objstore.ErrNameTooLong, objstore.ErrNotEmpty,
	} {
		if errors.Is(err, absent) {
			return nil
		}
	}
	return err
}
