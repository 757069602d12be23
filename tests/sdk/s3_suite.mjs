// End-to-end checks of shallot's S3 door with the AWS SDK for JavaScript
// v3 and its default settings (CRC32 request checksums: in a header for
// buffers, in an aws-chunked trailer for streams; response checksum
// validation). Run by tests/s3proto_jssdk_test.go, configured by:
//
//   S3_ENDPOINT   http(s)://host:port       S3_ACCESS, S3_SECRET, S3_REGION
//   S3_PATH_STYLE "true" or "false"         S3_MODE  a name for the bucket
//
// Prints "ok <check>" or "FAIL <check>: <error>" per check and exits 1 if
// any failed.

import http from "node:http";
import https from "node:https";
import crypto from "node:crypto";
import { Readable } from "node:stream";
import {
  S3Client, CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, PutObjectCommand,
  GetObjectCommand, HeadObjectCommand, CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand,
  DeleteBucketCommand, GetObjectTaggingCommand, PutObjectTaggingCommand, DeleteObjectTaggingCommand,
  GetObjectAttributesCommand, ListObjectsV2Command, ListObjectsCommand, CreateMultipartUploadCommand,
  UploadPartCommand, UploadPartCopyCommand, CompleteMultipartUploadCommand, AbortMultipartUploadCommand,
  ListPartsCommand, ListMultipartUploadsCommand, paginateListObjectsV2,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const env = process.env;
const endpoint = env.S3_ENDPOINT;
// Virtual-hosted names ("<bucket>.s3.localhost") need no DNS: every
// lookup answers with the daemon's address.
const lookup = (host, opts, cb) => (opts && opts.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4));
const agentOpts = { keepAlive: true, lookup };
const httpAgent = new http.Agent(agentOpts);
const httpsAgent = new https.Agent(agentOpts);

const client = new S3Client({
  endpoint,
  region: env.S3_REGION,
  forcePathStyle: env.S3_PATH_STYLE === "true",
  credentials: { accessKeyId: env.S3_ACCESS, secretAccessKey: env.S3_SECRET },
  maxAttempts: 1,
  requestHandler: { httpAgent, httpsAgent },
});

let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function expectError(p, name) {
  try {
    await p;
  } catch (e) {
    const status = e.$metadata && String(e.$metadata.httpStatusCode);
    assert(e.name === name || e.Code === name || status === name, `error ${e.name} (${e.message}, ${status}), want ${name}`);
    return e;
  }
  throw new Error(`no error, want ${name}`);
}
const bytes = (n) => crypto.randomBytes(n);
const body = async (out) => Buffer.from(await out.Body.transformToByteArray());

