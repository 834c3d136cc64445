//! The client's configuration: where the gatekeeper and the vendor's co-signer are, and the
//! gatekeeper public key the page pins.
//!
//! [`ClientConfig`] is what the page passes to `new GatekeeperClient({...})` (camelCase, unknown
//! fields refused so a typo is an error, not a silent default); [`Settings`] is the checked form.
//! The pinned key comes only from here, never from the network (`docs/protocol.md`, section 4.3).

use serde::Deserialize;

use s3gk_protocol::{GatekeeperId, KeyId};

use crate::error::ClientError;
use crate::handshake::PinnedKey;

/// The fields of [`ClientConfig`], as the page spells them.
pub(crate) const FIELDS: [&str; 7] = [
    "gatekeeperUrl",
    "gatekeeperId",
    "gatekeeperPublicKey",
    "gatekeeperKeyId",
    "cosignUrl",
    "credentials",
    "cosignHeaders",
];

/// Refuses a field name outside [`FIELDS`]: a misspelt optional field would otherwise be
/// silently ignored (serde-wasm-bindgen only reads the fields it knows).
pub(crate) fn check_field_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<(), ClientError> {
    match names.into_iter().find(|name| !FIELDS.contains(name)) {
        Some(unknown) => {
            Err(ClientError::InvalidConfig(format!("unknown field `{unknown}`, expected one of {}", FIELDS.join(", "))))
        }
        None => Ok(()),
    }
}

/// `new GatekeeperClient(config)`'s argument, as the page writes it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ClientConfig {
    pub(crate) gatekeeper_url: String,
    pub(crate) gatekeeper_id: String,
    pub(crate) gatekeeper_public_key: String,
    pub(crate) gatekeeper_key_id: String,
    pub(crate) cosign_url: String,
    #[serde(default)]
    pub(crate) credentials: Option<String>,
    /// Extra headers for the co-sign call (a bearer token, or a cookie in Node).
    #[serde(default)]
    pub(crate) cosign_headers: Option<std::collections::BTreeMap<String, String>>,
}

/// Which cookies the co-sign request carries (`fetch`'s `credentials`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// Cookies for any origin: a co-signer on another origin than the page.
    Include,
    /// Cookies only for the page's own origin (the default).
    SameOrigin,
    /// No cookies.
    Omit,
}

/// A checked configuration.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The gatekeeper's base URL, without a trailing `/`.
    pub(crate) gatekeeper_url: String,
    pub(crate) gatekeeper_id: GatekeeperId,
    pub(crate) pinned: PinnedKey,
    pub(crate) cosign_url: String,
    pub(crate) credentials: Credentials,
    pub(crate) cosign_headers: Vec<(String, String)>,
}

impl Settings {
    /// Checks every field, naming the first bad one.
    pub(crate) fn from_config(config: ClientConfig) -> Result<Self, ClientError> {
        let invalid = |why: String| ClientError::InvalidConfig(why);
        let gatekeeper_url = check_url("gatekeeperUrl", &config.gatekeeper_url)?.trim_end_matches('/').to_owned();
        let cosign_url = check_url("cosignUrl", &config.cosign_url)?.to_owned();
        let gatekeeper_id = GatekeeperId::new(&config.gatekeeper_id)
            .map_err(|_| invalid("gatekeeperId must be 1-128 characters of A-Z a-z 0-9 . _ - :".into()))?;
        let key = s3gk_wire::Base64::from(config.gatekeeper_public_key.trim().to_owned())
            .decode_array::<32>()
            .ok_or_else(|| invalid("gatekeeperPublicKey must be the base64 of 32 bytes".into()))?;
        let key_id = KeyId::new(&config.gatekeeper_key_id)
            .map_err(|_| invalid("gatekeeperKeyId must be 1-64 characters of A-Z a-z 0-9 . _ -".into()))?;
        // Byte-level checks only (section 2.1: canonical, not of small order), so the browser
        // build carries no curve arithmetic; a key that is no curve point verifies nothing.
        let pinned = PinnedKey::new(key, key_id)
            .ok_or_else(|| invalid("gatekeeperPublicKey is not a valid Ed25519 public key".into()))?;
        let credentials = match config.credentials.as_deref() {
            None | Some("same-origin") => Credentials::SameOrigin,
            Some("include") => Credentials::Include,
            Some("omit") => Credentials::Omit,
            Some(_) => return Err(invalid("credentials must be \"include\", \"same-origin\" or \"omit\"".into())),
        };
        let mut cosign_headers = Vec::new();
        for (name, value) in config.cosign_headers.unwrap_or_default() {
            let token =
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !token || value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
                return Err(invalid(format!("cosignHeaders has an invalid header {name:?}")));
            }
            cosign_headers.push((name, value));
        }
        Ok(Self { gatekeeper_url, gatekeeper_id, pinned, cosign_url, credentials, cosign_headers })
    }
}

