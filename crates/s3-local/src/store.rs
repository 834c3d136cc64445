//! The object store behind the local server: `s3s-fs`'s file-system `S3` implementation, with PutObject
//! brought closer to Amazon S3's documented behaviour.
//!
//! Every operation is delegated unchanged except PutObject, which adds two things:
//!
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

/// `s3s-fs`'s store with S3's PutObject semantics (see the module documentation).
pub(crate) struct Store {
    inner: s3s_fs::FileSystem,
    /// Held for the whole of every `If-None-Match: *` PutObject, so check-then-write is atomic among them.
    conditional_writes: Mutex<()>,
}

impl Store {
    pub(crate) fn new(inner: s3s_fs::FileSystem) -> Self {
        Self { inner, conditional_writes: Mutex::new(()) }
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

/// Forwards the listed operations to `self.inner`, and adds `put_object` from the macro's caller.
macro_rules! store_impl {
    ($($op:ident($input:ident) -> $output:ident;)*) => {
        #[async_trait::async_trait]
        impl S3 for Store {
            $(
                async fn $op(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    self.inner.$op(req).await
                }
            )*

            async fn put_object(&self, req: S3Request<PutObjectInput>) -> S3Result<S3Response<PutObjectOutput>> {
                let conditional = req.input.if_none_match.as_ref().is_some_and(|c| c.is_any());
                let result = if conditional {
                    let _serialised = self.conditional_writes.lock().await;
                    self.inner.put_object(req).await
                } else {
                    self.inner.put_object(req).await
                };
                result.map_err(payload_error_as_client_error)
            }
        }
    };
}

store_impl! {
    create_bucket(CreateBucketInput) -> CreateBucketOutput;
    delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
    head_bucket(HeadBucketInput) -> HeadBucketOutput;
    list_buckets(ListBucketsInput) -> ListBucketsOutput;
    get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
    get_object(GetObjectInput) -> GetObjectOutput;
    head_object(HeadObjectInput) -> HeadObjectOutput;
    copy_object(CopyObjectInput) -> CopyObjectOutput;
    delete_object(DeleteObjectInput) -> DeleteObjectOutput;
    delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
    list_objects(ListObjectsInput) -> ListObjectsOutput;
    list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
    create_multipart_upload(CreateMultipartUploadInput) -> CreateMultipartUploadOutput;
    upload_part(UploadPartInput) -> UploadPartOutput;
    upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
    list_parts(ListPartsInput) -> ListPartsOutput;
    complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
    abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
}
