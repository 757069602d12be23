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
	// Parts are the parts of a completed multipart object, in order (nil
	// for other objects, and once the mount rewrote the content). Listings
	// leave them out.
	Parts []ObjectPart
}

// ObjectPart is one part of a completed multipart object.
type ObjectPart struct {
	Number    int // as uploaded: the parts need not be numbered 1..N
	Size      int64
	Checksums map[string]string // of the object's checksum algorithm, if any
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
	// ChecksumAlgorithm (CreateMultipartUpload only), when set, is the
	// algorithm every part must carry a checksum of (lower-case name), and
	// ChecksumType (ChecksumComposite or ChecksumFullObject; empty for the
	// algorithm's DefaultType) how the object's checksum is made of them.
	ChecksumAlgorithm, ChecksumType string
}

// Write conditions are checked in the transaction that commits the write,
// so of two racing conditional writers at most one wins.

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
	// ChecksumAlgorithm, when set, is computed over the copied bytes and
	// replaces the source's checksums. Otherwise the source's full-object
	// checksums are carried over and its composite ones (which describe
	// parts the copy does not have) computed afresh.
	ChecksumAlgorithm string
	// Write conditions on the destination, as in PutOptions.
	IfNoneMatchStar bool
	IfMatch         string
}

// PartOptions carry what an S3 writer says about one part.
type PartOptions struct {
	// ContentMD5, when set, must match the MD5 of the body (ErrBadDigest).
	ContentMD5 []byte
	// Checksums verified by the door, read after the body's EOF as in
	// PutOptions. An upload created with a ChecksumAlgorithm needs one of
	// that algorithm (ErrChecksumRequired).
	Checksums map[string]string
}

// CompleteOptions carry what an S3 client says when completing an upload.
type CompleteOptions struct {
	// Checksums, when set, must equal the object's checksum the store
	// derives from the parts (ErrBadDigest); a composite one may be given
	// without its "-N".
	Checksums map[string]string
	// ChecksumType, when set, must be the upload's (ErrChecksumType).
	ChecksumType string
	// ObjectSize, when set, must be the size of the object the listed
	// parts make (ErrObjectSize).
	ObjectSize *int64
	// Write conditions on the object the upload replaces.
	IfNoneMatchStar bool
	IfMatch         string
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
	// Objects carry no Meta, Tags or Checksums, and of the Headers only
	// x-amz-storage-class.
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
	Checksums    map[string]string // verified checksums of the part's bytes
}

// CompletePart names a part in CompleteMultipartUpload.
type CompletePart struct {
	Number int
	ETag   string
	// Checksums the client lists for the part: each must equal the one
	// stored with it (ErrInvalidPart). A composite upload needs its
	// algorithm's for every part (ErrChecksumRequired).
	Checksums map[string]string
}

// Upload describes an in-progress multipart upload.
type Upload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	Owner     Owner
	// StorageClass is the x-amz-storage-class the object will carry ("" is
	// STANDARD).
	StorageClass string
	// ChecksumAlgorithm and ChecksumType as created (see PutOptions).
	ChecksumAlgorithm, ChecksumType string
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
