//! The object store behind the local server: `s3s-fs`'s file-system `S3` implementation, brought
//! closer to Amazon S3's documented behaviour.
//!
//! Operations are delegated to `s3s-fs`, with three additions:
//!
//! - **Keys a directory tree cannot hold never reach `s3s-fs`** (see `keys`): GetObject, HeadObject
//!   and a copy's source answer `404 NoSuchKey`; DeleteObject(s) find nothing to delete; PutObject,
//!   CopyObject and multipart uploads answer `400`. A file-system error that still reaches `s3s-fs`
//!   (a write racing another) gets the same answers instead of `500`.
//! - **Atomic conditional writes.** Amazon S3 answers `412 Precondition Failed` to a PutObject carrying
//!   `If-None-Match: *` when the key exists, and of two racing conditional writes exactly one wins.
//!   `s3s-fs` 0.14.1 checks for the key, then streams the body, then renames — two racing writers can
//!   both pass the check. Conditional writes are therefore serialised here.
//! - **Payload-hash mismatches are client errors.** When a signed `x-amz-content-sha256` does not match
//!   the body, `s3s` fails the body stream and `s3s-fs` answers `500 InternalError` (the object is not
//!   stored). Amazon S3 answers `400 XAmzContentSHA256Mismatch`; so do we. A body shorter or longer
//!   than that hash's declared length becomes `400 IncompleteBody`.
//!
//! This module must never weaken what `s3s` checks: it sees only requests `s3s` has already
//! authenticated, and it never stores an object that `s3s-fs` would have refused.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result, S3};
use tokio::sync::Mutex;

use crate::keys::{read_error, write_error, Layout, Sidecars};

/// `s3s-fs`'s store with S3's PutObject semantics (see the module documentation).
pub(crate) struct Store {
    inner: s3s_fs::FileSystem,
    /// Where `inner` keeps its files, to check keys against.
    layout: Layout,
    /// Held for the whole of every `If-None-Match: *` PutObject, so check-then-write is atomic among them.
    conditional_writes: Mutex<()>,
}

impl Store {
    /// `root` must be the canonical directory `inner` was created with.
    pub(crate) fn new(inner: s3s_fs::FileSystem, root: std::path::PathBuf) -> Self {
        Self { inner, layout: Layout::new(root), conditional_writes: Mutex::new(()) }
    }

    /// `Ok` if `key` can be written now, else the `400` for it.
    async fn check_write(&self, bucket: &str, key: &str, sidecars: Sidecars) -> S3Result<()> {
        self.layout.writable(bucket, key, sidecars).await.map_err(|unfit| unfit.error())
    }

    /// `Ok` if `key` could name an object, else `404 NoSuchKey` (or `NoSuchBucket`).
    async fn check_read(&self, bucket: &str, key: &str) -> S3Result<()> {
        if self.layout.could_exist(bucket, key).await {
            Ok(())
        } else {
            Err(self.layout.missing(bucket).await)
        }
    }

    /// The source of a copy, which must be an object that could exist.
    async fn check_copy_source(&self, source: &CopySource) -> S3Result<()> {
        match source {
            CopySource::Bucket { bucket, key, .. } => self.check_read(bucket, key).await,
            // `s3s-fs` answers `501` to these.
            CopySource::AccessPoint { .. } | CopySource::Outpost { .. } => Ok(()),
        }
    }
}

