// The public types of @s3-gatekeeper/client (written by hand: the generated declarations of the
// WebAssembly glue are not part of the package's interface).

/** Every stable error code of the client, the protocol and the gatekeeper. */
export declare const ERROR_CODES: readonly [
  "malformed_request", "unsupported_version", "wrong_audience", "key_empty", "key_too_long",
  "key_leading_slash", "key_empty_segment", "key_dot_segment", "key_forbidden_char",
  "key_prefix_not_directory", "key_outside_root", "invalid_time_window", "lifetime_too_long",
  "not_yet_valid", "expired", "stale_request", "unknown_vendor_key", "bad_vendor_signature",
  "bad_client_signature", "acl_denied_ip", "acl_denied_country", "replayed_nonce",
  "audit_unavailable", "malformed_receipt", "bad_receipt_signature", "receipt_mismatch",
  "unsupported_object_format", "unknown_master_key", "decryption_failed", "object_too_large",
  "malformed_json", "malformed_forwarded_for", "malformed_body", "method_not_allowed",
  "body_too_large", "unsupported_media_type", "headers_too_large", "too_many_headers",
  "s3_unavailable", "s3_error", "s3_bad_response", "s3_settings", "s3_signing", "too_many_objects",
  "invalid_key", "replay_unavailable",
  "entropy_unavailable", "timeout", "no_source_ip", "network_error", "bad_response", "not_found",
  "already_exists", "url_expired", "aborted", "upload_key_mismatch", "invalid_config",
  "invalid_argument", "not_text", "not_json", "unsupported_browser", "internal_error",
];

/** A stable error code (`ERROR_CODES`). */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Who failed or refused. */
export type ErrorParty = "gatekeeper" | "vendor" | "storage";

/** Every failure of this library (`error instanceof GatekeeperError`). */
export declare class GatekeeperError extends Error {
  readonly name: "GatekeeperError";
  /** One of `ERROR_CODES`; when `party` is `"vendor"`, possibly the vendor's own code. */
  readonly code: ErrorCode | (string & {});
  /** The HTTP status of the answer that caused the failure, if one did (404 for `not_found`,
   *  412 for `already_exists`, the gatekeeper's status for its refusals). */
  readonly status: number | undefined;
  /** Who failed or refused; `undefined` for the client's own checks (configuration, arguments,
   *  receipts, decryption, abort). */
  readonly party: ErrorParty | undefined;
  constructor(message: string, code: string, status?: number, party?: ErrorParty);
}

/** How to reach the customer's gatekeeper and the vendor's co-signer. */
export interface GatekeeperClientConfig {
  /** The gatekeeper's base URL, e.g. "https://gatekeeper.customer.example". */
  gatekeeperUrl: string;
  /** The gatekeeper's id (the audience every request names). */
  gatekeeperId: string;
  /** The gatekeeper's receipt-signing public key, base64 of 32 bytes. PINNED: receipts signed by
   *  any other key are refused with code `bad_receipt_signature`. */
  gatekeeperPublicKey: string;
  /** The id pinned with the key: receipts naming any other key id are refused. */
  gatekeeperKeyId: string;
  /** The vendor's co-sign endpoint (POST {request} -> {vendor_key_id, vendor_signature}). */
  cosignUrl: string;
  /** Cookies sent to the co-sign endpoint (fetch's `credentials`). Default "same-origin". */
  credentials?: "include" | "same-origin" | "omit" | undefined;
  /** Extra headers for the co-sign call only, e.g. `{ authorization: "Bearer ..." }`, or a
   *  session cookie in Node. Never sent to the gatekeeper or the bucket. */
  cosignHeaders?: Readonly<Record<string, string>> | undefined;
}

/** A gatekeeper receipt that verified under the pinned key. */
export interface Receipt {
  /** The object key or prefix granted. */
  key: string;
  /** The gatekeeper's audit log sequence number of the decision (for an object of a prefix
   *  read: of that object's own entry). */
  sequence: number;
  vendorKeyId: string;
  gatekeeperKeyId: string;
  /** Unix seconds. */
  decidedAt: number;
  /** The client address the gatekeeper saw. */
  clientIp: string;
  verified: true;
  /** The receipt as the gatekeeper signed it, for a receipts file (`JSON.stringify(signed)` is
   *  one line). Absent on the objects of a prefix read: the prefix's receipt covers them. */
  signed?: SignedReceipt;
}

/** A receipt exactly as the gatekeeper signed it and the client verified it, in the HTTP API's
 *  form. A receipts file is one `JSON.stringify` of these per line (JSON Lines); the customer
 *  checks it against the audit log with `gatekeeper audit verify --receipts FILE`. Receipts hold
 *  the object key, the keys' ids and the client address the gatekeeper saw; no secret. */
export interface SignedReceipt {
  /** Base64 of the encoded receipt (the access request, both signatures, `sequence`, the time of
   *  the decision, the client address). */
  bytes: string;
  /** Base64 of the gatekeeper's 64-byte Ed25519 signature over the receipt and `key_id`. */
  signature: string;
  /** The gatekeeper key that signed (the pinned one). */
  key_id: string;
  /** The audit log sequence number of the decision, as inside `bytes`. */
  sequence: number;
}

