package objstore

import (
	"errors"
	"io/fs"
)

// The store's error vocabulary. Doors compare with errors.Is and translate in
// one table each (errno for fuse/, S3 codes for s3srv/, NFS status for
// nfsexport/); errno or S3 codes never leak into this package.
var (
	ErrNotExist   = fs.ErrNotExist   // no such file, object or key
	ErrExist      = fs.ErrExist      // name already taken
	ErrPermission = fs.ErrPermission // operation not permitted for this caller
	ErrInvalid    = fs.ErrInvalid    // argument makes no sense (e.g. rename into own subtree)

	ErrNotEmpty     = errors.New("directory not empty")
	ErrNotDir       = errors.New("not a directory")
	ErrIsDir        = errors.New("is a directory")
	ErrNameTooLong  = errors.New("name too long")
	ErrInvalidName  = errors.New("name cannot be a path") // empty, ".", "..", NUL, "/" inside a segment
	ErrNoSpace      = errors.New("no space left on device")
	ErrTooLarge     = errors.New("file too large")
	ErrNotSupported = errors.New("operation not supported")
	ErrIO           = errors.New("input/output error") // data cannot be read back (more than m shards lost)
	ErrNoAttr       = errors.New("no such attribute")

	ErrNoSuchBucket   = errors.New("no such bucket")
	ErrInvalidBucket  = errors.New("invalid bucket name")
	ErrNoSuchUpload   = errors.New("no such multipart upload")
	ErrInvalidPart    = errors.New("invalid part")
	ErrPartOrder      = errors.New("parts not in ascending order")
	ErrEntityTooSmall = errors.New("part smaller than the minimum size")
	ErrBadDigest      = errors.New("content digest does not match")
	ErrIncompleteBody = errors.New("body shorter or longer than declared")
	ErrPrecondition   = errors.New("precondition failed")
	// ErrChecksumRequired: a part or a completion lacks the checksum the
	// upload was created to carry.
	ErrChecksumRequired = errors.New("checksum of the upload's algorithm missing")
	ErrChecksumType     = errors.New("checksum type differs from the upload's")
	ErrObjectSize       = errors.New("object size differs from the size given")
	ErrKeyDisabled      = errors.New("access key disabled")
)
