//! Which object keys the file-system store can hold, and how S3 answers for the others.
//!
//! `s3s-fs` keeps object `KEY` of bucket `BUCKET` in the file `ROOT/BUCKET/KEY`, and its metadata in
//! `ROOT/.bucket-B64(BUCKET).object-B64(KEY)[.upload-ID].{metadata,internal}.json`. Amazon S3 keys are
//! any 1 to 1024 bytes; a directory tree cannot hold all of them, and `s3s-fs` answers
//! `500 InternalError` for those it cannot (after storing the file, when only the metadata name is
//! too long), reads a directory as if it were an object, and resolves `a//b`, `a/./b` and `a/../b`
//! to another key's file — `..` even into another bucket. A key *fits* when:
//!
//! - it splits on `/` into non-empty segments other than `.` and `..`, with no NUL byte (so no
//!   leading or trailing `/` either); otherwise the answer is [`Unfit::Shape`];
//! - no segment is longer than [`NAME_MAX`] bytes, the metadata file names are not either, and the
//!   whole path stays under [`PATH_MAX`]; otherwise [`Unfit::TooLong`]. With a bucket named
//!   `reports`, that allows keys of up to 161 bytes (128 for a multipart upload);
//! - for a write, no prefix of it is an existing object ([`Unfit::BelowObject`], `a.png/child.bin`
//!   when `a.png` exists) and it is not a directory ([`Unfit::Directory`], `a` when `a/b` exists).
//!
//! A key that does not fit cannot name an object here, so a read answers `404 NoSuchKey` and a delete
//! finds nothing to delete, as S3 would. A write that S3 would accept gets a `400` instead, with the
//! code of [`Unfit::error`]: the one place where s3-local is stricter than S3.
//!
//! It must never let a key that does not fit reach `s3s-fs`, and never answer `5xx` for a key.

use std::io;
use std::path::PathBuf;

use s3s::{S3Error, S3ErrorCode};

/// The longest file name (one path segment) Linux file systems accept, in bytes.
pub(crate) const NAME_MAX: usize = 255;
/// The longest path Linux accepts, in bytes, terminating NUL included.
pub(crate) const PATH_MAX: usize = 4096;

/// Why a key cannot be an object here (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unfit {
    /// An empty, `.` or `..` segment, a leading or trailing `/`, or a NUL byte.
    Shape,
    /// A segment, a metadata file name or the whole path is longer than the file system allows.
    TooLong,
    /// A prefix of the key is an existing object.
    BelowObject,
    /// The key is an existing directory: other keys start with it and a `/`.
    Directory,
}

/// Which metadata files a write creates: an object's, or also a multipart upload's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sidecars {
    Object,
    Upload,
}

impl Unfit {
    /// The error a write of such a key gets.
    pub(crate) fn error(self) -> S3Error {
        let (code, message) = match self {
            Unfit::Shape => (
                S3ErrorCode::InvalidArgument,
                "s3-local stores objects as files: key segments cannot be empty, . or .., and a key cannot hold a NUL byte",
            ),
            Unfit::TooLong => (
                S3ErrorCode::KeyTooLongError,
                "s3-local stores objects as files: a key segment is over 255 bytes, or the key is too long for its metadata file name",
            ),
            Unfit::BelowObject => (
                S3ErrorCode::InvalidArgument,
                "s3-local stores objects as files: a key cannot extend the key of an existing object with a slash",
            ),
            Unfit::Directory => (
                S3ErrorCode::InvalidArgument,
                "s3-local stores objects as files: a key cannot be the folder of existing keys (their prefix up to a slash)",
            ),
        };
        let mut err = S3Error::with_message(code, message);
        err.set_status_code(http::StatusCode::BAD_REQUEST);
        err
    }

    /// The same reason, for a file-system error that reached `s3s-fs` anyway (a write racing another).
    fn from_io(kind: io::ErrorKind) -> Option<Self> {
        match kind {
            io::ErrorKind::NotADirectory => Some(Unfit::BelowObject),
            io::ErrorKind::IsADirectory => Some(Unfit::Directory),
            io::ErrorKind::InvalidFilename => Some(Unfit::TooLong),
            _ => None,
        }
    }
}