/// Rewrites the `500` that a failed payload-hash check becomes into the `400` Amazon S3 answers.
///
/// `s3s` 0.14.1 does not export its `UploadStreamError`, so the cause is recognised by its message
/// (`s3s` is pinned; the tests fail if the message changes).
fn payload_error_as_client_error(err: S3Error) -> S3Error {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = match err.source() {
        Some(source) => Some(source),
        None => return err,
    };
    while let Some(e) = cause {
        let (code, message): (&[u8], &str) = match e.to_string().as_str() {
            "UploadStreamError: Sha256Mismatch" | "UploadStreamError: InvalidChecksum" => (
                b"XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ),
            "UploadStreamError: LengthMismatch" | "UploadStreamError: Incomplete" => {
                (b"IncompleteBody", "The body does not have the declared length.")
            }
            _ => {
                cause = e.source();
                continue;
            }
        };
        let Some(code) = S3ErrorCode::from_bytes(code) else { return err };
        let mut mapped = S3Error::with_message(code, message);
        mapped.set_status_code(http::StatusCode::BAD_REQUEST);
        return mapped;
    }
    err
}

/// Forwards the listed operations to `self.inner` unchanged; the macro's caller adds the others.
macro_rules! store_impl {
    (forward { $($op:ident($input:ident) -> $output:ident;)* } $($own:item)*) => {
        #[async_trait::async_trait]
        impl S3 for Store {
            $(
                async fn $op(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.inner.$op(req).await
                }
            )*
            $($own)*
        }
    };
}

store_impl! {
    forward {
        create_bucket(CreateBucketInput) -> CreateBucketOutput;
        delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
        head_bucket(HeadBucketInput) -> HeadBucketOutput;
        list_buckets(ListBucketsInput) -> ListBucketsOutput;
        get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
        list_objects(ListObjectsInput) -> ListObjectsOutput;
        list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
        upload_part(UploadPartInput) -> UploadPartOutput;
        list_parts(ListPartsInput) -> ListPartsOutput;
        abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
    }

    async fn get_object(&self, req: S3Request<GetObjectInput>) -> S3Result<S3Response<GetObjectOutput>> {
        self.check_read(&req.input.bucket, &req.input.key).await?;
        self.inner.get_object(req).await.map_err(read_error)
    }

    async fn head_object(&self, req: S3Request<HeadObjectInput>) -> S3Result<S3Response<HeadObjectOutput>> {
        self.check_read(&req.input.bucket, &req.input.key).await?;
        self.inner.head_object(req).await.map_err(read_error)
    }

    async fn delete_object(&self, req: S3Request<DeleteObjectInput>) -> S3Result<S3Response<DeleteObjectOutput>> {
        if let Err(missing) = self.check_read(&req.input.bucket, &req.input.key).await {
            // Like S3, deleting what does not exist succeeds, in a bucket that does.
            return match missing.code() {
                S3ErrorCode::NoSuchKey => Ok(S3Response::new(DeleteObjectOutput::default())),
                _ => Err(missing),
            };
        }
        self.inner.delete_object(req).await.map_err(read_error)
    }

    async fn delete_objects(&self, mut req: S3Request<DeleteObjectsInput>) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        let mut absent = Vec::new();
        let mut present = Vec::new();
        for object in std::mem::take(&mut req.input.delete.objects) {
            if self.layout.could_exist(&bucket, &object.key).await {
                present.push(object);
            } else {
                absent.push(DeletedObject { key: Some(object.key), version_id: object.version_id, ..Default::default() });
            }
        }
        req.input.delete.objects = present;
        let mut answer = self.inner.delete_objects(req).await.map_err(read_error)?;
        answer.output.deleted.get_or_insert_with(Vec::new).extend(absent);
        Ok(answer)
    }

    async fn copy_object(&self, req: S3Request<CopyObjectInput>) -> S3Result<S3Response<CopyObjectOutput>> {
        self.check_copy_source(&req.input.copy_source).await?;
        self.check_write(&req.input.bucket, &req.input.key, Sidecars::Object).await?;
        self.inner.copy_object(req).await.map_err(write_error)
    }

    async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
        self.check_write(&req.input.bucket, &req.input.key, Sidecars::Object).await?;
        let conditional = req.input.if_none_match.as_ref().is_some_and(|c| c.is_any());
        let result = if conditional {
            let _serialised = self.conditional_writes.lock().await;
            self.inner.put_object(req).await
        } else {
            self.inner.put_object(req).await
        };
        result.map_err(|e| write_error(payload_error_as_client_error(e)))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.check_write(&req.input.bucket, &req.input.key, Sidecars::Upload).await?;
        self.inner.create_multipart_upload(req).await.map_err(write_error)
    }

    async fn upload_part_copy(&self, req: S3Request<UploadPartCopyInput>) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.check_copy_source(&req.input.copy_source).await?;
        self.check_write(&req.input.bucket, &req.input.key, Sidecars::Upload).await?;
        self.inner.upload_part_copy(req).await.map_err(write_error)
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.check_write(&req.input.bucket, &req.input.key, Sidecars::Object).await?;
        self.inner.complete_multipart_upload(req).await.map_err(write_error)
    }
}