// raw does a plain HTTP request (presigned URLs).
function raw(method, url, data, headers = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === "https:" ? https : http;
    const req = mod.request(u, { method, headers, agent: u.protocol === "https:" ? httpsAgent : httpAgent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

const Bucket = `jssdk-${env.S3_MODE || "x"}-${Date.now() % 1e9}`;
const data = bytes(100000);

await check("create bucket", async () => {
  await client.send(new CreateBucketCommand({ Bucket }));
  await client.send(new HeadBucketCommand({ Bucket }));
  const list = await client.send(new ListBucketsCommand({}));
  assert(list.Buckets.some((b) => b.Name === Bucket), "bucket not listed");
  await expectError(client.send(new CreateBucketCommand({ Bucket })), "BucketAlreadyOwnedByYou");
});

await check("put buffer, get with checksum validation", async () => {
  const put = await client.send(new PutObjectCommand({ Bucket, Key: "buffer.bin", Body: data }));
  assert(put.ChecksumCRC32, "no CRC32 echoed");
  const get = await client.send(new GetObjectCommand({ Bucket, Key: "buffer.bin", ChecksumMode: "ENABLED" }));
  assert(get.ChecksumCRC32 === put.ChecksumCRC32, `GET CRC32 ${get.ChecksumCRC32}, PUT ${put.ChecksumCRC32}`);
  assert((await body(get)).equals(data), "content differs");
});

await check("put stream (aws-chunked with a trailer)", async () => {
  const put = await client.send(new PutObjectCommand({ Bucket, Key: "stream.bin", Body: Readable.from([data.subarray(0, 40000), data.subarray(40000)]), ContentLength: data.length }));
  assert(put.ChecksumCRC32, "no CRC32 echoed");
  const head = await client.send(new HeadObjectCommand({ Bucket, Key: "stream.bin", ChecksumMode: "ENABLED" }));
  assert(head.ChecksumCRC32 === put.ChecksumCRC32 && head.ChecksumType === "FULL_OBJECT", `head ${head.ChecksumCRC32} ${head.ChecksumType}`);
  const get = await client.send(new GetObjectCommand({ Bucket, Key: "stream.bin" }));
  assert((await body(get)).equals(data), "content differs");
});

for (const alg of ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]) {
  await check(`checksum ${alg}`, async () => {
    const Key = `sum-${alg}`;
    const put = await client.send(new PutObjectCommand({ Bucket, Key, Body: data, ChecksumAlgorithm: alg }));
    const field = `Checksum${alg}`;
    assert(put[field], `no ${field} echoed`);
    const head = await client.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: "ENABLED" }));
    assert(head[field] === put[field], `stored ${head[field]}, sent ${put[field]}`);
    const get = await client.send(new GetObjectCommand({ Bucket, Key, ChecksumMode: "ENABLED" }));
    assert((await body(get)).equals(data), "content differs");
  });
}

