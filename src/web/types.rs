//! TypeScript declarations for the plain JS objects the API takes and returns (the classes
//! declare themselves). The names here are what `unchecked_param_type` and
//! `unchecked_return_type` refer to elsewhere in the binding.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** How to reach the customer's gatekeeper and the vendor's co-signer. */
export interface GatekeeperClientConfig {
  /** The gatekeeper's base URL, e.g. "https://gatekeeper.customer.example". */
  gatekeeperUrl: string;
  /** The gatekeeper's id (the audience every request names). */
  gatekeeperId: string;
  /** The gatekeeper's receipt-signing public key, base64 of 32 bytes. PINNED: receipts signed by
   *  any other key are refused with code `bad_receipt_signature`. */
  gatekeeperPublicKey: string;
  /** The id pinned with the key (docs/protocol.md 4.3): receipts naming any other key id are
   *  refused with code `bad_receipt_signature`. */
  gatekeeperKeyId: string;
  /** The vendor's co-sign endpoint (POST {request} → {vendor_key_id, vendor_signature}). */
  cosignUrl: string;
  /** Cookies sent to the co-sign endpoint (fetch's `credentials`). Default "same-origin". */
  credentials?: "include" | "same-origin" | "omit";
}

/** A gatekeeper receipt that verified under the pinned key. After `readPrefix`, `lastReceipts()`
 *  holds the prefix's receipt and then one entry per object it covers: the object's key and the
 *  sequence number of its own audit entry, with the signer fields of the prefix's receipt. */
export interface Receipt {
  /** The object key or prefix granted. */
  key: string;
  /** The gatekeeper's audit log sequence number of the decision (for an object of a prefix
   *  read: of that object's entry). */
  sequence: number;
  vendorKeyId: string;
  gatekeeperKeyId: string;
  /** Unix seconds. */
  decidedAt: number;
  /** The client address the gatekeeper saw. */
  clientIp: string;
  verified: true;
}

/** The answer of `readPrefix`: one receipt and a handle per object under the prefix. */
export interface PrefixRead {
  receipt: Receipt;
  objects: ObjectHandle[];
}

/** Every rejected promise and thrown error of this library. `code` is stable (see docs/api.md). */
export interface GatekeeperError extends Error {
  name: "GatekeeperError";
  code: string;
}
"#;