/** Bytes done so far, in plaintext bytes; `total` once known. */
export interface Progress {
  loaded: number;
  total: number | undefined;
}

/** Options every method takes. */
export interface CallOptions {
  /** Aborts the call (and a stream it returned); it then rejects with code `aborted`. */
  signal?: AbortSignal | undefined;
}

/** Options of reads. */
export interface ReadOptions extends CallOptions {
  /** Called as plaintext bytes verify (downloads) or are sent (uploads). */
  onProgress?: ((progress: Progress) => void) | undefined;
}

/** Options of `getBlob` and `getObjectUrl`. */
export interface BlobOptions extends ReadOptions {
  /** The Blob's media type; default: the type stored with the object, else
   *  "application/octet-stream". HTML, SVG and XML types are refused (`invalid_argument`). */
  mimeType?: string | undefined;
}

/** Options of `putObject`. */
export interface PutOptions extends ReadOptions {
  /** The plaintext's media type, lower-case `type/subtype` (signed, stored with the object and
   *  returned as `contentType` by reads). */
  contentType?: string | undefined;
  /** The length in bytes: required for a `ReadableStream`, checked for everything else. */
  length?: number | undefined;
}

/** What to upload. A `Blob` or `File` is read as a stream; memory stays bounded. */
export type UploadData = Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array>;

/** A read: the plaintext in the form asked for, the stored media type, and this call's receipt. */
export interface ObjectRead<T> {
  data: T;
  /** The media type given when the object was uploaded, if any. */
  contentType: string | undefined;
  receipt: Receipt;
}

/** The answer of `readPrefix`: the prefix's receipt and a handle per object under it. */
export interface PrefixRead {
  receipt: Receipt;
  objects: ObjectHandle[];
}

/** A client for one gatekeeper, with its pinned key and a session key that never leaves WebCrypto. */
export declare class GatekeeperClient {
  /** Throws `GatekeeperError` with code `invalid_config` naming a bad field. */
  constructor(config: GatekeeperClientConfig);
  /** The object's plaintext. */
  getObject(key: string, options?: ReadOptions): Promise<ObjectRead<Uint8Array<ArrayBuffer>>>;
  /** The object as UTF-8 text (`not_text` if it is not). */
  getText(key: string, options?: ReadOptions): Promise<ObjectRead<string>>;
  /** The object parsed as JSON (`not_json` if it is not). The type is the caller's claim. */
  getJson<T = unknown>(key: string, options?: ReadOptions): Promise<ObjectRead<T>>;
  /** The object as a Blob of its stored media type. */
  getBlob(key: string, options?: BlobOptions): Promise<ObjectRead<Blob>>;
  /** A `blob:` URL of the object; revoke it (`URL.revokeObjectURL`) when done. */
  getObjectUrl(key: string, options?: BlobOptions): Promise<ObjectRead<string>>;
  /** The plaintext as a stream, decrypted as it arrives (bounded memory). If the object proves
   *  damaged or truncated the stream errors with `decryption_failed`: discard what it gave. */
  getObjectStream(key: string, options?: ReadOptions): Promise<ObjectRead<ReadableStream<Uint8Array<ArrayBuffer>>>>;
  /** Every object under `prefix` (ending with `/`), with one vendor and one gatekeeper round trip. */
  readPrefix(prefix: string, options?: CallOptions): Promise<PrefixRead>;
  /** Encrypts `data` in this process and uploads it as a new object (never overwriting one:
   *  `already_exists`). Resolves to the verified receipt. */
  putObject(key: string, data: UploadData, options?: PutOptions): Promise<Receipt>;
  /** @deprecated Shared state that concurrent calls overwrite: use the `receipt` each call returns. */
  lastReceipts(): Receipt[];
  /** Releases the WebAssembly memory of this client. */
  free(): void;
}

/** One object of a `readPrefix` answer. Reads use the key material already received; once the
 *  presigned URL has expired (`expiresAt`), a read re-authorizes the object first (one vendor and
 *  one gatekeeper round trip, audited) and `receipt` and `expiresAt` describe the new grant. */
export declare class ObjectHandle {
  readonly key: string;
  /** The stored (encrypted) size in bytes. */
  readonly size: number | undefined;
  /** The verified receipt of this object's grant. */
  readonly receipt: Receipt;
  /** When the presigned URL expires, in `Date.now()` milliseconds. */
  readonly expiresAt: number;
  bytes(options?: ReadOptions): Promise<Uint8Array<ArrayBuffer>>;
  text(options?: ReadOptions): Promise<string>;
  json<T = unknown>(options?: ReadOptions): Promise<T>;
  blob(options?: ReadOptions): Promise<Blob>;
  /** A `blob:` URL (the given media type, else the stored one); revoke it when done. */
  blobUrl(mimeType?: string | undefined, options?: ReadOptions): Promise<string>;
  stream(options?: ReadOptions): Promise<ReadableStream<Uint8Array<ArrayBuffer>>>;
  free(): void;
}