const key = "dir/日本語 file+1 (x).txt";
await check("headers, metadata, tags, storage class", async () => {
  await client.send(new PutObjectCommand({
    Bucket, Key: key, Body: "hello", ContentType: "text/plain", CacheControl: "max-age=60",
    ContentDisposition: 'attachment; filename="x.txt"', ContentLanguage: "ja", Expires: new Date("2044-12-01T16:00:00Z"),
    Metadata: { colour: "blue" }, Tagging: "project=shallot&stage=raw data", StorageClass: "STANDARD_IA",
  }));
  const head = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
  assert(head.ContentType === "text/plain" && head.CacheControl === "max-age=60" && head.ContentLanguage === "ja" &&
    head.ContentDisposition === 'attachment; filename="x.txt"' && head.StorageClass === "STANDARD_IA" &&
    head.Metadata.colour === "blue" && head.ContentLength === 5, JSON.stringify(head));
  let tags = await client.send(new GetObjectTaggingCommand({ Bucket, Key: key }));
  assert(tags.TagSet.map((t) => `${t.Key}=${t.Value}`).sort().join(",") === "project=shallot,stage=raw data", JSON.stringify(tags.TagSet));
  await client.send(new PutObjectTaggingCommand({ Bucket, Key: key, Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
  tags = await client.send(new GetObjectTaggingCommand({ Bucket, Key: key }));
  assert(tags.TagSet.length === 1 && tags.TagSet[0].Key === "k", JSON.stringify(tags.TagSet));
  await expectError(client.send(new PutObjectTaggingCommand({ Bucket, Key: key,
    Tagging: { TagSet: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) } })), "InvalidTag");
  await client.send(new DeleteObjectTaggingCommand({ Bucket, Key: key }));
  tags = await client.send(new GetObjectTaggingCommand({ Bucket, Key: key }));
  assert(tags.TagSet.length === 0, "tags left");
  const attrs = await client.send(new GetObjectAttributesCommand({ Bucket, Key: key, ObjectAttributes: ["ETag", "ObjectSize", "StorageClass"] }));
  assert(attrs.ObjectSize === 5 && attrs.StorageClass === "STANDARD_IA" && attrs.ETag, JSON.stringify(attrs));
});

await check("range", async () => {
  const get = await client.send(new GetObjectCommand({ Bucket, Key: "buffer.bin", Range: "bytes=100-199" }));
  assert((await body(get)).equals(data.subarray(100, 200)), "range differs");
  assert(get.ContentRange === `bytes 100-199/${data.length}`, get.ContentRange);
});

await check("copy", async () => {
  const CopySource = `${Bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`;
  await client.send(new CopyObjectCommand({ Bucket, Key: "copy/1", CopySource }));
  await client.send(new CopyObjectCommand({ Bucket, Key: "copy/2", CopySource, MetadataDirective: "REPLACE", ContentType: "application/json", Metadata: { n: "1" } }));
  const h1 = await client.send(new HeadObjectCommand({ Bucket, Key: "copy/1" }));
  const h2 = await client.send(new HeadObjectCommand({ Bucket, Key: "copy/2" }));
  assert(h1.Metadata.colour === "blue" && h2.Metadata.n === "1" && !h2.Metadata.colour && h2.ContentType === "application/json", "metadata");
  await expectError(client.send(new CopyObjectCommand({ Bucket, Key: "copy/3", CopySource, CopySourceIfMatch: '"nope"' })), "PreconditionFailed");
});

await check("conditional requests", async () => {
  await expectError(client.send(new PutObjectCommand({ Bucket, Key: "buffer.bin", Body: "x", IfNoneMatch: "*" })), "PreconditionFailed");
  await expectError(client.send(new GetObjectCommand({ Bucket, Key: "buffer.bin", IfMatch: '"nope"' })), "PreconditionFailed");
  const head = await client.send(new HeadObjectCommand({ Bucket, Key: "buffer.bin" }));
  await expectError(client.send(new GetObjectCommand({ Bucket, Key: "buffer.bin", IfNoneMatch: head.ETag })), "304");
});

const big = bytes(12 * 1024 * 1024 + 12345);
await check("multipart with lib-storage", async () => {
  const up = new Upload({ client, params: { Bucket, Key: "big/upload.bin", Body: big, Tagging: "size=big" }, partSize: 5 * 1024 * 1024, queueSize: 2 });
  const out = await up.done();
  assert(/-3"$/.test(out.ETag), `ETag ${out.ETag}`);
  const get = await client.send(new GetObjectCommand({ Bucket, Key: "big/upload.bin" }));
  assert((await body(get)).equals(big), "content differs");
  const attrs = await client.send(new GetObjectAttributesCommand({ Bucket, Key: "big/upload.bin", ObjectAttributes: ["ObjectParts"] }));
  assert(attrs.ObjectParts && attrs.ObjectParts.TotalPartsCount === 3, JSON.stringify(attrs));
});

await check("multipart with lib-storage from a stream", async () => {
  const up = new Upload({ client, params: { Bucket, Key: "big/stream.bin", Body: Readable.from([big.subarray(0, 7e6), big.subarray(7e6)]) }, partSize: 5 * 1024 * 1024 });
  await up.done();
  const get = await client.send(new GetObjectCommand({ Bucket, Key: "big/stream.bin" }));
  assert((await body(get)).equals(big), "content differs");
});

await check("multipart by hand", async () => {
  const Key = "big/hand 日本.bin";
  const cr = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: "CRC32", Metadata: { m: "1" } }));
  const p1 = big.subarray(0, 5 * 1024 * 1024);
  const u1 = await client.send(new UploadPartCommand({ Bucket, Key, UploadId: cr.UploadId, PartNumber: 1, Body: p1, ChecksumAlgorithm: "CRC32" }));
  assert(u1.ChecksumCRC32, "part checksum not echoed");
  const u2 = await client.send(new UploadPartCopyCommand({ Bucket, Key, UploadId: cr.UploadId, PartNumber: 2, CopySource: `${Bucket}/buffer.bin`, CopySourceRange: "bytes=0-999" }));
  const ups = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: "big/" }));
  assert(ups.Uploads.length === 1 && ups.Uploads[0].Key === Key, JSON.stringify(ups.Uploads));
  const parts = await client.send(new ListPartsCommand({ Bucket, Key, UploadId: cr.UploadId }));
  assert(parts.Parts.length === 2 && parts.Parts[1].Size === 1000, JSON.stringify(parts.Parts));
  // The copied part got a CRC32 too, and a composite upload lists every part's.
  assert(u2.CopyPartResult.ChecksumCRC32, "copied part without checksum: " + JSON.stringify(u2.CopyPartResult));
  await expectError(client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: cr.UploadId, MultipartUpload: { Parts: [
    { PartNumber: 1, ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32 }, { PartNumber: 2, ETag: u2.CopyPartResult.ETag }] } })), "InvalidRequest");
  const done = await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: cr.UploadId, MultipartUpload: { Parts: [
    { PartNumber: 1, ETag: u1.ETag, ChecksumCRC32: u1.ChecksumCRC32 },
    { PartNumber: 2, ETag: u2.CopyPartResult.ETag, ChecksumCRC32: u2.CopyPartResult.ChecksumCRC32 }] } }));
  assert(done.ChecksumCRC32 && done.ChecksumCRC32.endsWith("-2") && done.ChecksumType === "COMPOSITE", JSON.stringify(done));
  const head = await client.send(new HeadObjectCommand({ Bucket, Key, ChecksumMode: "ENABLED" }));
  assert(head.ContentLength === p1.length + 1000 && head.Metadata.m === "1" && head.ChecksumCRC32 === done.ChecksumCRC32, JSON.stringify(head));
  const ab = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: "big/aborted" }));
  await client.send(new AbortMultipartUploadCommand({ Bucket, Key: "big/aborted", UploadId: ab.UploadId }));
  await expectError(client.send(new UploadPartCommand({ Bucket, Key: "big/aborted", UploadId: ab.UploadId, PartNumber: 1, Body: "x" })), "NoSuchUpload");
});

