package objstore

import "time"

// ObjectInfo is a file seen as an S3 object.
type ObjectInfo struct {
	Bucket       string
	Key          string
	Ino          Ino
	Size         int64
	ETag         string // without quotes
	LastModified time.Time
	ContentType  string
	Meta         map[string]string // x-amz-meta-* names, lower case, without the prefix
	// Headers are the stored HTTP headers of SystemHeaders, by lower-case name.
	Headers map[string]string
	Tags    map[string]string
	// Checksums are the x-amz-checksum-ALG values the writer supplied and
	// the door verified, by lower-case algorithm name (base64 values).
	Checksums map[string]string
	Owner     Owner
	IsDir     bool // a directory, listed as a zero-byte key ending in "/"
}

// Bucket is a top-level directory seen as an S3 bucket.
type Bucket struct {
	Name    string
	Created time.Time
	Owner   Owner
}

// PutOptions carry what an S3 writer says about the new object.
type PutOptions struct {
	Owner       Owner
	ContentType string
	Meta        map[string]string
	Headers     map[string]string // see SystemHeaders
	Tags        map[string]string
	// Checksums verified by the door. The store reads the map only after
	// the body reached EOF, so a door may fill it while the body verifies.
	Checksums map[string]string
	// ContentMD5, when set, must match the MD5 of the body (ErrBadDigest).
	ContentMD5 []byte
	// IfNoneMatchStar refuses to overwrite an existing object (ErrPrecondition).
	IfNoneMatchStar bool
	// IfMatch, when set, must equal the current ETag (ErrPrecondition).
	IfMatch string
}

// CopyOptions select what CopyObject takes from the source.
type CopyOptions struct {
	Owner Owner
	// ReplaceMeta takes ContentType, Meta and Headers from here instead of
	// the source (x-amz-metadata-directive REPLACE).
	ReplaceMeta bool
	ContentType string
	Meta        map[string]string
	Headers     map[string]string
	// ReplaceTags takes Tags from here (x-amz-tagging-directive REPLACE).
	ReplaceTags bool
	Tags        map[string]string
}

// ListQuery is one page request of ListObjects.
type ListQuery struct {
	Prefix    string
	Delimiter string
	// After lists strictly after this key (marker, start-after, or a
	// continuation token decoded by the door).
	After string
	// Limit is the page size; 0 returns an empty, untruncated page (so a
	// client looping on IsTruncated stops).
	Limit int
}

// ListResult is one page of ListObjects, in S3 key order.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	Truncated      bool
	// NextAfter is the last key or common prefix of this page: pass it as
	// After to get the next page.
	NextAfter string
}

// PartInfo describes one uploaded part.
type PartInfo struct {
	Number       int
	Size         int64
	ETag         string
	LastModified time.Time
}

// CompletePart names a part in CompleteMultipartUpload.
type CompletePart struct {
	Number int
	ETag   string
}

// Upload describes an in-progress multipart upload.
type Upload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	Owner     Owner
}

// UploadQuery is one page request of ListMultipartUploads.
type UploadQuery struct {
	Prefix         string
	KeyMarker      string
	UploadIDMarker string
	Limit          int
}

// ListUploadsResult is one page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads            []Upload
	Truncated          bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// ListPartsResult is one page of ListParts.
type ListPartsResult struct {
	Upload     Upload
	Parts      []PartInfo
	Truncated  bool
	NextMarker int
}

// AccessKey is an S3 credential and the POSIX identity it acts as.
type AccessKey struct {
	AccessKey string
	SecretKey string
	Owner     Owner
	Disabled  bool
	Root      bool
	Created   time.Time
}
