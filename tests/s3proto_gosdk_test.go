package tests

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// The current AWS SDK for Go v2 with its default settings: CRC32 request
// checksums (in aws-chunked trailers over HTTPS, in headers over HTTP),
// response checksum validation, the transfer manager for multipart.

func s3protoGoClient(t *testing.T, d *s3protoEnv, endpoint string, httpClient *http.Client, pathStyle bool) *s3.Client {
	t.Helper()
	// The SDK's defaults, without this machine's AWS environment: its CA
	// bundle would replace the test proxy's certificate.
	t.Setenv("AWS_CA_BUNDLE", "")
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
		config.WithRegion(d.region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(d.access, d.secret, "")),
		config.WithHTTPClient(httpClient),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = pathStyle
		o.Logger = logging.Nop{} // quiet "no supported checksum" notes for multipart objects
	})
}

func s3protoAPICode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func crc32Of(b []byte) string {
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(out[:])
}

// compositeCRC32 is S3's composite checksum of parts with these CRC32s.
func compositeCRC32(t *testing.T, parts ...string) string {
	var raw []byte
	for _, p := range parts {
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			t.Fatalf("part checksum %q: %v", p, err)
		}
		raw = append(raw, b...)
	}
	return crc32Of(raw) + "-" + strconv.Itoa(len(parts))
}

func TestS3ProtoGoSDK(t *testing.T) {
	d := s3protoSetup(t)
	clients := []struct {
		name string
		c    *s3.Client
		hc   *http.Client
	}{
		{"http", s3protoGoClient(t, d, d.endpoint, http.DefaultClient, true), http.DefaultClient},
		{"https", s3protoGoClient(t, d, d.tlsEndpoint, d.tlsClient, true), d.tlsClient},
		{"virtual-hosted", s3protoGoClient(t, d, d.vhostEndpoint, d.vhostClient, false), d.vhostClient},
	}
	for _, cl := range clients {
		t.Run(cl.name, func(t *testing.T) { s3protoGoSuite(t, cl.c, cl.hc) })
	}
	// Over HTTPS the SDK streams bodies as aws-chunked with a CRC32
	// trailer: make sure that path was taken, not only plain bodies.
	if m := d.payloadModes(); m["STREAMING-UNSIGNED-PAYLOAD-TRAILER"] == 0 {
		t.Errorf("no aws-chunked trailer uploads through HTTPS: %v", m)
	} else {
		t.Logf("payload modes over HTTPS: %v", m)
	}
}

