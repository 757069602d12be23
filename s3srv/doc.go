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
//
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
//
//   - Presigned SigV4 (auth_presign.go): X-Amz-Expires up to seven days;
//     an expired URL gets AccessDenied "Request has expired".
//
//   - SigV2 header ("AWS key:signature") and presigned SigV2
//     (AWSAccessKeyId, Expires, Signature), auth_sigv2.go, with AWS's
//     string-to-sign and sub-resource list. Signers disagree on how a
//     UTF-8 key, a bucket's trailing slash and a few newer sub-resources
//     enter the resource; the variants are tried only after the documented
//     form fails, so a correct request costs one HMAC.
//
//   - Browser uploads (PostObject, post_object.go, post_policy.go): a
//     multipart/form-data POST to a bucket carries its own credentials,
//     a base64 policy document signed with the key (SigV4 fields
//     x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature, or
//     SigV2 AWSAccessKeyId and signature). The policy must not have
//     expired, each of its conditions (exact match, "eq", "starts-with",
//     "content-length-range", {"bucket": ...}) must hold, and every form
//     field but the signature, policy, file and x-ignore-* ones must be
//     named by a condition; otherwise AccessDenied "Invalid according to
//     Policy". Fields before the file are read whole (20 KiB at most);
//     the file streams into the store, bounded by content-length-range
//     (EntityTooLarge, EntityTooSmall) and checked against x-amz-checksum-*
//     fields; fields after it are ignored. "${filename}" in the key is the
//     file's name. The answer is a 303 to success_action_redirect, or the
//     success_action_status 200, 201 (with a PostResponse document) or 204.
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
// committed and the previous object, if any, stays. The checksums that
// verified reach the store as PutOptions.Checksums, a map the body fills
// before it ends (payload.stored): the store reads it only after the body,
// so a checksum is stored exactly when it verified.
//
// Multipart checksums (multipart.go): a part's verified checksums are kept
// with it, echoed by UploadPart and shown by ListParts. An upload created
// with x-amz-checksum-algorithm (and optionally x-amz-checksum-type:
// COMPOSITE by default, FULL_OBJECT by default for CRC64NVME; SHA
// algorithms are composite only and CRC64NVME full-object only, as in AWS)
// needs every part to carry a checksum of that algorithm (InvalidRequest
// otherwise); UploadPartCopy computes it over the copied range. Completion
// checks the part checksums the client lists (InvalidPart), requires them
// for a composite upload, derives the object's checksum in the store
// (composite: the algorithm over the concatenated part checksums, "-N";
// full-object: the parts' CRCs combined) and checks an x-amz-checksum-*
// header against it (BadDigest), and x-amz-mp-object-size against the
// size the parts make (InvalidRequest). An upload created without an
// algorithm gives an object without a checksum (AWS now adds a
// full-object CRC64NVME; not done here).
//
// Parts of a completed object (object_part.go): the store keeps each
// part's number, size and checksum. GET and HEAD ?partNumber=N answer
// part N (counted 1..x-amz-mp-parts-count in the object's order, whatever
// numbers the parts were uploaded with) with 206, Content-Range,
// x-amz-mp-parts-count and, with x-amz-checksum-mode: ENABLED, the part's
// checksum; N past the last part is InvalidPartNumber (416).
// GetObjectAttributes gives ObjectParts with PartsCount and, for an object
// with a checksum (as AWS does for general purpose buckets), the parts
// with their uploaded numbers, sizes and checksums, paged by
// x-amz-max-parts (1000 at most) and x-amz-part-number-marker. The layout
// goes when the mount rewrites the object; a copy is one part.
//
// # Operations
//
// Service: ListBuckets. Bucket: CreateBucket (optional
// CreateBucketConfiguration, any LocationConstraint accepted),
// DeleteBucket, HeadBucket, GetBucketLocation, GetBucketAcl, PutBucketAcl
// (only "private"), GetBucketVersioning (never enabled), ListObjects,
// ListObjectsV2, ListObjectVersions (one "null" version per key),
// ListMultipartUploads, DeleteObjects, PostObject (browser uploads); GET
// of logging, notification,
// requestPayment and accelerate return empty configurations, and GET of
// policy, cors, lifecycle, tagging, website, encryption, replication,
// object-lock, ownershipControls and publicAccessBlock the "no such
// configuration" error AWS gives for an unconfigured bucket. Object:
// PutObject, GetObject (Range, conditional headers, response-*
// overrides, partNumber), HeadObject, DeleteObject, CopyObject,
// GetObjectAttributes, GetObjectAcl, PutObjectAcl (only "private"),
// Get/Put/DeleteObjectTagging, CreateMultipartUpload, UploadPart,
// UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
// ListParts. Everything else is NotImplemented, as are requests whose
// meaning cannot be honoured (server-side encryption, object lock, ACLs
// wider than private).
//
// What an object keeps besides its bytes (all in the store, visible as
// xattrs in the mount): Content-Type, x-amz-meta-* (2 KiB in all),
// Cache-Control, Content-Disposition, Content-Encoding (without the
// aws-chunked framing token), Content-Language, Expires,
// x-amz-website-redirect-location, x-amz-storage-class (object_headers.go),
// tags (object_tagging.go: at most 10, keys up to 128 and values up to 256
// characters of AWS's tag alphabet, no "aws:" prefix; InvalidTag
// otherwise), and the x-amz-checksum-* values that verified against the
// body. Storage classes are AWS's names, accepted and reported; every
// object is stored the same way, and STANDARD, the default, is not
// recorded. Checksums are returned on GET and HEAD only with
// x-amz-checksum-mode: ENABLED, and not for a range, which they do not
// describe. A copy takes metadata and tags from its source unless the
// directive is REPLACE; its storage class, redirect and checksum algorithm
// (x-amz-checksum-algorithm) come from the request whatever the directive,
// as in AWS. Without an algorithm a copy carries the source's full-object
// checksums and recomputes composite ones, which describe parts the copy
// does not have. Listings (ListObjects v1/v2, ListObjectVersions,
// ListMultipartUploads, ListParts) report each object's or upload's storage
// class.
//
// Conditions (object_conditions.go): GET and HEAD evaluate If-Match,
// If-Unmodified-Since, If-None-Match and If-Modified-Since in RFC 7232's
// order (412 before 304; an If-Match that holds overrides a failing
// If-Unmodified-Since, an If-None-Match that fails overrides a holding
// If-Modified-Since, as AWS documents); a copy's source and UploadPartCopy
// take the same four as x-amz-copy-source-if-*, any failure being 412.
// Writes take If-Match and "If-None-Match: *" on the object they replace:
// PutObject, CopyObject and CompleteMultipartUpload pass them to the
// store, which checks them in the transaction that commits the write, so
// of racing conditional writers exactly one wins.
//
// Range: one "bytes=" range in any of its forms (first-last, first-,
// -suffix), clipped to the object; an unsatisfiable one is InvalidRange
// (416); several ranges, other units and syntax errors are ignored, as
// HTTP allows, and the whole object is sent. partNumber=1 of an object
// that is not multipart is the whole object (200), other parts
// InvalidPartNumber; partNumber with Range is InvalidRequest.
// x-amz-copy-source-range needs both ends within the source, otherwise
// InvalidArgument, as AWS answers.
//
// Objects have one version, "null": a versionId that is anything else
// gets NoSuchVersion on every object operation.
//
// Listings: max-keys (max-uploads, max-parts) above 1000 is 1000, 0 gives
// an empty, untruncated page, anything else that is not a non-negative
// integer is InvalidArgument. encoding-type=url encodes keys, prefixes,
// delimiters and markers of ListObjects v1/v2, ListObjectVersions and
// ListMultipartUploads with AWS's UriEncode, "/" kept. ListMultipartUploads
// folds uploads under a delimiter into common prefixes that count once
// toward max-uploads and are never split across pages; a key-marker that
// is a common prefix resumes after it, as for ListObjects.
//
// Limits: the request's header section is at most 8 KiB
// (RequestHeaderSectionTooLarge), user metadata 2 KiB (MetadataTooLarge),
// XML bodies a few MiB (MalformedXML beyond). A body shorter than its
// Content-Length or aws-chunked framing is IncompleteBody, and nothing is
// stored.
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
// never carry a body. Before an error goes out, what is left of the
// request body is read (up to 64 MiB, drain.go): a client still sending
// would otherwise get a connection reset instead of the error. Every response has x-amz-request-id (unique per
// server) and a Server header.
package s3srv