/// An absolute `http:` or `https:` URL without a fragment.
fn check_url<'a>(field: &str, url: &'a str) -> Result<&'a str, ClientError> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.contains(['#', ' ']) => Ok(url),
        _ => Err(ClientError::InvalidConfig(format!("{field} must be an absolute http(s) URL"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClientConfig {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        ClientConfig {
            gatekeeper_url: "https://gk.example/".into(),
            gatekeeper_id: "acme-gk".into(),
            gatekeeper_public_key: s3gk_wire::Base64::encode(key.as_bytes()).as_str().to_owned(),
            gatekeeper_key_id: "gk-1".into(),
            cosign_url: "https://vendor.example/cosign".into(),
            credentials: None,
            cosign_headers: None,
        }
    }

    #[test]
    fn a_good_config_is_accepted_with_defaults() {
        let s = Settings::from_config(config()).expect("valid");
        assert_eq!(s.gatekeeper_url, "https://gk.example");
        assert_eq!(s.credentials, Credentials::SameOrigin);
        assert_eq!(s.pinned.key_id.as_str(), "gk-1");
    }

    type Spoil = fn(&mut ClientConfig);

    #[test]
    fn every_bad_field_is_named() {
        let cases: [(&str, Spoil); 9] = [
            ("cosignHeaders", |c| c.cosign_headers = Some([("bad name".to_owned(), "v".to_owned())].into())),
            ("cosignHeaders", |c| c.cosign_headers = Some([("x-a".to_owned(), "v\r\nx: y".to_owned())].into())),
            ("gatekeeperUrl", |c| c.gatekeeper_url = "gk.example".into()),
            ("cosignUrl", |c| c.cosign_url = "javascript:alert(1)".into()),
            ("gatekeeperId", |c| c.gatekeeper_id = "a b".into()),
            ("gatekeeperPublicKey", |c| c.gatekeeper_public_key = "AAAA".into()),
            ("gatekeeperPublicKey", |c| {
                c.gatekeeper_public_key = s3gk_wire::Base64::encode([0u8; 32]).as_str().to_owned()
            }),
            ("gatekeeperKeyId", |c| c.gatekeeper_key_id = "a/b".into()),
            ("credentials", |c| c.credentials = Some("all".into())),
        ];
        for (field, spoil) in cases {
            let mut c = config();
            spoil(&mut c);
            let err = Settings::from_config(c).expect_err(field);
            assert_eq!(err.code(), "invalid_config");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn misspelt_fields_are_named() {
        assert!(check_field_names(FIELDS).is_ok());
        let err = check_field_names(["gatekeeperUrl", "gatekeeperURL"]).expect_err("typo");
        assert!(err.to_string().contains("unknown field `gatekeeperURL`"), "{err}");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json =
            r#"{"gatekeeperURL":"https://gk","gatekeeperId":"a","gatekeeperPublicKey":"","cosignUrl":"https://v"}"#;
        assert!(serde_json::from_str::<ClientConfig>(json).is_err());
    }
}
