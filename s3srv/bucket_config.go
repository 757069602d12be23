package s3srv

import (
	"strings"
)

// Bucket and object configuration this server does not keep: answered
// truthfully as "none" (clients read them when they show a bucket), and
// refused when a client tries to set them.

func (s *Server) getBucketLocation(req *request) (*response, error) {
	if _, err := s.store.HeadBucket(req.ctx, req.bucket); err != nil {
		return nil, err
	}
	// us-east-1 is reported as the empty constraint, as AWS does.
	region := s.opts.Region
	if region == "us-east-1" {
		region = ""
	}
	return &response{xml: xmlLocationConstraint{Region: region}}, nil
}

func (s *Server) getBucketVersioning(req *request) (*response, error) {
	if _, err := s.store.HeadBucket(req.ctx, req.bucket); err != nil {
		return nil, err
	}
	return &response{xml: xmlVersioningConfiguration{}}, nil
}

// getBucketACL reports the one grant that exists: FULL_CONTROL for the
// owner.
func (s *Server) getBucketACL(req *request) (*response, error) {
	b, err := s.store.HeadBucket(req.ctx, req.bucket)
	if err != nil {
		return nil, err
	}
	return &response{xml: ownerOnlyACL(b.Owner)}, nil
}

func (s *Server) getObjectACL(req *request) (*response, error) {
	info, err := s.store.HeadObject(req.ctx, req.bucket, req.key)
	if err != nil {
		return nil, readErr(err)
	}
	return &response{xml: ownerOnlyACL(info.Owner)}, nil
}

// putBucketACL and putObjectACL accept only what is already true: the
// private canned ACL.
func (s *Server) putBucketACL(req *request) (*response, error) {
	if _, err := s.store.HeadBucket(req.ctx, req.bucket); err != nil {
		return nil, err
	}
	return s.acceptPrivateACL(req)
}

func (s *Server) putObjectACL(req *request) (*response, error) {
	if _, err := s.store.HeadObject(req.ctx, req.bucket, req.key); err != nil {
		return nil, readErr(err)
	}
	return s.acceptPrivateACL(req)
}

func (s *Server) acceptPrivateACL(req *request) (*response, error) {
	if req.r.Header.Get("X-Amz-Acl") == "" {
		return nil, errNotImplemented.with("Only the canned ACL \"private\" (x-amz-acl) is supported.")
	}
	if err := checkCannedACL(req); err != nil {
		return nil, err
	}
	return &response{}, nil
}

// checkCannedACL refuses an x-amz-acl or x-amz-grant-* header that asks for
// more than owner-only access: pretending to share would be worse than
// saying no.
func checkCannedACL(req *request) error {
	for k := range req.r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-grant-") {
			return errNotImplemented.with("Grants (x-amz-grant-*) are not supported; access follows POSIX ownership.")
		}
	}
	switch acl := req.r.Header.Get("X-Amz-Acl"); acl {
	case "", "private", "bucket-owner-full-control", "bucket-owner-read":
		return nil
	default:
		return errNotImplemented.with("The canned ACL %q is not supported; only \"private\".", acl)
	}
}

// emptyBucketConfig answers with an empty configuration document.
func (s *Server) emptyBucketConfig(doc any) func(*request) (*response, error) {
	return func(req *request) (*response, error) {
		if _, err := s.store.HeadBucket(req.ctx, req.bucket); err != nil {
			return nil, err
		}
		return &response{xml: doc}, nil
	}
}

// bucketConfigNotFound answers with the "no such configuration" error.
func (s *Server) bucketConfigNotFound(notFound *apiError) func(*request) (*response, error) {
	return func(req *request) (*response, error) {
		if _, err := s.store.HeadBucket(req.ctx, req.bucket); err != nil {
			return nil, err
		}
		return nil, notFound
	}
}
