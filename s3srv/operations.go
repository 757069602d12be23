package s3srv

import "net/http"

// operation is one S3 API call, selected from the route level, the method
// and the sub-resource in the query.
type operation struct {
	name string
	fn   func(*request) (*response, error)
}

func notImplemented(name string) operation {
	return operation{name, func(*request) (*response, error) { return nil, errNotImplemented }}
}

func fixedError(name string, err error) operation {
	return operation{name, func(*request) (*response, error) { return nil, err }}
}

// Sub-resources that select another operation than the plain one. Any
// other query parameter (x-id, response-*, prefix...) is an argument.
var bucketSubResources = []string{
	"accelerate", "acl", "analytics", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "lifecycle", "location", "logging",
	"metrics", "metadataTable", "notification", "object-lock", "ownershipControls",
	"policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
	"tagging", "uploads", "versioning", "versions", "website",
}

var objectSubResources = []string{
	"acl", "attributes", "legal-hold", "restore", "retention", "select",
	"tagging", "torrent", "uploadId", "uploads",
}

// subResource returns the first sub-resource of names present in req.
func subResource(req *request, names []string) string {
	for _, n := range names {
		if req.query.Has(n) {
			return n
		}
	}
	return ""
}

func (s *Server) operation(req *request) operation {
	m := req.r.Method
	switch req.level {
	case levelService:
		if m == http.MethodGet {
			return operation{"ListBuckets", s.listBuckets}
		}
		return fixedError("Service", errMethodNotAllowed)
	case levelBucket:
		return s.bucketOperation(req, m, subResource(req, bucketSubResources))
	}
	return s.objectOperation(req, m, subResource(req, objectSubResources))
}

func (s *Server) bucketOperation(req *request, m, sub string) operation {
	switch m {
	case http.MethodHead:
		return operation{"HeadBucket", s.headBucket}
	case http.MethodGet:
		switch sub {
		case "":
			switch req.query.Get("list-type") {
			case "2":
				return operation{"ListObjectsV2", s.listObjectsV2}
			case "", "1":
				return operation{"ListObjects", s.listObjectsV1}
			}
			return fixedError("ListObjects", errInvalidArgument.with("Invalid List Type specified in Request"))
		case "location":
			return operation{"GetBucketLocation", s.getBucketLocation}
		case "acl":
			return operation{"GetBucketAcl", s.getBucketACL}
		case "versioning":
			return operation{"GetBucketVersioning", s.getBucketVersioning}
		case "uploads":
			return operation{"ListMultipartUploads", s.listMultipartUploads}
		case "versions":
			return operation{"ListObjectVersions", s.listObjectVersions}
		case "logging":
			return operation{"GetBucketLogging", s.emptyBucketConfig(xmlBucketLoggingStatus{})}
		case "notification":
			return operation{"GetBucketNotification", s.emptyBucketConfig(xmlNotificationConfiguration{})}
		case "requestPayment":
			return operation{"GetBucketRequestPayment", s.emptyBucketConfig(xmlRequestPaymentConfiguration{Payer: "BucketOwner"})}
		case "accelerate":
			return operation{"GetBucketAccelerate", s.emptyBucketConfig(xmlAccelerateConfiguration{})}
		}
		if err, ok := unconfigured[sub]; ok {
			return operation{"GetBucket" + sub, s.bucketConfigNotFound(err)}
		}
	case http.MethodPut:
		switch sub {
		case "":
			return operation{"CreateBucket", s.createBucket}
		case "acl":
			return operation{"PutBucketAcl", s.putBucketACL}
		}
	case http.MethodDelete:
		if sub == "" {
			return operation{"DeleteBucket", s.deleteBucket}
		}
	case http.MethodPost:
		if sub == "delete" {
			return operation{"DeleteObjects", s.deleteObjects}
		}
	}
	return notImplemented(m + "Bucket?" + sub)
}

func (s *Server) objectOperation(req *request, m, sub string) operation {
	copySource := req.r.Header.Get("X-Amz-Copy-Source") != ""
	switch m {
	case http.MethodGet:
		switch sub {
		case "":
			return operation{"GetObject", s.getObject}
		case "uploadId":
			return operation{"ListParts", s.listParts}
		case "acl":
			return operation{"GetObjectAcl", s.getObjectACL}
		case "tagging":
			return operation{"GetObjectTagging", s.getObjectTagging}
		case "attributes":
			return operation{"GetObjectAttributes", s.getObjectAttributes}
		}
	case http.MethodHead:
		return operation{"HeadObject", s.headObject}
	case http.MethodPut:
		switch {
		case sub == "uploadId" && copySource:
			return operation{"UploadPartCopy", s.uploadPartCopy}
		case sub == "uploadId":
			return operation{"UploadPart", s.uploadPart}
		case sub == "acl":
			return operation{"PutObjectAcl", s.putObjectACL}
		case sub == "tagging":
			return operation{"PutObjectTagging", s.putObjectTagging}
		case sub == "" && copySource:
			return operation{"CopyObject", s.copyObject}
		case sub == "":
			return operation{"PutObject", s.putObject}
		}
	case http.MethodDelete:
		switch sub {
		case "":
			return operation{"DeleteObject", s.deleteObject}
		case "uploadId":
			return operation{"AbortMultipartUpload", s.abortMultipartUpload}
		case "tagging":
			return operation{"DeleteObjectTagging", s.deleteObjectTagging}
		}
	case http.MethodPost:
		switch sub {
		case "uploads":
			return operation{"CreateMultipartUpload", s.createMultipartUpload}
		case "uploadId":
			return operation{"CompleteMultipartUpload", s.completeMultipartUpload}
		}
	}
	return notImplemented(m + "Object?" + sub)
}

// unconfigured maps the bucket configurations this server never holds to
// the "does not exist" answer AWS gives for an unconfigured bucket.
var unconfigured = map[string]*apiError{
	"policy":            errNoSuchBucketPolicy,
	"cors":              errNoSuchCORS,
	"lifecycle":         errNoSuchLifecycle,
	"tagging":           errNoSuchTagSet,
	"website":           errNoSuchWebsite,
	"encryption":        errNoEncryptionConfig,
	"replication":       errNoReplicationConfig,
	"object-lock":       errNoObjectLockConfig,
	"ownershipControls": errNoOwnershipControls,
	"publicAccessBlock": errNoPublicAccessBlock,
	"policyStatus":      errNoSuchBucketPolicy,
	"metadataTable":     errNoSuchConfiguration,
}
