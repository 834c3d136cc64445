// GatekeeperError and the list of its codes: the one error class of @s3-gatekeeper/client.
//
// The WebAssembly module builds every error it throws or rejects with through this class (it is
// imported by the generated glue as a snippet), and the package's entries export the same module,
// so `error instanceof GatekeeperError` holds for every failure. This file must stay free of
// imports: it is loaded before the module is instantiated.

/** Every stable code the client, the protocol and the gatekeeper use (docs/protocol.md section 8,
 *  the gatekeeper's HTTP codes, the client's own). A vendor's co-sign endpoint may refuse with
 *  codes of its own (`party === "vendor"`). */
export const ERROR_CODES = Object.freeze([
  // The protocol (docs/protocol.md section 8).
  "malformed_request", "unsupported_version", "wrong_audience",
  "key_empty", "key_too_long", "key_leading_slash", "key_empty_segment", "key_dot_segment",
  "key_forbidden_char", "key_prefix_not_directory", "key_outside_root",
  "invalid_time_window", "lifetime_too_long", "not_yet_valid", "expired", "stale_request",
  "unknown_vendor_key", "bad_vendor_signature", "bad_client_signature",
  "acl_denied_ip", "acl_denied_country", "replayed_nonce", "audit_unavailable",
  "malformed_receipt", "bad_receipt_signature", "receipt_mismatch",
  "unsupported_object_format", "unknown_master_key", "decryption_failed", "object_too_large",
  // The gatekeeper's transport and service codes (docs/api.md).
  "malformed_json", "malformed_forwarded_for", "malformed_body", "method_not_allowed",
  "body_too_large", "unsupported_media_type", "headers_too_large", "too_many_headers",
  "s3_unavailable", "s3_error", "s3_bad_response", "s3_settings", "s3_signing", "too_many_objects",
  "invalid_key",
  "replay_unavailable", "entropy_unavailable", "timeout", "no_source_ip",
  // The client's own.
  "network_error", "bad_response", "not_found", "already_exists", "url_expired", "aborted",
  "upload_key_mismatch", "invalid_config", "invalid_argument", "not_text", "not_json",
  "unsupported_browser", "internal_error",
]);

/** Every failure of this library: a stable `code`, the HTTP `status` when an answer caused it,
 *  and the `party` that failed or refused. */
export class GatekeeperError extends Error {
  constructor(message, code, status, party) {
    super(message);
    this.name = "GatekeeperError";
    this.code = code;
    this.status = status;
    this.party = party;
  }
}
