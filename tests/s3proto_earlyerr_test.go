package tests

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// An error the server knows before reading a large body (here
// NoSuchUpload) must reach a client that sends the body without waiting
// for "100 Continue": the server reads the rest first. Closing with the
// body unread made the client fail with "connection reset by peer" or,
// while reading the error, "use of closed network connection" (about one
// request in three; the Go SDK e2e flake). Through the TLS proxy too,
// whose client never waits for "100 Continue".
func TestS3ProtoEarlyErrorsReachTheClient(t *testing.T) {
	d := s3protoSetup(t)
	ctx := context.Background()
	body := randBytes(8 << 20)
	for _, cl := range []struct {
		name string
		c    *s3.Client
	}{
		{"http", s3protoGoClient(t, d, d.endpoint, http.DefaultClient, true)},
		{"https", s3protoGoClient(t, d, d.tlsEndpoint, d.tlsClient, true)},
	} {
		t.Run(cl.name, func(t *testing.T) {
			bucket := s3protoBucket("early")
			c := cl.c
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
				t.Fatal(err)
			}
			up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("k")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: aws.String("k"), UploadId: up.UploadId}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 12; i++ {
				_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("k"), UploadId: up.UploadId,
					PartNumber: aws.Int32(1), Body: bytes.NewReader(body)})
				if s3protoAPICode(err) != "NoSuchUpload" {
					t.Errorf("try %d: %v", i, err)
				}
			}
		})
	}
}
