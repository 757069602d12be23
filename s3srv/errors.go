package s3srv

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/shallot-storage/shallot/objstore"
)

// apiError is an S3 error as the client sees it. Handlers return either one
// of these (for failures found by the door itself: parsing, auth) or a store
// error, which toAPIError translates through storeErrors.
type apiError struct {
	Code    string
	Status  int
	Message string
	// extra elements of the <Error> document, e.g. StringToSign.
	extra []xmlField
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// with returns a copy of e carrying a more specific message.
func (e *apiError) with(format string, args ...any) *apiError {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// withField returns a copy of e carrying one more element in the XML body.
func (e *apiError) withField(name, value string) *apiError {
	c := *e
	c.extra = append(append([]xmlField(nil), e.extra...), xmlField{name, value})
	return &c
}

func newAPIError(code string, status int, msg string) *apiError {
	return &apiError{Code: code, Status: status, Message: msg}
}

// The S3 errors this door produces. Codes and statuses follow AWS's
// "Error responses" list so that SDKs recognise them (e.g. boto3 retries
// RequestTimeTooSkewed after fixing its clock offset).
var (
	errAccessDenied                 = newAPIError("AccessDenied", http.StatusForbidden, "Access Denied.")
	errAuthorizationHeaderMalformed = newAPIError("AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header is malformed.")
	errAuthQueryMalformed           = newAPIError("AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter.")
	errBadDigest                    = newAPIError("BadDigest", http.StatusBadRequest, "The Content-MD5 you specified did not match what we received.")
	errBucketAlreadyExists          = newAPIError("BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available. Please select a different name and try again.")
	errBucketAlreadyOwnedByYou      = newAPIError("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	errAlreadyExists                = newAPIError("InvalidRequest", http.StatusConflict, "The name is already taken.")
	errBucketNotEmpty               = newAPIError("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty.")
	errEntityTooSmall               = newAPIError("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size.")
	errEntityTooLarge               = newAPIError("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	errIncompleteBody               = newAPIError("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	errInternal                     = newAPIError("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	errInvalidAccessKeyID           = newAPIError("InvalidAccessKeyId", http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records.")
	errInvalidArgument              = newAPIError("InvalidArgument", http.StatusBadRequest, "Invalid argument.")
	errInvalidBucketName            = newAPIError("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	errInvalidDigest                = newAPIError("InvalidDigest", http.StatusBadRequest, "The Content-MD5 you specified is not valid.")
	errInvalidPart                  = newAPIError("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
	errInvalidPartOrder             = newAPIError("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	errInvalidRange                 = newAPIError("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable.")
	errInvalidRequest               = newAPIError("InvalidRequest", http.StatusBadRequest, "Invalid request.")
	errKeyTooLong                   = newAPIError("KeyTooLongError", http.StatusBadRequest, "Your key is too long.")
	errMalformedXML                 = newAPIError("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	errMethodNotAllowed             = newAPIError("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	errMissingContentLength         = newAPIError("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	errMissingSecurityHeader        = newAPIError("MissingSecurityHeader", http.StatusBadRequest, "Your request is missing a required header.")
	errNoSuchBucket                 = newAPIError("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist.")
	errNoSuchKey                    = newAPIError("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	errNoSuchUpload                 = newAPIError("NoSuchUpload", http.StatusNotFound, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	errNoSuchVersion                = newAPIError("NoSuchVersion", http.StatusNotFound, "The specified version does not exist.")
	errNotImplemented               = newAPIError("NotImplemented", http.StatusNotImplemented, "A header or query parameter you provided implies functionality that is not implemented.")
	errNotModified                  = newAPIError("NotModified", http.StatusNotModified, "Not Modified.")
	errPreconditionFailed           = newAPIError("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
	errRequestTimeTooSkewed         = newAPIError("RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the server's time is too large.")
	errSignatureDoesNotMatch        = newAPIError("SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	errContentSHA256Mismatch        = newAPIError("XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	errStorageFull                  = newAPIError("XShallotStorageFull", http.StatusInsufficientStorage, "The storage has no space left.")
	errServiceUnavailable           = newAPIError("ServiceUnavailable", http.StatusServiceUnavailable, "The data cannot be read right now; please try again.")

	// Answers for configurations this server never holds: clients such as
	// s3cmd "info" and Cyberduck read them and expect "none" rather than an
	// error.
	errNoSuchBucketPolicy  = newAPIError("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist.")
	errNoSuchCORS          = newAPIError("NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist.")
	errNoSuchLifecycle     = newAPIError("NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist.")
	errNoSuchTagSet        = newAPIError("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist.")
	errNoSuchWebsite       = newAPIError("NoSuchWebsiteConfiguration", http.StatusNotFound, "The specified bucket does not have a website configuration.")
	errNoEncryptionConfig  = newAPIError("ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, "The server side encryption configuration was not found.")
	errNoReplicationConfig = newAPIError("ReplicationConfigurationNotFoundError", http.StatusNotFound, "The replication configuration was not found.")
	errNoObjectLockConfig  = newAPIError("ObjectLockConfigurationNotFoundError", http.StatusNotFound, "Object Lock configuration does not exist for this bucket.")
	errNoOwnershipControls = newAPIError("OwnershipControlsNotFoundError", http.StatusNotFound, "The bucket ownership controls were not found.")
	errNoPublicAccessBlock = newAPIError("NoSuchPublicAccessBlockConfiguration", http.StatusNotFound, "The public access block configuration was not found.")
	errNoSuchConfiguration = newAPIError("NoSuchConfiguration", http.StatusNotFound, "The specified configuration does not exist.")
)

// storeErrors is the one translation table from the store's vocabulary to
// S3. The first entry that matches (errors.Is) wins, so more specific
// errors come first.
var storeErrors = []struct {
	err error
	api *apiError
}{
	{objstore.ErrNoSuchBucket, errNoSuchBucket},
	{objstore.ErrInvalidBucket, errInvalidBucketName},
	{objstore.ErrNoSuchUpload, errNoSuchUpload},
	{objstore.ErrInvalidPart, errInvalidPart},
	{objstore.ErrPartOrder, errInvalidPartOrder},
	{objstore.ErrEntityTooSmall, errEntityTooSmall},
	{objstore.ErrBadDigest, errBadDigest},
	{objstore.ErrIncompleteBody, errIncompleteBody},
	{objstore.ErrPrecondition, errPreconditionFailed},
	{objstore.ErrChecksumRequired, errInvalidRequest.with("The upload was created with a checksum algorithm: every part must carry a checksum of that algorithm, and for a COMPOSITE checksum every part in the complete request must list it.")},
	{objstore.ErrChecksumType, errInvalidRequest.with("The x-amz-checksum-type of the complete request differs from the one the upload was created with.")},
	{objstore.ErrObjectSize, errInvalidRequest.with("The x-amz-mp-object-size of the complete request differs from the size of the object the parts make.")},
	{objstore.ErrKeyDisabled, errInvalidAccessKeyID},
	{objstore.ErrNotEmpty, errBucketNotEmpty},
	{objstore.ErrExist, errAlreadyExists},
	{objstore.ErrNotExist, errNoSuchKey},
	{objstore.ErrNameTooLong, errKeyTooLong},
	{objstore.ErrInvalidName, errInvalidArgument.with("The key cannot be stored as a path: it is empty, has an empty, \".\" or \"..\" segment, or contains NUL.")},
	{objstore.ErrNotDir, errInvalidArgument.with("The key needs a directory where an object of that name exists.")},
	{objstore.ErrIsDir, errInvalidArgument.with("The key names a directory that holds other keys.")},
	{objstore.ErrPermission, errAccessDenied},
	{objstore.ErrTooLarge, errEntityTooLarge},
	{objstore.ErrNoSpace, errStorageFull},
	{objstore.ErrNotSupported, errNotImplemented},
	{objstore.ErrIO, errServiceUnavailable},
	{objstore.ErrInvalid, errInvalidArgument},
}

// toAPIError translates any error a handler returns. known reports whether
// the error was expected; an unknown one becomes InternalError and is logged
// by the caller, once, with the request id.
func toAPIError(err error) (api *apiError, known bool) {
	if errors.As(err, &api) {
		return api, api != errInternal
	}
	for _, e := range storeErrors {
		if errors.Is(err, e.err) {
			return e.api, true
		}
	}
	return errInternal, false
}

// readErr adapts a store error for an operation that only reads a key: a
// key that cannot be a path, or whose path crosses a file, simply does not
// exist.
func readErr(err error) error {
	switch {
	case errors.Is(err, objstore.ErrInvalidName),
		errors.Is(err, objstore.ErrNotDir),
		errors.Is(err, objstore.ErrIsDir),
		errors.Is(err, objstore.ErrNameTooLong):
		return errNoSuchKey
	}
	return err
}