/// The length of `n` bytes in unpadded base64.
const fn base64_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// The buckets' root directory, and the checks that need it.
#[derive(Debug)]
pub(crate) struct Layout {
    root: PathBuf,
}

impl Layout {
    /// `root` must be the canonical path `s3s-fs` was given.
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn object_path(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(bucket).join(key)
    }

    /// Whether the key's shape and lengths fit, without looking at the file system.
    pub(crate) fn fits(&self, bucket: &str, key: &str, sidecars: Sidecars) -> Result<(), Unfit> {
        let well_formed = key.split('/').all(|s| !s.is_empty() && s != "." && s != "..") && !key.contains('\0');
        if !well_formed {
            return Err(Unfit::Shape);
        }
        // `.bucket-B64.object-B64[.upload-UUID].metadata.json`; `.internal.json` has the same length.
        let upload = match sidecars {
            Sidecars::Object => 0,
            Sidecars::Upload => ".upload-".len() + 36,
        };
        let sidecar = ".bucket-".len()
            + base64_len(bucket.len())
            + ".object-".len()
            + base64_len(key.len())
            + upload
            + ".metadata.json".len();
        let root = self.root.as_os_str().len();
        let object = root + 1 + bucket.len() + 1 + key.len();
        let too_long = key.split('/').any(|s| s.len() > NAME_MAX)
            || sidecar > NAME_MAX
            || object >= PATH_MAX
            || root + 1 + sidecar >= PATH_MAX;
        if too_long {
            return Err(Unfit::TooLong);
        }
        Ok(())
    }

    /// Whether `bucket`'s directory exists.
    pub(crate) async fn bucket_exists(&self, bucket: &str) -> bool {
        tokio::fs::metadata(self.root.join(bucket)).await.is_ok_and(|m| m.is_dir())
    }

    /// Whether `key` could name an object now: it fits, is not a directory and is not below a file.
    pub(crate) async fn could_exist(&self, bucket: &str, key: &str) -> bool {
        if self.fits(bucket, key, Sidecars::Object).is_err() {
            return false;
        }
        match tokio::fs::symlink_metadata(self.object_path(bucket, key)).await {
            Ok(m) => !m.is_dir(),
            Err(e) => e.kind() != io::ErrorKind::NotADirectory,
        }
    }

    /// Whether `key` can be written now (see the module documentation).
    pub(crate) async fn writable(&self, bucket: &str, key: &str, sidecars: Sidecars) -> Result<(), Unfit> {
        self.fits(bucket, key, sidecars)?;
        let mut path = self.root.join(bucket);
        let mut segments = key.split('/').peekable();
        while let Some(segment) = segments.next() {
            path.push(segment);
            let is_last = segments.peek().is_none();
            match tokio::fs::symlink_metadata(&path).await {
                Ok(m) if !is_last && !m.is_dir() => return Err(Unfit::BelowObject),
                Ok(m) if is_last && m.is_dir() => return Err(Unfit::Directory),
                Ok(_) => {}
                // Nothing deeper exists either.
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// The answer to a read of a key that cannot exist in `bucket`.
    pub(crate) async fn missing(&self, bucket: &str) -> S3Error {
        if self.bucket_exists(bucket).await {
            S3Error::new(S3ErrorCode::NoSuchKey)
        } else {
            S3Error::new(S3ErrorCode::NoSuchBucket)
        }
    }
}

/// The file-system reason behind an `s3s-fs` error, if it is one a key can cause.
fn unfit_cause(err: &S3Error) -> Option<Unfit> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = match err.source() {
        Some(source) => Some(source),
        None => return None,
    };
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<io::Error>().and_then(|io| Unfit::from_io(io.kind())) {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// A write's error, with a file-system limit that still reached `s3s-fs` turned into its `400`.
pub(crate) fn write_error(err: S3Error) -> S3Error {
    unfit_cause(&err).map_or(err, Unfit::error)
}

/// A read's error, with a file-system limit that still reached `s3s-fs` turned into `404 NoSuchKey`.
pub(crate) fn read_error(err: S3Error) -> S3Error {
    if unfit_cause(&err).is_some() {
        S3Error::new(S3ErrorCode::NoSuchKey)
    } else {
        err
    }
}

#[cfg(test)]
mod tests;