func s3protoGoSuite(t *testing.T, c *s3.Client, hc *http.Client) {
	ctx := context.Background()
	bucket := s3protoBucket("gosdk")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	t.Run("buckets", func(t *testing.T) {
		if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err != nil {
			t.Fatal(err)
		}
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, b := range out.Buckets {
			found = found || *b.Name == bucket
		}
		if !found {
			t.Fatalf("bucket %s not listed", bucket)
		}
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
		var owned *types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			t.Fatalf("create again: %v", err)
		}
		if _, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket}); err != nil {
			t.Fatal(err)
		}
	})

	data := randBytes(100_000)
	t.Run("put get head with default checksums", func(t *testing.T) {
		put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("plain.bin"), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatal(err)
		}
		if put.ChecksumCRC32 == nil {
			t.Errorf("no CRC32 echoed on PUT")
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("plain.bin"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(get.Body) // the SDK validates the CRC32 as it reads
		get.Body.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get: %v, %d bytes", err, len(got))
		}
		if aws.ToString(get.ChecksumCRC32) != aws.ToString(put.ChecksumCRC32) {
			t.Errorf("GET CRC32 %q, PUT %q", aws.ToString(get.ChecksumCRC32), aws.ToString(put.ChecksumCRC32))
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("plain.bin"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(head.ContentLength) != int64(len(data)) || aws.ToString(head.ChecksumCRC32) == "" || head.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("head: %d bytes, crc32 %q, type %q", aws.ToInt64(head.ContentLength), aws.ToString(head.ChecksumCRC32), head.ChecksumType)
		}
		rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("plain.bin"), Range: aws.String("bytes=100-199")})
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(rng.Body)
		rng.Body.Close()
		if !bytes.Equal(part, data[100:200]) {
			t.Fatalf("range returned %d bytes", len(part))
		}
	})

	t.Run("checksum algorithms", func(t *testing.T) {
		for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
			types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
			key := "sum-" + string(alg)
			put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			sent := []*string{put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256}
			stored := []*string{head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256}
			n := 0
			for i := range sent {
				if aws.ToString(sent[i]) != aws.ToString(stored[i]) {
					t.Errorf("%s: echoed %q, stored %q", alg, aws.ToString(sent[i]), aws.ToString(stored[i]))
				}
				if aws.ToString(stored[i]) != "" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: %d checksums stored", alg, n)
			}
			get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, get.Body); err != nil {
				t.Fatalf("%s: validated read: %v", alg, err)
			}
			get.Body.Close()
		}
	})

	t.Run("headers metadata tags storage class", func(t *testing.T) {
		key := "dir/日本語 file+1.txt"
		expires := time.Date(2044, 12, 1, 16, 0, 0, 0, time.UTC)
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &bucket, Key: &key, Body: strings.NewReader("hello"),
			ContentType: aws.String("text/plain"), CacheControl: aws.String("max-age=60"),
			ContentDisposition: aws.String(`attachment; filename="x.txt"`), ContentLanguage: aws.String("ja"),
			ContentEncoding: aws.String("identity"), Expires: &expires,
			Metadata: map[string]string{"colour": "blue", "Owner-Name": "ümlaut"},
			Tagging:  aws.String("project=shallot&stage=raw data"), StorageClass: types.StorageClassStandardIa,
			WebsiteRedirectLocation: aws.String("/other"),
		})
		if err != nil {
			t.Fatal(err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ContentType) != "text/plain" || aws.ToString(head.CacheControl) != "max-age=60" ||
			aws.ToString(head.ContentLanguage) != "ja" || aws.ToString(head.ContentEncoding) != "identity" ||
			aws.ToString(head.ContentDisposition) != `attachment; filename="x.txt"` ||
			head.StorageClass != types.StorageClassStandardIa || aws.ToString(head.WebsiteRedirectLocation) != "/other" ||
			head.Metadata["colour"] != "blue" || head.Metadata["owner-name"] != "ümlaut" || aws.ToString(head.ExpiresString) == "" {
			t.Errorf("head: %+v", head)
		}
		tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		if got := s3protoTags(tags.TagSet); got != "project=shallot,stage=raw data" {
			t.Errorf("tags %s", got)
		}
		_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: &key,
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}})
		if err != nil {
			t.Fatal(err)
		}
		tags, _ = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
		if got := s3protoTags(tags.TagSet); got != "k=v" {
			t.Errorf("tags after put %s", got)
		}
		var many []types.Tag
		for i := 0; i < 11; i++ {
			many = append(many, types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")})
		}
		_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: &key, Tagging: &types.Tagging{TagSet: many}})
		if s3protoAPICode(err) != "InvalidTag" {
			t.Errorf("11 tags: %v", err)
		}
		if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &bucket, Key: &key}); err != nil {
			t.Fatal(err)
		}
		tags, _ = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
		if len(tags.TagSet) != 0 {
			t.Errorf("tags after delete %s", s3protoTags(tags.TagSet))
		}
		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: &key,
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesObjectSize, types.ObjectAttributesStorageClass}})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(attrs.ObjectSize) != 5 || attrs.StorageClass != types.StorageClassStandardIa || aws.ToString(attrs.ETag) == "" {
			t.Errorf("attributes: size %d class %q etag %q", aws.ToInt64(attrs.ObjectSize), attrs.StorageClass, aws.ToString(attrs.ETag))
		}
	})

	t.Run("copy", func(t *testing.T) {
		src := "dir/日本語 file+1.txt"
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy/1"),
			CopySource: aws.String(bucket + "/" + s3protoEscape(src))})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy/2"),
			CopySource: aws.String(bucket + "/" + s3protoEscape(src)), MetadataDirective: types.MetadataDirectiveReplace,
			ContentType: aws.String("application/json"), Metadata: map[string]string{"new": "yes"}})
		if err != nil {
			t.Fatal(err)
		}
		h1, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("copy/1")})
		h2, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("copy/2")})
		if h1 == nil || h2 == nil || h1.Metadata["colour"] != "blue" || h2.Metadata["new"] != "yes" || h2.Metadata["colour"] != "" ||
			aws.ToString(h2.ContentType) != "application/json" {
			t.Fatalf("copies: %+v %+v", h1, h2)
		}
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy/3"),
			CopySource: aws.String(bucket + "/plain.bin"), CopySourceIfMatch: aws.String(`"nope"`)})
		if s3protoAPICode(err) != "PreconditionFailed" {
			t.Fatalf("copy with failing condition: %v", err)
		}
	})

	t.Run("racing conditional puts", func(t *testing.T) {
		const writers = 8
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("copy/raced"),
					Body: strings.NewReader(fmt.Sprint("writer ", i)), IfNoneMatch: aws.String("*")})
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case s3protoAPICode(err) != "PreconditionFailed":
				t.Errorf("writer %d: %v", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("%d writers won, want 1: %v", won, errs)
		}
	})

	t.Run("conditional put", func(t *testing.T) {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("plain.bin"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
		if s3protoAPICode(err) != "PreconditionFailed" {
			t.Fatalf("if-none-match on existing: %v", err)
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("plain.bin"), IfMatch: aws.String(`"nope"`)})
		if s3protoAPICode(err) != "PreconditionFailed" {
			t.Fatalf("get if-match: %v", err)
		}
	})

	t.Run("multipart with the transfer manager", func(t *testing.T) {
		big := randBytes(12<<20 + 12345)
		up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 2 })
		out, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("big/manager.bin"), Body: bytes.NewReader(big),
			Tagging: aws.String("size=big")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(aws.ToString(out.ETag), `-3"`) {
			t.Errorf("ETag %s", aws.ToString(out.ETag))
		}
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("big/manager.bin")})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(get.Body)
		get.Body.Close()
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("read back: %v, %d bytes", err, len(got))
		}
		dl := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 5 << 20 })
		buf := manager.NewWriteAtBuffer(nil)
		if _, err := dl.Download(ctx, buf, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("big/manager.bin")}); err != nil || !bytes.Equal(buf.Bytes(), big) {
			t.Fatalf("ranged download: %v", err)
		}
		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("big/manager.bin"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts}})
		if err != nil || attrs.ObjectParts == nil || aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 3 {
			t.Fatalf("parts count: %v %+v", err, attrs)
		}
	})

	t.Run("multipart by hand", func(t *testing.T) {
		key := aws.String("big/hand 日本.bin")
		cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: key,
			ChecksumAlgorithm: types.ChecksumAlgorithmCrc32, Metadata: map[string]string{"m": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		p1 := randBytes(5 << 20)
		u1, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(1),
			Body: bytes.NewReader(p1), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(u1.ChecksumCRC32) == "" {
			t.Errorf("part checksum not echoed")
		}
		u2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &bucket, Key: key, UploadId: cr.UploadId, PartNumber: aws.Int32(2),
			CopySource: aws.String(bucket + "/plain.bin"), CopySourceRange: aws.String("bytes=0-999")})
		if err != nil {
			t.Fatal(err)
		}
		ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: aws.String("big/")})
		if err != nil || len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].Key) != *key {
			t.Fatalf("list uploads: %v %+v", err, ups)
		}
		parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: key, UploadId: cr.UploadId})
		if err != nil || len(parts.Parts) != 2 || aws.ToInt64(parts.Parts[1].Size) != 1000 {
			t.Fatalf("list parts: %v %+v", err, parts)
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(2), ETag: u2.CopyPartResult.ETag},
				{PartNumber: aws.Int32(1), ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32},
			}}})
		if s3protoAPICode(err) != "InvalidPartOrder" {
			t.Fatalf("complete out of order: %v", err)
		}
		// The copied part got a checksum of the upload's algorithm, and a
		// composite upload must list every part's.
		if aws.ToString(u2.CopyPartResult.ChecksumCRC32) != crc32Of(data[:1000]) {
			t.Errorf("copied part checksum %q", aws.ToString(u2.CopyPartResult.ChecksumCRC32))
		}
		if aws.ToString(parts.Parts[0].ChecksumCRC32) != aws.ToString(u1.ChecksumCRC32) || parts.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("list parts checksums: %q %q", aws.ToString(parts.Parts[0].ChecksumCRC32), parts.ChecksumType)
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32},
				{PartNumber: aws.Int32(2), ETag: u2.CopyPartResult.ETag},
			}}})
		if s3protoAPICode(err) != "InvalidRequest" {
			t.Fatalf("complete without a part checksum: %v", err)
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32},
				{PartNumber: aws.Int32(2), ETag: u2.CopyPartResult.ETag, ChecksumCRC32: u1.ChecksumCRC32},
			}}})
		if s3protoAPICode(err) != "InvalidPart" {
			t.Fatalf("complete with a wrong part checksum: %v", err)
		}
		done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: key, UploadId: cr.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32},
				{PartNumber: aws.Int32(2), ETag: u2.CopyPartResult.ETag, ChecksumCRC32: u2.CopyPartResult.ChecksumCRC32},
			}}})
		if err != nil {
			t.Fatal(err)
		}
		composite := compositeCRC32(t, aws.ToString(u1.ChecksumCRC32), aws.ToString(u2.CopyPartResult.ChecksumCRC32))
		if aws.ToString(done.ChecksumCRC32) != composite || done.ChecksumType != types.ChecksumTypeComposite {
			t.Errorf("complete: checksum %q type %q, want %q", aws.ToString(done.ChecksumCRC32), done.ChecksumType, composite)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil || aws.ToInt64(head.ContentLength) != 5<<20+1000 || head.Metadata["m"] != "1" ||
			aws.ToString(head.ChecksumCRC32) != composite || head.ChecksumType != types.ChecksumTypeComposite {
			t.Fatalf("head: %v %+v", err, head)
		}
		// GET with checksum mode: the SDK skips validating a composite
		// checksum, and the bytes arrive whole.
		get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, get.Body)
		get.Body.Close()
		if err != nil || n != 5<<20+1000 {
			t.Fatalf("get: %d bytes, %v", n, err)
		}
		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: key,
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts}})
		if err != nil || attrs.Checksum == nil || aws.ToString(attrs.Checksum.ChecksumCRC32) != composite ||
			attrs.ObjectParts == nil || aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 2 {
			t.Fatalf("attributes: %v %+v", err, attrs)
		}
		if ps := attrs.ObjectParts.Parts; len(ps) != 2 || aws.ToInt32(ps[1].PartNumber) != 2 || aws.ToInt64(ps[1].Size) != 1000 ||
			aws.ToString(ps[1].ChecksumCRC32) != aws.ToString(u2.CopyPartResult.ChecksumCRC32) {
			t.Errorf("attribute parts: %+v", ps)
		}
		// Part 2 alone, its checksum validated by the SDK.
		part, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: key, PartNumber: aws.Int32(2), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		pb, err := io.ReadAll(part.Body)
		part.Body.Close()
		if err != nil || !bytes.Equal(pb, data[:1000]) || aws.ToInt32(part.PartsCount) != 2 || aws.ToString(part.ContentRange) != fmt.Sprintf("bytes %d-%d/%d", 5<<20, 5<<20+999, 5<<20+1000) {
			t.Errorf("get part 2: %d bytes, %v, parts %d, range %q", len(pb), err, aws.ToInt32(part.PartsCount), aws.ToString(part.ContentRange))
		}
		if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: key, PartNumber: aws.Int32(3)}); err == nil {
			t.Errorf("head part 3 of 2 succeeded")
		}
		// A copy of it is one part: its checksum is the CRC32 of the bytes.
		cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy/of-multipart"),
			CopySource: aws.String(bucket + "/" + s3protoEscape(*key))})
		if err != nil || cp.CopyObjectResult == nil || aws.ToString(cp.CopyObjectResult.ChecksumCRC32) != crc32Of(append(append([]byte{}, p1...), data[:1000]...)) {
			t.Fatalf("copy of the multipart object: %v %+v", err, cp)
		}
		ab, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("big/aborted")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: aws.String("big/aborted"), UploadId: ab.UploadId}); err != nil {
			t.Fatal(err)
		}
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("big/aborted"), UploadId: ab.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
		if s3protoAPICode(err) != "NoSuchUpload" {
			t.Fatalf("part of aborted upload: %v", err)
		}
	})

	t.Run("list", func(t *testing.T) {
		keys := map[string]bool{}
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, MaxKeys: aws.Int32(2), FetchOwner: aws.Bool(true)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				if keys[*o.Key] || o.Owner == nil {
					t.Fatalf("key %q twice or without owner", *o.Key)
				}
				keys[*o.Key] = true
			}
		}
		for _, k := range []string{"plain.bin", "dir/日本語 file+1.txt", "copy/1", "big/manager.bin", "big/hand 日本.bin"} {
			if !keys[k] {
				t.Errorf("%q not listed (got %v)", k, keys)
			}
		}
		classes, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("dir/")})
		if err != nil || len(classes.Contents) != 1 || classes.Contents[0].StorageClass != types.ObjectStorageClassStandardIa {
			t.Fatalf("storage class in listing: %v %+v", err, classes)
		}
		del, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Delimiter: aws.String("/"), EncodingType: types.EncodingTypeUrl})
		if err != nil {
			t.Fatal(err)
		}
		var prefixes []string
		for _, cp := range del.CommonPrefixes {
			prefixes = append(prefixes, *cp.Prefix)
		}
		sort.Strings(prefixes)
		if strings.Join(prefixes, ",") != "big/,copy/,dir/" {
			t.Errorf("prefixes %v", prefixes)
		}
		// This SDK leaves url-encoded keys to the caller.
		v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &bucket, Prefix: aws.String("dir/"), EncodingType: types.EncodingTypeUrl})
		if err != nil || len(v1.Contents) != 1 {
			t.Fatalf("v1: %v %+v", err, v1)
		}
		if k, err := url.QueryUnescape(*v1.Contents[0].Key); err != nil || k != "dir/日本語 file+1.txt" {
			t.Fatalf("v1 key %q", *v1.Contents[0].Key)
		}
	})

	t.Run("presigned", func(t *testing.T) {
		ps := s3.NewPresignClient(c)
		key := aws.String("presigned/日本 +x")
		put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: key}, s3.WithPresignExpires(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(put.Method, put.URL, strings.NewReader("via presigned PUT"))
		for k, vs := range put.SignedHeader {
			req.Header[k] = vs
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("presigned PUT: %d", resp.StatusCode)
		}
		get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: key}, s3.WithPresignExpires(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		resp, err = hc.Get(get.URL)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "via presigned PUT" {
			t.Fatalf("presigned GET: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("missing")})
		var nsk *types.NoSuchKey
		if !errors.As(err, &nsk) {
			t.Fatalf("missing key: %v", err)
		}
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("missing")})
		var nf *types.NotFound
		if !errors.As(err, &nf) {
			t.Fatalf("head missing: %v", err)
		}
		_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("no-such-bucket-here")})
		var nsb *types.NoSuchBucket
		if !errors.As(err, &nsb) {
			t.Fatalf("missing bucket: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("copy/1")}); err != nil {
			t.Fatal(err)
		}
		var ids []types.ObjectIdentifier
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				ids = append(ids, types.ObjectIdentifier{Key: o.Key})
			}
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: ids}})
		if err != nil || len(out.Errors) != 0 || len(out.Deleted) != len(ids) {
			t.Fatalf("delete objects: %v %+v", err, out)
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
			t.Fatal(err)
		}
	})
}

func s3protoTags(tags []types.Tag) string {
	var out []string
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// s3protoEscape escapes a key for x-amz-copy-source, "/" kept.
func s3protoEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '/' || c == '-' || c == '_' || c == '.' || c == '~' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