await check("list", async () => {
  const seen = new Set();
  for await (const page of paginateListObjectsV2({ client, pageSize: 2 }, { Bucket, FetchOwner: true })) {
    for (const o of page.Contents || []) {
      assert(!seen.has(o.Key) && o.Owner, `key ${o.Key} twice or without owner`);
      seen.add(o.Key);
    }
  }
  for (const k of ["buffer.bin", key, "copy/1", "big/upload.bin", "big/hand 日本.bin"]) assert(seen.has(k), `${k} not listed`);
  const del = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: "/" }));
  assert(del.CommonPrefixes.map((p) => p.Prefix).sort().join(",") === "big/,copy/,dir/", JSON.stringify(del.CommonPrefixes));
  const v1 = await client.send(new ListObjectsCommand({ Bucket, Prefix: "dir/", EncodingType: "url" }));
  assert(v1.Contents.length === 1 && decodeURIComponent(v1.Contents[0].Key) === key, JSON.stringify(v1.Contents));
});

await check("presigned", async () => {
  const Key = "presigned/日本 +x";
  const putURL = await getSignedUrl(client, new PutObjectCommand({ Bucket, Key }), { expiresIn: 60 });
  const put = await raw("PUT", putURL, "via presigned PUT");
  assert(put.status === 200, `PUT ${put.status} ${put.body}`);
  const getURL = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key }), { expiresIn: 60 });
  const get = await raw("GET", getURL);
  assert(get.status === 200 && get.body.toString() === "via presigned PUT", `GET ${get.status} ${get.body}`);
});

await check("errors", async () => {
  await expectError(client.send(new GetObjectCommand({ Bucket, Key: "missing" })), "NoSuchKey");
  await expectError(client.send(new HeadObjectCommand({ Bucket, Key: "missing" })), "NotFound");
  await expectError(client.send(new ListObjectsV2Command({ Bucket: "no-such-bucket-here" })), "NoSuchBucket");
});

await check("delete", async () => {
  await client.send(new DeleteObjectCommand({ Bucket, Key: "copy/1" }));
  const keys = [];
  for await (const page of paginateListObjectsV2({ client }, { Bucket })) for (const o of page.Contents || []) keys.push({ Key: o.Key });
  const out = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys } }));
  assert(!out.Errors && out.Deleted.length === keys.length, JSON.stringify(out));
  await client.send(new DeleteBucketCommand({ Bucket }));
});

process.exit(failed ? 1 : 0);
