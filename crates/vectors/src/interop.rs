//! Checks a request signed by another implementation with the gatekeeper's own verification.
//!
//! The file has the `name: value` lines of a `signature` vector (`docs/protocol.md`, section 9):
//! the policy (`gatekeeper_id`, `root_prefix`, `now`, `max_lifetime`, `max_skew`), the vendor key
//! (`vendor_key_id`, `vendor_public_key`), and what a client would send (`request`,
//! `presented_vendor_key_id`, `vendor_signature`, `client_signature`).

use std::collections::HashMap;
use std::path::Path;

use s3gk_protocol::policy::object_key::RootPrefix;
use s3gk_protocol::policy::time::TimePolicy;
use s3gk_protocol::sign::{Authorization, Keyring, VerifyPolicy};
use s3gk_protocol::{GatekeeperId, KeyId};

fn hex_array<const N: usize>(fields: &HashMap<String, String>, name: &str) -> Result<[u8; N], String> {
    let bytes = hex::decode(get(fields, name)?).map_err(|e| format!("{name}: {e}"))?;
    bytes.try_into().map_err(|_| format!("{name}: expected {N} bytes"))
}

fn get<'a>(fields: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    fields.get(name).map(String::as_str).ok_or_else(|| format!("missing field {name}"))
}

fn number(fields: &HashMap<String, String>, name: &str) -> Result<u64, String> {
    get(fields, name)?.parse().map_err(|e| format!("{name}: {e}"))
}

pub(crate) fn check(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fields: HashMap<String, String> =
        text.lines().filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_owned(), v.to_owned()))).collect();
    let mut vendor_keys = Keyring::new();
    let vendor_key_id = KeyId::new(get(&fields, "vendor_key_id")?).map_err(|e| e.to_string())?;
    vendor_keys.insert(vendor_key_id, &hex_array(&fields, "vendor_public_key")?).map_err(|e| e.to_string())?;
    let policy = VerifyPolicy {
        gatekeeper_id: GatekeeperId::new(get(&fields, "gatekeeper_id")?).map_err(|e| e.to_string())?,
        root: RootPrefix::new(get(&fields, "root_prefix")?).map_err(|e| e.to_string())?,
        time: TimePolicy::new(number(&fields, "max_lifetime")?, number(&fields, "max_skew")?)
            .map_err(|e| e.to_string())?,
        vendor_keys,
    };
    let auth = Authorization {
        request: hex::decode(get(&fields, "request")?).map_err(|e| format!("request: {e}"))?,
        vendor_key_id: get(&fields, "presented_vendor_key_id")?.to_owned(),
        vendor_signature: hex_array(&fields, "vendor_signature")?,
        client_signature: hex_array(&fields, "client_signature")?,
    };
    match auth.verify(&policy, number(&fields, "now")?) {
        Ok(v) => Ok(format!(
            "interop: accepted {} of {:?} signed by vendor key {}",
            v.request().operation.kind().name(),
            v.request().key,
            v.vendor_key_id()
        )),
        Err(d) => Err(format!("interop: refused with {}: {d}", d.code())),
    }
}
