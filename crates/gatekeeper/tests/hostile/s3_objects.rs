//! Objects at S3 and their keys (docs/protocol.md sections 6.2 and 7.1; SECURITY.md T8, T13, G6,
//! G15): keys the gatekeeper rightly grants because they are valid, but which look like a stored
//! object's key (unicode look-alikes, another normal form, literal `%2e%2e` or `%2F`, `+` for a
//! space) must reach exactly that key at S3 and find nothing; keys a file-system-backed S3 cannot
//! hold (a 300-byte segment, a key below an existing object, a folder's name) get a 4xx, never a
//! 5xx; and released key material opens only what it was released for: a put grant opens no
//! object stored earlier under its key, a get grant opens no other object.
//! The bucket is never written around the gatekeeper: every object is uploaded through a grant.

use serde_json::Value;

use s3gk_protocol::object::{self, ObjectKeyMaterial};
use s3gk_protocol::{KeyId, Operation};

use super::harness::{row, steps, Case, Ctx, How, Outcome, Threat::S3, ANY_4XX, ANY_CODE, NOT_AUDITED};
use super::s3_client::{answered, grant, still, stored, upload, S3Req};

/// Stores an object under `stored`'s name, then asks for and fetches `asked`'s name (both made
/// from the same fresh base). Two grants.
fn look_alike(stored_name: &'static str, asked_name: &'static str) -> How {
    steps(move |ctx| async move {
        let base = ctx.unique_key("");
        let (stored_key, asked_key) = (format!("{base}{stored_name}"), format!("{base}{asked_name}"));
        let setup = async {
            let cipher = upload(&ctx, &stored_key, b"the stored object").await?;
            Ok::<_, String>((cipher, grant(&ctx, Operation::Get, &asked_key).await?))
        };
        let (cipher, get) = match setup.await {
            Ok(s) => s,
            Err(e) => return Outcome::broken(e),
        };
        let mut out = answered(S3Req::of(&get).send(&ctx).await, 2);
        if get["key"] != asked_key.as_str() {
            out.problems.push(format!("granted {} for {asked_key:?}", get["key"]));
        }
        still(&ctx, &stored_key, Some(&cipher), &mut out).await;
        out
    })
}

/// Optionally stores `existing` first, then gets a grant for `op` on `key` and uses it at S3.
fn unstorable(existing: Option<&'static str>, key: impl Into<String>, put: bool) -> How {
    let key: String = key.into();
    steps(move |ctx| {
        let key = key.clone();
        unstorable_steps(ctx, existing, key, put)
    })
}

async fn unstorable_steps(ctx: std::sync::Arc<Ctx>, existing: Option<&'static str>, key: String, put: bool) -> Outcome {
    {
        let base = ctx.unique_key("");
        let target = format!("{base}{key}");
        let mut grants = 1;
        if let Some(name) = existing {
            if let Err(e) = upload(&ctx, &format!("{base}{name}"), b"stored earlier").await {
                return Outcome::broken(e);
            }
            grants += 1;
        }
        let op = match put {
            true => Operation::Put { content_length: 100, sha256: None, content_type: None },
            false => Operation::Get,
        };
        let granted = match grant(&ctx, op, &target).await {
            Ok(g) => g,
            Err(e) => return Outcome::broken(e).grants(grants - 1),
        };
        let req = if put { S3Req::of(&granted).body(vec![0x5a; 100]) } else { S3Req::of(&granted) };
        let mut out = answered(req.send(&ctx).await, grants);
        if put {
            still(&ctx, &target, None, &mut out).await;
        }
        out
    }
}

/// A segment of 300 bytes (a file name holds 255).
fn long_segment() -> String {
    format!("{}/x.bin", "s".repeat(300))
}

/// A key of about 235 bytes in short segments (longer than s3-local's metadata file names allow).
fn long_key() -> String {
    format!("{}x.bin", "aaaaaaaa/".repeat(24))
}

