// Package s3srv is shallot's S3 door: it translates the S3 REST API into
// calls on objstore.Store and nothing else. It owns request routing,
// authentication (SigV4, SigV4 streaming, SigV2, presigned URLs), the
// S3 XML documents and the translation of store errors into S3 errors. It
// keeps no state of its own between requests: buckets, objects, uploads and
// access keys all live in the store, so a file written through the mount is
// an object here at once, and the reverse.
//
// # Use
//
//	srv := s3srv.New(store, s3srv.Options{Region: "us-east-1", Domain: "s3.example.org", Log: log})
//	http.Serve(listener, srv)
//
// Server is an http.Handler; every method is safe for concurrent use and a
// request runs entirely on the goroutine net/http gives it. Health and
// metrics belong on another listener.
//
// # Addressing
//
// Path style ("/bucket/key") always works. When Options.Domain is set, a
// Host of "<bucket>.<Domain>" addresses that bucket (virtual-hosted style)
// on the same port: the path is rewritten to path style before routing.
// Routing uses httprouter on "/", "/:bucket" and "/:bucket/*key" with every
// redirect turned off, matched against the escaped path; the bucket and key
// are unescaped exactly once. Keys may therefore contain "%2F", "+", spaces,
// "//" (refused by the store as not a path), a trailing "/" (a directory)
// and any UTF-8, and come back byte for byte. "/bucket/" is the bucket.
//
// The operation is chosen from the level (service, bucket, object), the
// method and the sub-resource query parameter (acl, uploads, uploadId,
// delete, location, versioning...). Parameters that are not sub-resources,
// such as the x-id that SDKs add, are arguments and never change the
// operation. A sub-resource this server does not implement is answered with
// 501 NotImplemented, never mistaken for a plain GET or PUT.
//
// # Authentication
//
// Every request must be signed with an access key known to the store
// (objstore.Store.LookupKey); anonymous requests get AccessDenied. An
// unknown key and a disabled key both get InvalidAccessKeyId, as AWS does
// for inactive keys. The key's Owner (uid:gid) is the identity passed to the
// store for everything the request creates, and the caller
// (objstore.WithCaller) whose POSIX permissions the store checks, so a key
// may do through S3 what its uid may do in the mount; ErrPermission is
// AccessDenied.
//
//   - SigV4 Authorization header (auth_sigv4.go). The canonical URI is the
//     request path decoded once and re-encoded with AWS's UriEncode, "%2F"
//     staying encoded; if that does not match, the path exactly as sent is
//     tried (for signers that do not normalise). Requests signed for any
//     region are accepted: the region only enters the key derivation, and
//     a client configured for another region would otherwise fail for no
//     gain. The signing time (x-amz-date or Date) must be within MaxSkew
//     (15 minutes) of Now: RequestTimeTooSkewed.
//   - x-amz-content-sha256 selects how the body is verified (payload.go):
//     a hex SHA-256 (checked while streaming: XAmzContentSHA256Mismatch),
//     UNSIGNED-PAYLOAD, or aws-chunked (auth_chunked.go) in the three
//     variants STREAMING-AWS4-HMAC-SHA256-PAYLOAD (every chunk signature
//     verified, chained from the seed signature),
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (the same plus a signed
//     trailer) and STREAMING-UNSIGNED-PAYLOAD-TRAILER. Trailing and header
//     x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256} are verified
//     against the decoded body (BadDigest) and echoed in the response.
//     x-amz-decoded-content-length is the object size. SigV4A is refused
//     with NotImplemented.
//   - Presigned SigV4 (auth_presign.go): X-Amz-Expires up to seven days;
//     an expired URL gets AccessDenied "Request has expired".
//   - SigV2 header ("AWS key:signature") and presigned SigV2
//     (AWSAccessKeyId, Expires, Signature), auth_sigv2.go, with AWS's
//     string-to-sign and sub-resource list. Signers disagree on how a
//     UTF-8 key, a bucket's trailing slash and a few newer sub-resources
//     enter the resource; the variants are tried only after the documented
//     form fails, so a correct request costs one HMAC.
//
// Signatures are compared in constant time. Each body byte is hashed once
// per algorithm the request asks for (SHA-256 for signing, a checksum if
// sent; the store computes the MD5 ETag on its side).
//
// Verification and atomicity: every verifying body reader withholds the
// last bytes of the body until everything about it verified (hash, chunk
// and trailer signatures, checksums, decoded length); on failure the Read
// that would complete the body returns the error instead. The store reads a
// body to EOF before it commits, so a body that does not verify is never
// committed and the previous object, if any, stays.
//
// # Operations
//
// Service: ListBuckets. Bucket: CreateBucket (optional
// CreateBucketConfiguration, any LocationConstraint accepted),
// DeleteBucket, HeadBucket, GetBucketLocation, GetBucketAcl, PutBucketAcl
// (only "private"), GetBucketVersioning (never enabled), ListObjects,
// ListObjectsV2, ListObjectVersions (one "null" version per key),
// ListMultipartUploads, DeleteObjects; GET of logging, notification,
// requestPayment and accelerate return empty configurations, and GET of
// policy, cors, lifecycle, tagging, website, encryption, replication,
// object-lock, ownershipControls and publicAccessBlock the "no such
// configuration" error AWS gives for an unconfigured bucket. Object:
// PutObject, GetObject (single Range, conditional headers, response-*
// overrides, partNumber=1), HeadObject, DeleteObject, CopyObject,
// GetObjectAcl, PutObjectAcl (only "private"), GetObjectTagging (empty),
// CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
// AbortMultipartUpload, ListParts. Everything else is NotImplemented, as
// are requests whose meaning cannot be honoured (server-side encryption,
// object lock, x-amz-tagging, ACLs wider than private).
//
// Deleting a key that does not exist, cannot exist (not a path) or is a
// directory that still holds keys succeeds, as DELETE does in S3.
//
// # Errors
//
// A handler parses, calls the store, and returns a response value or an
// error; writeResponse is the one place that writes (response.go). Store
// errors are translated by the table in errors.go; an error the table does
// not know becomes InternalError and is logged once, with the request id.
// Error bodies carry Code, Message, Resource and RequestId; HEAD responses
// never carry a body. Every response has x-amz-request-id (unique per
// server) and a Server header.
package s3srv
