//! A vendor's co-sign endpoint, as the browser client calls it: `POST {request}` answered with
//! `{vendor_key_id, vendor_signature}`, or an [`ErrorAnswer`](crate::ErrorAnswer).
//!
//! The endpoint is the vendor's; this is the shape the client speaks (`docs/vendor-demo.md`
//! documents the demo vendor's). What a co-signer must check before signing is
//! `docs/protocol.md` section 4.1.

use serde::{Deserialize, Serialize};

use crate::Base64;

/// What the client posts to the co-sign endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosignRequest {
    /// The encoded access request.
    pub request: Base64,
}

/// The vendor's co-signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CosignAnswer {
    /// The vendor key that signed.
    pub vendor_key_id: String,
    /// The signature, 64 bytes.
    pub vendor_signature: Base64,
}