pub fn cases() -> Vec<Case> {
    let nf = "NoSuchKey";
    vec![
        row("one_dot_leader_for_a_dot", S3, look_alike("a.png", "a\u{2024}png"), 404, nf, NOT_AUDITED),
        row("fullwidth_full_stop_for_a_dot", S3, look_alike("a.png", "a\u{ff0e}png"), 404, nf, NOT_AUDITED),
        row("cyrillic_a_for_latin_a", S3, look_alike("a.png", "\u{430}.png"), 404, nf, NOT_AUDITED),
        row("decomposed_for_composed", S3, look_alike("caf\u{e9}.bin", "cafe\u{301}.bin"), 404, nf, NOT_AUDITED),
        row("literal_percent_dot_dot", S3, look_alike("a.png", "x/%2e%2e/a.png"), 404, nf, NOT_AUDITED),
        row("literal_percent_slash", S3, look_alike("d/a.png", "d%2Fa.png"), 404, nf, NOT_AUDITED),
        row("plus_for_a_space", S3, look_alike("a b.bin", "a+b.bin"), 404, nf, NOT_AUDITED),
        row("percent_20_for_a_space", S3, look_alike("a b.bin", "a%20b.bin"), 404, nf, NOT_AUDITED),
        row("trailing_space", S3, look_alike("a.bin", "a.bin "), 404, nf, NOT_AUDITED),
        row("other_case", S3, look_alike("a.bin", "A.BIN"), 404, nf, NOT_AUDITED),
        // Finding: keys the file system cannot hold were answered 500.
        row("put_a_300_byte_segment", S3, unstorable(None, long_segment(), true), ANY_4XX, ANY_CODE, NOT_AUDITED),
        row("get_a_300_byte_segment", S3, unstorable(None, long_segment(), false), ANY_4XX, ANY_CODE, NOT_AUDITED),
        row(
            "put_below_an_existing_object",
            S3,
            unstorable(Some("a.png"), "a.png/child.bin", true),
            ANY_4XX,
            ANY_CODE,
            NOT_AUDITED,
        ),
        row(
            "get_below_an_existing_object",
            S3,
            unstorable(Some("a.png"), "a.png/child.bin", false),
            ANY_4XX,
            ANY_CODE,
            NOT_AUDITED,
        ),
        row(
            "put_over_a_folder_of_others",
            S3,
            unstorable(Some("dir/inner.bin"), "dir", true),
            ANY_4XX,
            ANY_CODE,
            NOT_AUDITED,
        ),
        row(
            "get_a_folder_of_others",
            S3,
            unstorable(Some("dir/inner.bin"), "dir", false),
            ANY_4XX,
            ANY_CODE,
            NOT_AUDITED,
        ),
        row("put_a_key_over_200_bytes", S3, unstorable(None, long_key(), true), ANY_4XX, ANY_CODE, NOT_AUDITED),
        row("get_a_key_over_200_bytes", S3, unstorable(None, long_key(), false), ANY_4XX, ANY_CODE, NOT_AUDITED),
        // Key material opens only what it was released for.
        row(
            "put_grant_opens_the_object_stored_before",
            S3,
            steps(put_grant_opens_stored),
            200,
            "decryption_failed",
            NOT_AUDITED,
        ),
        row("get_grant_opens_another_object", S3, steps(get_grant_opens_other), 200, "decryption_failed", NOT_AUDITED),
        row(
            "list_url_pointed_outside_the_prefix",
            S3,
            steps(list_url_elsewhere),
            403,
            "SignatureDoesNotMatch",
            NOT_AUDITED,
        ),
    ]
}

/// Every 32-byte value anywhere in `v`, base64 or not: whatever the grant's shape, all it released.
fn released_keys(v: &Value, out: &mut Vec<[u8; 32]>) {
    use base64::Engine as _;
    match v {
        Value::String(s) => {
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s) {
                out.extend(<[u8; 32]>::try_from(bytes.as_slice()));
            }
        }
        Value::Array(items) => items.iter().for_each(|i| released_keys(i, out)),
        Value::Object(map) => map.values().for_each(|i| released_keys(i, out)),
        _ => {}
    }
}

/// Whether any value `grant` released opens `cipher` as a per-object key of either master key.
fn opens(grant: &Value, cipher: &[u8]) -> bool {
    let mut keys = Vec::new();
    released_keys(grant, &mut keys);
    keys.iter().any(|k| {
        ["mk-1", "mk-2"].iter().any(|id| {
            let id = KeyId::new(id).expect("valid id");
            object::decrypt(&[ObjectKeyMaterial::from_bytes(id, *k)], cipher).is_ok()
        })
    })
}

fn decrypted(opened: bool, grants: usize) -> Outcome {
    Outcome {
        status: 200,
        code: if opened { "decrypted".into() } else { "decryption_failed".into() },
        accepted: opened,
        grants,
        ..Outcome::default()
    }
}

/// Finding: a put grant released the per-object key, which also opens the object already stored.
async fn put_grant_opens_stored(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let key = ctx.unique_key("notes.txt");
    let setup = async {
        let cipher = upload(&ctx, &key, b"stored earlier, readable by readers only").await?;
        let op = Operation::Put { content_length: 200, sha256: None, content_type: None };
        Ok::<_, String>((cipher, grant(&ctx, op, &key).await?))
    };
    match setup.await {
        Ok((cipher, put)) => decrypted(opens(&put, &cipher), 2),
        Err(e) => Outcome::broken(e),
    }
}

/// A get grant for one object tried on another object's ciphertext.
async fn get_grant_opens_other(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let (mine, other) = (ctx.unique_key("mine.bin"), ctx.unique_key("other.bin"));
    let setup = async {
        upload(&ctx, &mine, b"mine").await?;
        let cipher = upload(&ctx, &other, b"someone else's").await?;
        Ok::<_, String>((cipher, grant(&ctx, Operation::Get, &mine).await?))
    };
    match setup.await {
        Ok((cipher, get)) => decrypted(opens(&get, &cipher), 3),
        Err(e) => Outcome::broken(e),
    }
}

/// A prefix read's URL for one object, pointed at an object outside the prefix.
async fn list_url_elsewhere(ctx: std::sync::Arc<Ctx>) -> Outcome {
    let base = ctx.unique_key("");
    let (inside, outside) = (format!("{base}in/a.bin"), format!("{base}out/b.bin"));
    let setup = async {
        upload(&ctx, &inside, b"inside").await?;
        let cipher = upload(&ctx, &outside, b"outside").await?;
        Ok::<_, String>((cipher, grant(&ctx, Operation::ListPrefix, &format!("{base}in/")).await?))
    };
    let (cipher, listed) = match setup.await {
        Ok(s) => s,
        Err(e) => return Outcome::broken(e),
    };
    // Two uploads, the list's own entry and one per listed object.
    let bent = S3Req::of(&listed).url(|u| u.replacen("in/a.bin", "out/b.bin", 1));
    let mut out = answered(bent.send(&ctx).await, 4);
    match stored(&ctx, &outside).await {
        Ok(Some(now)) if now == cipher => {}
        other => out.problems.push(format!("the object outside changed: {other:?}")),
    }
    out
}
