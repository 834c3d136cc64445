use super::*;

fn layout(root: &std::path::Path) -> Layout {
    Layout::new(root.to_path_buf())
}

#[test]
fn keys_fit_when_every_segment_is_a_file_name_and_the_metadata_names_are_short_enough() {
    let l = layout(std::path::Path::new("/srv/s3"));
    for key in ["a", "a/b.png", "with space/é/~!$&'()*+,;=@", "...", "a/.b", &"k".repeat(161)] {
        assert_eq!(l.fits("reports", key, Sidecars::Object), Ok(()), "{key}");
    }
    for key in ["", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "../other/x", "a\0b"] {
        assert_eq!(l.fits("reports", key, Sidecars::Object), Err(Unfit::Shape), "{key:?}");
    }
    // `.bucket-cmVwb3J0cw.object-….metadata.json` reaches 255 bytes at 161 key bytes.
    assert_eq!(l.fits("reports", &"k".repeat(162), Sidecars::Object), Err(Unfit::TooLong));
    assert_eq!(l.fits("reports", &format!("a/{}", "s".repeat(300)), Sidecars::Object), Err(Unfit::TooLong));
    assert_eq!(l.fits("reports", &"k".repeat(128), Sidecars::Upload), Ok(()));
    assert_eq!(l.fits("reports", &"k".repeat(129), Sidecars::Upload), Err(Unfit::TooLong));
    // A longer bucket name leaves less room.
    assert_eq!(l.fits(&"b".repeat(63), &"k".repeat(106), Sidecars::Object), Err(Unfit::TooLong));
    assert_eq!(l.fits(&"b".repeat(63), &"k".repeat(105), Sidecars::Object), Ok(()));
    let deep_root = std::path::PathBuf::from(format!("/{}", ["r"; 21].map(|r| r.repeat(200)).join("/")));
    assert_eq!(layout(&deep_root).fits("reports", "a", Sidecars::Object), Err(Unfit::TooLong));
}

#[test]
fn base64_lengths_are_unpadded() {
    assert_eq!([0, 1, 2, 3, 4, 7].map(base64_len), [0, 2, 3, 4, 6, 10]);
}

#[tokio::test]
async fn writes_may_not_go_below_an_object_or_onto_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("reports/d/e")).expect("dirs");
    std::fs::write(dir.path().join("reports/a.png"), b"png").expect("file");
    std::fs::write(dir.path().join("reports/d/e/f"), b"f").expect("file");
    let l = layout(dir.path());
    assert_eq!(l.writable("reports", "a.png/child.bin", Sidecars::Object).await, Err(Unfit::BelowObject));
    assert_eq!(l.writable("reports", "d/e/f/g", Sidecars::Object).await, Err(Unfit::BelowObject));
    assert_eq!(l.writable("reports", "d", Sidecars::Object).await, Err(Unfit::Directory));
    assert_eq!(l.writable("reports", "d/e", Sidecars::Upload).await, Err(Unfit::Directory));
    for key in ["a.png", "d/e/f", "d/e/g", "d/x/y", "new/deep/key"] {
        assert_eq!(l.writable("reports", key, Sidecars::Object).await, Ok(()), "{key}");
    }
    assert!(l.could_exist("reports", "a.png").await && l.could_exist("reports", "d/e/f").await);
    assert!(!l.could_exist("reports", "d").await && !l.could_exist("reports", "d/e").await);
    assert!(!l.could_exist("reports", "a.png/").await && !l.could_exist("reports", "d//e/f").await);
    assert!(!l.could_exist("reports", "a.png/x").await && !l.could_exist("reports", "d/e/f/g/h").await);
    assert!(l.could_exist("reports", "d/e/missing").await, "absent, but s3s-fs answers that itself");
    assert!(l.bucket_exists("reports").await && !l.bucket_exists("other").await);
}

#[test]
fn file_system_errors_that_reach_s3s_fs_become_client_errors() {
    let io = |kind| S3Error::with_source(S3ErrorCode::InternalError, Box::new(io::Error::from(kind)));
    let code = |e: S3Error| (e.code().as_str().to_owned(), e.status_code().map(|s| s.as_u16()));
    assert_eq!(code(write_error(io(io::ErrorKind::NotADirectory))), ("InvalidArgument".into(), Some(400)));
    assert_eq!(code(write_error(io(io::ErrorKind::IsADirectory))), ("InvalidArgument".into(), Some(400)));
    assert_eq!(code(write_error(io(io::ErrorKind::InvalidFilename))), ("KeyTooLongError".into(), Some(400)));
    assert_eq!(code(read_error(io(io::ErrorKind::IsADirectory))), ("NoSuchKey".into(), Some(404)));
    // Anything else is left alone.
    assert_eq!(code(write_error(io(io::ErrorKind::PermissionDenied))), ("InternalError".into(), Some(500)));
    assert_eq!(code(read_error(S3Error::new(S3ErrorCode::AccessDenied))), ("AccessDenied".into(), Some(403)));
}
